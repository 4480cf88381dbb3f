import { act, createEvent, fireEvent, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend, FAKE_ROOT } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { Browser } from "./Browser";

const names = () => screen.getAllByTestId("row").map((r) => r.dataset.name);
const row = (name: string) => screen.getAllByTestId("row").find((r) => r.dataset.name === name)!;

async function setup(backend = new FakeBackend(), mode: "files" | "trash" = "files") {
  renderWith(backend, <Browser accountId="acc-1" mode={mode} />);
  if (mode === "files") await screen.findAllByTestId("row");
  return backend;
}

test("double-click opens a folder; breadcrumbs, Backspace and forward navigate", async () => {
  const backend = await setup();
  fireEvent.doubleClick(row("Documents"));
  await waitFor(() => expect(names()).toEqual(["cv.docx"]));
  expect(screen.getAllByTestId("crumb").map((c) => c.textContent)).toEqual(["My files", "Documents"]);
  fireEvent.keyDown(document.body, { key: "Backspace" });
  await waitFor(() => expect(names()).toContain("Documents"));
  await userEvent.click(screen.getByTestId("nav-forward"));
  await waitFor(() => expect(names()).toEqual(["cv.docx"]));
  fireEvent.keyDown(document.body, { key: "ArrowLeft", altKey: true });
  await waitFor(() => expect(names()).toContain("Documents"));
  expect(backend.callsOf("list").map((c) => c[1])).toEqual([FAKE_ROOT, `${FAKE_ROOT}/Documents`, FAKE_ROOT, `${FAKE_ROOT}/Documents`, FAKE_ROOT]);
});

test("click, ctrl-click and shift-click select rows; Enter opens the focused folder", async () => {
  await setup();
  fireEvent.click(row("Photos"));
  fireEvent.click(row("report.pdf"), { shiftKey: true });
  expect(screen.getByTestId("selected-count").textContent).toBe("3 selected");
  fireEvent.click(row("notes.txt"), { ctrlKey: true });
  expect(screen.getByTestId("selected-count").textContent).toBe("2 selected");
  expect(row("notes.txt").getAttribute("aria-selected")).toBe("false");
  fireEvent.click(row("Documents"));
  fireEvent.keyDown(document.body, { key: "ArrowDown" });
  expect(row("Photos").getAttribute("aria-selected")).toBe("true");
  fireEvent.keyDown(document.body, { key: "ArrowUp" });
  fireEvent.keyDown(document.body, { key: "Enter" });
  await waitFor(() => expect(names()).toEqual(["cv.docx"]));
});

test("F2 renames inline and Enter commits through files_rename", async () => {
  const backend = await setup();
  fireEvent.click(row("notes.txt"));
  fireEvent.keyDown(document.body, { key: "F2" });
  const input = (await screen.findByTestId("rename-input")) as HTMLInputElement;
  // The stem is pre-selected, like desktop file managers.
  expect([input.selectionStart, input.selectionEnd]).toEqual([0, 5]);
  await userEvent.clear(input);
  await userEvent.type(input, "todo.txt{Enter}");
  await waitFor(() => expect(names()).toContain("todo.txt"));
  expect(backend.callsOf("rename")).toEqual([["acc-1", `${FAKE_ROOT}/notes.txt`, "todo.txt"]]);
});

test("Delete asks for confirmation, then moves to trash; the trash restores", async () => {
  const backend = await setup();
  fireEvent.click(row("report.pdf"));
  fireEvent.keyDown(document.body, { key: "Delete" });
  await userEvent.click(await screen.findByTestId("confirm-ok"));
  await waitFor(() => expect(names()).not.toContain("report.pdf"));
  expect(backend.callsOf("remove")).toEqual([["acc-1", [`${FAKE_ROOT}/report.pdf`], false]]);
});

