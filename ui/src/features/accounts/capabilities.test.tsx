// What a server cannot do is greyed out with its reason, never offered and then refused.
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { App } from "../../App";
import { FakeBackend, FAKE_ROOT, V3_CAPABILITIES } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { FULL_CAPABILITIES, oneAtATime, unavailable } from "../../lib/capabilities";
import { Browser } from "../browser/Browser";
import { ShareDialog } from "../shares/ShareDialog";
import { SharesPage } from "../shares/SharesPage";
import { TasksPage } from "../tasks/TasksPage";
import { AccountFeaturesProvider } from "./AccountFeatures";

const v3 = () => new FakeBackend({ provider: { kind: "cloudreve_v3", name: "Cloudreve 3" }, capabilities: V3_CAPABILITIES });

/** Renders `ui` as a page of the backend's first account. */
function renderAs(backend: FakeBackend, ui: ReactNode, lang: "en" | "zh-CN" = "en") {
  return renderWith(backend, <AccountFeaturesProvider account={backend.accounts[0]}>{ui}</AccountFeaturesProvider>, lang);
}
const row = (name: string) => screen.getAllByTestId("row").find((r) => r.dataset.name === name)!;

test("the reasons follow the flags, not the server's name", () => {
  expect(unavailable(FULL_CAPABILITIES, "trash")).toBeNull();
  expect(unavailable(V3_CAPABILITIES, "trash")).toBe("caps.noTrash");
  expect(unavailable(V3_CAPABILITIES, "archive")).toBe("caps.noArchive");
  expect(unavailable(V3_CAPABILITIES, "copy")).toBeNull();
  expect(unavailable({ ...FULL_CAPABILITIES, tasksArchive: false, tasksExtract: false, tasksRemoteDownload: false }, "tasks")).toBe("caps.noTasks");
  expect(oneAtATime(V3_CAPABILITIES, 2)).toBe(true);
  expect(oneAtATime(V3_CAPABILITIES, 1)).toBe(false);
  expect(oneAtATime(FULL_CAPABILITIES, 5)).toBe(false);
});

