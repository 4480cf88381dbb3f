import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { FAKE_ROOT, FakeBackend } from "../../backend/fake";
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

test("a running task shows its phase, counts and an estimate; a finished one only what went wrong", async () => {
  const backend = new FakeBackend();
  const running = await backend.createArchive("acc-1", ["u"], "cloudreve://my", "a.zip");
  const done = await backend.createArchive("acc-1", ["v"], "cloudreve://my", "b.zip");
  Object.assign(backend.tasks.find((x) => x.id === running.id)!, {
    status: "processing",
    progress: 0.25,
    phase: "compress_files",
    counters: [
      { name: "archive_count", current: 1, total: 4, unit: "items" },
      { name: "archive_size", current: 1024, total: 4096, unit: "bytes" },
    ],
    etaSeconds: 75,
  });
  Object.assign(backend.tasks.find((x) => x.id === done.id)!, { status: "completed", progress: 1, phase: "complete_upload", failed: 2 });
  renderWith(backend, <TasksPage accountId="acc-1" />);
  const rows = await screen.findAllByTestId("task-row");
  const [first, second] = rows;
  expect(within(first).getByTestId("task-phase").textContent).toBe("Compressing files");
  expect(within(first).getAllByTestId("task-counter").map((c) => c.textContent)).toEqual(["1 of 4 files", "1.0 KiB of 4.0 KiB"]);
  expect(within(first).getByTestId("task-eta").textContent).toBe("1:15 left");
  expect(within(second).queryByTestId("task-phase")).toBeNull();
  expect(within(second).queryByTestId("task-eta")).toBeNull();
  expect(within(second).getByTestId("task-failed").textContent).toBe("2 could not be included");
});

test("an unknown phase is shown as the server sent it, as text", async () => {
  const backend = new FakeBackend();
  const task = await backend.extract("acc-1", "cloudreve://my/a.zip", "cloudreve://my");
  Object.assign(backend.tasks.find((x) => x.id === task.id)!, { status: "processing", phase: "<b>await_slave</b>" });
  renderWith(backend, <TasksPage accountId="acc-1" />);
  const row = await screen.findByTestId("task-row");
  expect(within(row).getByTestId("task-phase").textContent).toBe("<b>await_slave</b>");
  expect(row.querySelector("b")).toBeNull();
});

test("the download destination is a readable folder chosen with the folder picker", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <TasksPage accountId="acc-1" />);
  const field = screen.getByTestId("remote-download-dst") as HTMLInputElement;
  expect(field.readOnly).toBe(true);
  expect(field.value).toBe("My files");
  fireEvent.click(screen.getByTestId("remote-download-change"));
  const picker = await screen.findByTestId("folder-picker");
  fireEvent.click(await within(picker).findByText("Photos"));
  await waitFor(() => expect(within(picker).getByTestId("picker-path").textContent).toBe("Photos"));
  fireEvent.click(within(picker).getByTestId("picker-ok"));
  await waitFor(() => expect(screen.queryByTestId("folder-picker")).toBeNull());
  expect((screen.getByTestId("remote-download-dst") as HTMLInputElement).value).toBe("Photos");
  fireEvent.change(screen.getByTestId("remote-download-urls"), { target: { value: "https://a.example/x.iso" } });
  fireEvent.click(screen.getByTestId("remote-download-start"));
  await waitFor(() => expect(backend.callsOf("remoteDownload")).toEqual([["acc-1", ["https://a.example/x.iso"], `${FAKE_ROOT}/Photos`]]));
});