test("trash view: restore and permanent delete", async () => {
  const backend = new FakeBackend();
  await backend.remove("acc-1", [`${FAKE_ROOT}/notes.txt`, `${FAKE_ROOT}/report.pdf`], false);
  await setup(backend, "trash");
  await screen.findAllByTestId("row");
  fireEvent.click(row("notes.txt"));
  await userEvent.click(screen.getByTestId("restore"));
  await waitFor(() => expect(names()).toEqual(["report.pdf"]));
  expect(backend.callsOf("restore")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`]]]);
  fireEvent.contextMenu(row("report.pdf"));
  await userEvent.click(screen.getByTestId("menu-delete-permanent"));
  await userEvent.click(await screen.findByTestId("confirm-ok"));
  await waitFor(() => expect(screen.queryAllByTestId("row")).toHaveLength(0));
  expect(backend.callsOf("remove").at(-1)).toEqual(["acc-1", [`${FAKE_ROOT}/report.pdf`], true]);
  expect(screen.getByText("The trash is empty")).toBeTruthy();
});

test("Ctrl+N creates a folder via the prompt", async () => {
  const backend = await setup();
  fireEvent.keyDown(document.body, { key: "n", ctrlKey: true });
  const input = await screen.findByTestId("prompt-input");
  await userEvent.clear(input);
  await userEvent.type(input, "Music{Enter}");
  await waitFor(() => expect(names()).toContain("Music"));
  expect(backend.callsOf("mkdir")).toEqual([["acc-1", FAKE_ROOT, "Music"]]);
});

test("context menu on a file offers share, and the share dialog shows a copyable link", async () => {
  const backend = await setup();
  fireEvent.contextMenu(row("report.pdf"));
  const menu = screen.getByTestId("context-menu");
  expect(within(menu).queryByTestId("menu-extract")).toBeNull();
  await userEvent.click(within(menu).getByTestId("menu-share"));
  await userEvent.click(screen.getByTestId("share-use-password"));
  await userEvent.clear(screen.getByTestId("share-password"));
  await userEvent.type(screen.getByTestId("share-password"), "abc123");
  await userEvent.selectOptions(screen.getByTestId("share-expiry"), "After 7 days");
  await userEvent.click(screen.getByTestId("share-limit"));
  await userEvent.clear(screen.getByTestId("share-downloads"));
  await userEvent.type(screen.getByTestId("share-downloads"), "3");
  await userEvent.click(screen.getByTestId("share-create"));
  const link = (await screen.findByTestId("share-link")) as HTMLInputElement;
  expect(link.value).toMatch(/^https:\/\/drive\.example\.com\/s\//);
  expect(backend.callsOf("createShare")).toEqual([["acc-1", `${FAKE_ROOT}/report.pdf`, { password: "abc123", expireSeconds: 604800, downloads: 3 }]]);
  await userEvent.click(screen.getByTestId("share-copy"));
  expect(backend.callsOf("copyToClipboard")).toEqual([[`${link.value} (Password: abc123)`]]);
});

test("dragging rows onto a folder moves them; holding Ctrl copies", async () => {
  const backend = await setup();
  const dataTransfer = { setData: vi.fn(), effectAllowed: "", dropEffect: "" };
  fireEvent.dragStart(row("notes.txt"), { dataTransfer });
  fireEvent.dragOver(row("Photos"), { dataTransfer });
  expect(row("Photos").className).toContain("drop-target");
  fireEvent.drop(row("Photos"), { dataTransfer });
  await waitFor(() => expect(names()).not.toContain("notes.txt"));
  expect(backend.callsOf("move")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`], `${FAKE_ROOT}/Photos`]]);

  // jsdom has no DragEvent, so modifier keys must be put on the event by hand.
  const withCtrl = (ev: Event) => (Object.defineProperty(ev, "ctrlKey", { value: true }), ev);
  fireEvent.dragStart(row("report.pdf"), { dataTransfer });
  fireEvent(row("Documents"), withCtrl(createEvent.dragOver(row("Documents"), { dataTransfer })));
  fireEvent(row("Documents"), withCtrl(createEvent.drop(row("Documents"), { dataTransfer })));
  await waitFor(() => expect(backend.callsOf("copy")).toEqual([["acc-1", [`${FAKE_ROOT}/report.pdf`], `${FAKE_ROOT}/Documents`]]));
  expect(names()).toContain("report.pdf");
});

test("server names are text: HTML is not interpreted and bidi overrides are visible", async () => {
  const backend = new FakeBackend();
  backend.folders.get(FAKE_ROOT)!.push(
    { uri: `${FAKE_ROOT}/x`, name: '<img src=x onerror="alert(1)">', kind: "file", size: 1, createdAt: "", updatedAt: "", uploading: false },
    { uri: `${FAKE_ROOT}/y`, name: "invoice\u202Efdp.exe", kind: "file", size: 1, createdAt: "", updatedAt: "", uploading: false },
  );
  await setup(backend);
  expect(document.querySelector("img")).toBeNull();
  expect(row('<img src=x onerror="alert(1)">').textContent).toContain('<img src=x onerror="alert(1)">');
  const spoof = row("invoice\u202Efdp.exe");
  expect(spoof.textContent).toContain("invoice⟨U+202E⟩fdp.exe");
  expect(spoof.textContent).not.toContain("\u202E");
  expect(spoof.querySelector(".suspicious")).not.toBeNull();
});

