import { act, fireEvent, screen } from "@testing-library/react";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { TasksPage, TASK_POLL_MS } from "./TasksPage";

afterEach(() => vi.useRealTimers());

test("polls every 2 s while visible and stops when unmounted", async () => {
  vi.useFakeTimers();
  const backend = new FakeBackend();
  await backend.createArchive("acc-1", ["u"], "cloudreve://my", "a.zip");
  const view = renderWith(backend, <TasksPage accountId="acc-1" />);
  await act(async () => {});
  expect(screen.getByTestId("tasks-page").querySelectorAll("[data-testid=task-row]")).toHaveLength(1);
  const before = backend.callsOf("listTasks").length;
  await act(async () => vi.advanceTimersByTime(TASK_POLL_MS * 3));
  expect(backend.callsOf("listTasks").length - before).toBe(3);
  view.unmount();
  const afterUnmount = backend.callsOf("listTasks").length;
  await act(async () => vi.advanceTimersByTime(TASK_POLL_MS * 3));
  expect(backend.callsOf("listTasks").length).toBe(afterUnmount);
});

test("does not poll while the window is hidden", async () => {
  vi.useFakeTimers();
  const backend = new FakeBackend();
  renderWith(backend, <TasksPage accountId="acc-1" />);
  await act(async () => {});
  const spy = vi.spyOn(document, "visibilityState", "get").mockReturnValue("hidden");
  const before = backend.callsOf("listTasks").length;
  await act(async () => vi.advanceTimersByTime(TASK_POLL_MS * 2));
  expect(backend.callsOf("listTasks").length).toBe(before);
  spy.mockRestore();
});

test("remote download sends one URL per line and switches to the Downloading tab", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <TasksPage accountId="acc-1" />);
  fireEvent.change(screen.getByTestId("remote-download-urls"), { target: { value: "https://a.example/x.iso\n\n magnet:?xt=urn:btih:abc \n" } });
  fireEvent.click(screen.getByTestId("remote-download-start"));
  const rows = await screen.findAllByTestId("task-row");
  expect(backend.callsOf("remoteDownload")).toEqual([["acc-1", ["https://a.example/x.iso", "magnet:?xt=urn:btih:abc"], "cloudreve://my"]]);
  expect(screen.getByTestId("tasks-tab-downloading").getAttribute("aria-selected")).toBe("true");
  expect(rows).toHaveLength(2);
  expect(backend.callsOf("listTasks").at(-1)).toEqual(["acc-1", "downloading"]);
});

test("a running task can be cancelled", async () => {
  const backend = new FakeBackend();
  const task = await backend.extract("acc-1", "cloudreve://my/a.zip", "cloudreve://my");
  renderWith(backend, <TasksPage accountId="acc-1" />);
  fireEvent.click(await screen.findByTestId("task-cancel"));
  await act(async () => {});
  expect(backend.callsOf("cancelTask")).toEqual([["acc-1", task.id]]);
  expect(screen.getByRole("progressbar", { name: `Progress of ${task.summary}` })).toBeTruthy();
  expect((await screen.findByTestId("task-row")).dataset.status).toBe("canceled");
});