test("on Cloudreve 3 the context menu greys archive with its reason and pressing it does nothing", async () => {
  const backend = v3();
  renderAs(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  fireEvent.contextMenu(row("notes.txt"));
  const archive = await screen.findByTestId("menu-archive");
  expect(archive.getAttribute("aria-disabled")).toBe("true");
  expect(archive.textContent).toContain("Cloudreve 3 cannot make archives on the server");
  expect(archive.getAttribute("title")).toBe("Cloudreve 3 cannot make archives on the server");
  await userEvent.click(archive);
  expect(screen.queryByTestId("prompt-dialog")).toBeNull();
  expect(backend.callsOf("createArchive")).toEqual([]);
  // What the server can do stays as it was.
  expect(screen.getByTestId("menu-share").getAttribute("aria-disabled")).toBeNull();
  expect(screen.getByTestId("menu-copy-to").getAttribute("aria-disabled")).toBeNull();
});

test("on a Cloudreve 4 server nothing in the menu is greyed", async () => {
  renderAs(new FakeBackend(), <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  fireEvent.contextMenu(row("notes.txt"));
  const menu = await screen.findByTestId("context-menu");
  expect(within(menu).getAllByRole("menuitem").filter((b) => b.getAttribute("aria-disabled") === "true")).toEqual([]);
  expect(screen.getByTestId("menu-delete").textContent).toBe("Move to trash");
});

test("delete on a server without a trash says permanently, asks, and deletes for good", async () => {
  const backend = v3();
  renderAs(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  fireEvent.click(row("report.pdf"));
  expect(screen.getByTestId("delete-selected").getAttribute("aria-label")).toBe("Delete permanently");
  fireEvent.keyDown(document.body, { key: "Delete" });
  const dialog = await screen.findByTestId("confirm-dialog");
  expect(dialog.textContent).toContain("Permanently delete 1 item(s)? Cloudreve 3 has no trash, so they cannot be restored.");
  await userEvent.click(screen.getByTestId("confirm-ok"));
  await waitFor(() => expect(backend.callsOf("remove")).toEqual([["acc-1", [`${FAKE_ROOT}/report.pdf`], true]]));
});

test("the reasons are in 简体中文 too", async () => {
  renderAs(v3(), <Browser accountId="acc-1" mode="files" />, "zh-CN");
  await screen.findAllByTestId("row");
  fireEvent.contextMenu(row("notes.txt"));
  expect((await screen.findByTestId("menu-archive")).getAttribute("data-reason")).toBe("Cloudreve 3 无法在服务器上创建压缩包");
  expect(screen.getByTestId("menu-delete").textContent).toBe("永久删除");
});

test("the sidebar greys the trash and names the service of each account", async () => {
  const backend = v3();
  render(<App backend={backend} />);
  await screen.findAllByTestId("row");
  const trash = screen.getByTestId("nav-trash");
  expect(trash.getAttribute("aria-disabled")).toBe("true");
  expect(trash.getAttribute("data-reason")).toBe("Cloudreve 3 has no trash: delete is permanent");
  await userEvent.click(trash);
  expect(screen.queryByTestId("trash")).toBeNull();
  // Shares and tasks (offline downloads) are there on Cloudreve 3.
  expect(screen.getByTestId("nav-shares").getAttribute("aria-disabled")).toBeNull();
  expect(screen.getByTestId("nav-tasks").getAttribute("aria-disabled")).toBeNull();
  expect(screen.getByTestId("account-provider").textContent).toBe("Cloudreve 3");
});

test("the share dialog greys password and limits where the server has none", async () => {
  const backend = new FakeBackend({ capabilities: { sharePasswords: false, shareLimits: false }, provider: { kind: "pan123", name: "123pan" } });
  const entry = (await backend.list("acc-1", FAKE_ROOT, "name", "asc", 0, 10)).entries[3];
  renderAs(backend, <ShareDialog accountId="acc-1" entry={entry} onClose={() => {}} />);
  expect((screen.getByTestId("share-use-password") as HTMLInputElement).disabled).toBe(true);
  expect(screen.getByTestId("share-password-unavailable").textContent).toBe("123pan share links cannot have a password");
  expect((screen.getByTestId("share-expiry") as HTMLSelectElement).disabled).toBe(true);
  expect((screen.getByTestId("share-limit") as HTMLInputElement).disabled).toBe(true);
  expect(screen.getByTestId("share-limits-unavailable").textContent).toContain("cannot expire or limit downloads");
  await userEvent.click(screen.getByTestId("share-create"));
  await waitFor(() => expect(backend.callsOf("createShare")).toEqual([["acc-1", entry.uri, { password: null, expireSeconds: null, downloads: null }]]));
});

test("the tasks page offers only the task kinds the server runs", async () => {
  const backend = v3();
  renderAs(backend, <TasksPage accountId="acc-1" />);
  const general = screen.getByTestId("tasks-tab-general");
  expect(general.getAttribute("aria-disabled")).toBe("true");
  expect(general.getAttribute("data-reason")).toBe("Cloudreve 3 has no archive or extract tasks");
  // It opens on the downloads the server does run.
  expect(screen.getByTestId("tasks-tab-downloading").getAttribute("aria-selected")).toBe("true");
  await waitFor(() => expect(backend.callsOf("listTasks")[0]).toEqual(["acc-1", "downloading"]));
  expect(screen.queryByTestId("remote-download-unavailable")).toBeNull();
});

test("without offline downloads the form is greyed with its reason", () => {
  const backend = new FakeBackend({ capabilities: { tasksRemoteDownload: false }, provider: { kind: "cloudreve_v3", name: "Cloudreve 3" } });
  renderAs(backend, <TasksPage accountId="acc-1" />);
  expect(screen.getByTestId("remote-download-unavailable").textContent).toBe("Cloudreve 3 cannot download links on the server");
  expect(screen.getByTestId("remote-download-urls").matches(":disabled")).toBe(true);
  expect(screen.getByTestId("remote-download-start").matches(":disabled")).toBe(true);
});

test("123pan: fixed expiry choices, no download limit, no share deletion", async () => {
  const backend = new FakeBackend({
    provider: { kind: "pan123", name: "123pan" },
    capabilities: { shareLimits: false, shareExpiryDays: [1, 7, 30], shareDelete: false, serverSideCopy: false, search: false },
  });
  const entry = (await backend.list("acc-1", FAKE_ROOT, "name", "asc", 0, 10)).entries[3];
  const { unmount } = renderAs(backend, <ShareDialog accountId="acc-1" entry={entry} onClose={() => {}} />);
  const expiry = screen.getByTestId("share-expiry") as HTMLSelectElement;
  expect(expiry.disabled).toBe(false);
  expect([...expiry.options].map((o) => o.textContent)).toEqual(["Never", "After 1 day", "After 7 days", "After 30 days"]);
  expect((screen.getByTestId("share-limit") as HTMLInputElement).disabled).toBe(true);
  expect(screen.getByTestId("share-limits-unavailable").textContent).toBe("123pan share links cannot limit downloads");
  await userEvent.selectOptions(expiry, "2");
  await userEvent.click(screen.getByTestId("share-create"));
  await waitFor(() => expect(backend.callsOf("createShare")).toEqual([["acc-1", entry.uri, { password: null, expireSeconds: 7 * 86400, downloads: null }]]));
  unmount();
  // The shares page keeps the row's delete, greyed, saying where to do it instead.
  renderAs(backend, <SharesPage accountId="acc-1" />);
  const del = await screen.findByTestId("share-row-delete");
  expect(del.getAttribute("aria-disabled")).toBe("true");
  expect(del.getAttribute("data-reason")).toContain("123pan cannot delete share links");
  await userEvent.click(del);
  expect(screen.queryByTestId("confirm-dialog")).toBeNull();
});

test("a download the server cannot cancel keeps its Cancel button, greyed with why", async () => {
  const backend = new FakeBackend({ provider: { kind: "pan123", name: "123pan" }, capabilities: { taskCancel: false, tasksArchive: false, tasksExtract: false } });
  await backend.remoteDownload("acc-1", ["https://a.example/x.iso"], FAKE_ROOT);
  renderAs(backend, <TasksPage accountId="acc-1" />);
  const cancel = await screen.findByTestId("task-cancel");
  expect(cancel.getAttribute("data-reason")).toBe("123pan cannot cancel a download once it has started");
  await userEvent.click(cancel);
  expect(backend.callsOf("cancelTask")).toEqual([]);
});