test("search runs in Rust and shows results; Escape returns to the folder", async () => {
  const backend = await setup();
  fireEvent.keyDown(document.body, { key: "f", ctrlKey: true });
  const box = screen.getByTestId("search-input");
  expect(document.activeElement).toBe(box);
  await userEvent.type(box, "cv{Enter}");
  await waitFor(() => expect(names()).toEqual(["cv.docx"]));
  expect(backend.callsOf("search")).toEqual([["acc-1", FAKE_ROOT, "cv", 0, 200]]);
  await userEvent.type(box, "{Escape}");
  await waitFor(() => expect(names()).toContain("Documents"));
});

test("grid view renders the same entries as tiles", async () => {
  await setup();
  await userEvent.click(screen.getByTestId("view-grid"));
  expect(document.querySelector(".file-list.view-grid")).not.toBeNull();
  expect(names()).toEqual(["Documents", "Photos", "notes.txt", "report.pdf"]);
});

test("info panel shows details fetched with file_info", async () => {
  const backend = await setup();
  fireEvent.click(row("report.pdf"));
  await userEvent.click(screen.getByTestId("toggle-info"));
  const panel = screen.getByTestId("info-panel");
  await waitFor(() => expect(backend.callsOf("fileInfo")).toEqual([["acc-1", `${FAKE_ROOT}/report.pdf`]]));
  expect(panel.textContent).toContain("4.8 MiB");
  expect(panel.textContent).toContain("5,000,000 B");
});

test("upload with conflicts shows the dialog BEFORE starting, and passes the choices", async () => {
  const backend = new FakeBackend({
    uploadConflicts: [
      { name: "a.txt", uri: `${FAKE_ROOT}/a.txt` },
      { name: "b.txt", uri: `${FAKE_ROOT}/b.txt` },
      { name: "c.txt", uri: `${FAKE_ROOT}/c.txt` },
    ],
  });
  await setup(backend);
  await userEvent.click(screen.getByTestId("upload-button"));
  await userEvent.click(screen.getByTestId("upload-files"));
  expect(backend.callsOf("pickUpload")).toEqual([["acc-1", FAKE_ROOT, false]]);
  const dialog = await screen.findByTestId("conflict-dialog");
  expect(backend.callsOf("startUpload")).toEqual([]);
  expect(within(dialog).getByTestId("conflict-name").textContent).toBe("a.txt");
  await userEvent.click(within(dialog).getByTestId("conflict-overwrite"));
  expect(within(dialog).getByTestId("conflict-name").textContent).toBe("b.txt");
  await userEvent.click(within(dialog).getByTestId("conflict-apply-all"));
  await userEvent.click(within(dialog).getByTestId("conflict-skip"));
  await waitFor(() => expect(screen.queryByTestId("conflict-dialog")).toBeNull());
  expect(backend.callsOf("startUpload")).toEqual([["plan-1", "skip", [{ uri: `${FAKE_ROOT}/a.txt`, conflict: "overwrite" }]]]);
});

test("upload without conflicts starts at once; Ctrl+U picks files", async () => {
  const backend = await setup();
  fireEvent.keyDown(document.body, { key: "u", ctrlKey: true });
  await waitFor(() => expect(backend.callsOf("startUpload")).toEqual([["plan-1", "keepBoth", []]]));
  expect(screen.queryByTestId("conflict-dialog")).toBeNull();
});

test("OS drop: hover highlights, drop plans an upload into the current folder", async () => {
  const backend = await setup();
  fireEvent.doubleClick(row("Photos"));
  await waitFor(() => expect(screen.getAllByTestId("crumb")).toHaveLength(2));
  await waitFor(() => expect(backend.dropHandlers.size).toBe(1));
  act(() => backend.emitDropHover(true));
  expect(screen.getByTestId("drop-overlay")).toBeTruthy();
  act(() => backend.emitDrop({}));
  expect(screen.queryByTestId("drop-overlay")).toBeNull();
  await waitFor(() => expect(backend.callsOf("planDrop")).toEqual([["acc-1", `${FAKE_ROOT}/Photos`]]));
  await waitFor(() => expect(backend.callsOf("startUpload")).toHaveLength(1));
});

test("batch failures are reported, not swallowed", async () => {
  const backend = await setup();
  vi.spyOn(backend, "remove").mockResolvedValue({ failed: [{ uri: "x", kind: "permissionDenied", message: "no" }] });
  fireEvent.click(row("notes.txt"));
  fireEvent.keyDown(document.body, { key: "Delete" });
  await userEvent.click(await screen.findByTestId("confirm-ok"));
  expect((await screen.findByTestId("toast")).textContent).toBe("1 item(s) failed: You do not have permission to do that.");
});

test("toolbar and context menu download to the default folder or a chosen one", async () => {
  const backend = await setup();
  fireEvent.click(row("notes.txt"));
  fireEvent.click(row("report.pdf"), { ctrlKey: true });
  await userEvent.click(screen.getByTestId("download-selected"));
  expect(backend.callsOf("download")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`, `${FAKE_ROOT}/report.pdf`], true]]);
  fireEvent.contextMenu(row("report.pdf"));
  await userEvent.click(screen.getByTestId("menu-download-to"));
  expect(backend.callsOf("download").at(-1)).toEqual(["acc-1", [`${FAKE_ROOT}/notes.txt`, `${FAKE_ROOT}/report.pdf`], false]);
});

test("archive and extract from the context menu create server tasks", async () => {
  const backend = new FakeBackend();
  backend.folders.get(FAKE_ROOT)!.push({ uri: `${FAKE_ROOT}/pack.zip`, name: "pack.zip", kind: "file", size: 9, createdAt: "", updatedAt: "", uploading: false });
  await setup(backend);
  fireEvent.contextMenu(row("pack.zip"));
  await userEvent.click(screen.getByTestId("menu-extract"));
  await waitFor(() => expect(backend.callsOf("extract")).toEqual([["acc-1", `${FAKE_ROOT}/pack.zip`, FAKE_ROOT]]));
  fireEvent.click(row("notes.txt"));
  fireEvent.contextMenu(row("notes.txt"));
  await userEvent.click(screen.getByTestId("menu-archive"));
  const input = await screen.findByTestId("prompt-input");
  await userEvent.clear(input);
  await userEvent.type(input, "my notes.zip{Enter}");
  await waitFor(() => expect(backend.callsOf("createArchive")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`], FAKE_ROOT, "my notes.zip"]]));
});

test("search hits show the folder they are in; clicking it opens that folder", async () => {
  await setup();
  await userEvent.type(screen.getByTestId("search-input"), "cv{Enter}");
  await waitFor(() => expect(names()).toEqual(["cv.docx"]));
  const folder = within(row("cv.docx")).getByTestId("hit-folder");
  expect(folder.textContent).toBe("/Documents");
  expect(screen.getByRole("columnheader", { name: "Folder" })).toBeTruthy();
  expect(screen.queryByTestId("search-capped")).toBeNull();
  await userEvent.click(folder);
  await waitFor(() => expect(screen.getAllByTestId("crumb").map((c) => c.textContent)).toEqual(["My files", "Documents"]));
  expect(names()).toEqual(["cv.docx"]);
  expect(screen.queryAllByTestId("hit-folder")).toEqual([]);
});

test("a search the server capped says so", async () => {
  const backend = new FakeBackend();
  backend.searchLimited = true;
  await setup(backend);
  await userEvent.type(screen.getByTestId("search-input"), "o{Enter}");
  const banner = await screen.findByTestId("search-capped");
  expect(banner.getAttribute("role")).toBe("status");
  expect(banner.textContent).toMatch(/some matches may be missing/);
  // Back in a folder the notice is gone.
  await userEvent.type(screen.getByTestId("search-input"), "{Escape}");
  await waitFor(() => expect(screen.queryByTestId("search-capped")).toBeNull());
});

test("Shift+F10 and the Menu key open the context menu of the focused row; Escape gives focus back", async () => {
  await setup();
  fireEvent.click(row("notes.txt"));
  fireEvent.keyDown(document.body, { key: "F10", shiftKey: true });
  const menu = await screen.findByTestId("context-menu");
  expect(within(menu).getByTestId("menu-share")).toBeTruthy();
  expect(document.activeElement?.getAttribute("role")).toBe("menuitem");
  fireEvent.keyDown(document.activeElement!, { key: "Escape" });
  await waitFor(() => expect(screen.queryByTestId("context-menu")).toBeNull());
  expect(document.activeElement).toBe(screen.getByTestId("browser"));
  // The Menu key on the next row: the menu is for that row alone.
  fireEvent.keyDown(document.body, { key: "ArrowDown" });
  fireEvent.keyDown(document.body, { key: "ContextMenu" });
  await screen.findByTestId("context-menu");
  expect(screen.getByTestId("selected-count").textContent).toBe("1 selected");
  expect(row("report.pdf").getAttribute("aria-selected")).toBe("true");
  // With nothing selected it is the folder's menu.
  fireEvent.keyDown(document.activeElement!, { key: "Escape" });
  fireEvent.keyDown(document.body, { key: "Escape" });
  fireEvent.keyDown(document.body, { key: "ContextMenu" });
  const folderMenu = await screen.findByTestId("context-menu");
  expect(within(folderMenu).getByTestId("menu-new-folder")).toBeTruthy();
});

test("Move to… picks a folder with the keyboard alone", async () => {
  const backend = await setup();
  fireEvent.click(row("notes.txt"));
  fireEvent.keyDown(document.body, { key: "F10", shiftKey: true });
  await screen.findByTestId("context-menu");
  await userEvent.click(screen.getByTestId("menu-move-to"));
  const picker = await screen.findByTestId("folder-picker");
  // The first subfolder has the focus; Enter opens it; Backspace goes back up.
  await waitFor(() => expect(document.activeElement?.getAttribute("data-name")).toBe("Documents"));
  await userEvent.keyboard("{Enter}");
  await waitFor(() => expect(within(picker).getByTestId("picker-path").textContent).toBe("Documents"));
  await userEvent.keyboard("{Backspace}");
  await waitFor(() => expect(within(picker).getByTestId("picker-path").textContent).toBe("My files"));
  await waitFor(() => expect(document.activeElement?.getAttribute("data-name")).toBe("Documents"));
  await userEvent.keyboard("{ArrowDown}");
  await userEvent.tab();
  await waitFor(() => expect(document.activeElement?.getAttribute("data-name")).toBe("Photos"));
  await userEvent.keyboard("{Enter}");
  await waitFor(() => expect(within(picker).getByTestId("picker-path").textContent).toBe("Photos"));
  // An empty folder: the focus lands on the action button.
  await waitFor(() => expect(document.activeElement).toBe(within(picker).getByTestId("picker-ok")));
  expect(document.activeElement?.textContent).toBe("Move here");
  await userEvent.keyboard("{Enter}");
  await waitFor(() => expect(backend.callsOf("move")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`], `${FAKE_ROOT}/Photos`]]));
  await waitFor(() => expect(screen.queryByTestId("folder-picker")).toBeNull());
});

test("Copy to… never offers the copied folder itself as the destination", async () => {
  const backend = await setup();
  fireEvent.click(row("Documents"));
  fireEvent.keyDown(document.body, { key: "ContextMenu" });
  await userEvent.click(await screen.findByTestId("menu-copy-to"));
  const picker = await screen.findByTestId("folder-picker");
  await waitFor(() => expect(within(picker).getAllByTestId("picker-folder").map((b) => b.dataset.name)).toEqual(["Photos"]));
  await userEvent.click(within(picker).getByTestId("picker-ok"));
  await waitFor(() => expect(backend.callsOf("copy")).toEqual([["acc-1", [`${FAKE_ROOT}/Documents`], FAKE_ROOT]]));
});

test("the grid sort control is named for what it does", async () => {
  await setup();
  await userEvent.click(screen.getByTestId("view-grid"));
  expect(screen.getByRole("combobox", { name: "Sort by" })).toBe(screen.getByTestId("grid-sort"));
  // It sits in the toolbar (like the list view's column headers), not in a box of its own.
  expect(screen.getByTestId("grid-sort").closest(".toolbar")).not.toBeNull();
});

test("Enter on a button outside the list activates that button, not the focused row", async () => {
  renderWith(
    new FakeBackend(),
    <>
      <button type="button" data-testid="outside">
        elsewhere
      </button>
      <Browser accountId="acc-1" mode="files" />
    </>,
  );
  await screen.findAllByTestId("row");
  fireEvent.click(row("Documents"));
  fireEvent.keyDown(screen.getByTestId("outside"), { key: "Enter" });
  fireEvent.keyDown(screen.getByTestId("refresh"), { key: "Enter" });
  await act(async () => {});
  expect(names()).toContain("Photos");
  // From the list itself Enter still opens the row.
  fireEvent.keyDown(screen.getByTestId("file-list"), { key: "Enter" });
  await waitFor(() => expect(names()).toEqual(["cv.docx"]));
});
