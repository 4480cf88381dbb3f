import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import { FakeBackend, FAKE_ROOT } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { Browser } from "./Browser";
import { dragOutSettings, internalDropTarget, LEAVE_SETTLE_MS, newDragToken, OVER_FRESH_MS, pointerLeftWindow } from "./dragOut";

beforeEach(() => {
  dragOutSettings.enabled = true;
});
afterEach(() => {
  dragOutSettings.enabled = true;
});

const row = (name: string) => screen.getAllByTestId("row").find((r) => r.dataset.name === name)!;

async function setup() {
  const backend = new FakeBackend();
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  return backend;
}

function transfer() {
  const data = new Map<string, string>();
  return { data, dataTransfer: { setData: (k: string, v: string) => data.set(k, v), effectAllowed: "", dropEffect: "" } };
}

/** jsdom has no DragEvent: a plain event with the fields the handlers read. */
function docDrag(type: string, init: { clientX?: number; clientY?: number; relatedTarget?: EventTarget | null } = {}) {
  const ev = new Event(type, { bubbles: true });
  Object.assign(ev, { clientX: init.clientX ?? 0, clientY: init.clientY ?? 0, relatedTarget: init.relatedTarget ?? null });
  document.dispatchEvent(ev);
}

test("tokens are plain ids Rust accepts", () => {
  const a = newDragToken();
  expect(a).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  expect(newDragToken()).not.toBe(a);
});

test("only a leave with nowhere to go, at the window's edge, counts as leaving", () => {
  expect(pointerLeftWindow({ clientX: 0, clientY: 300, relatedTarget: null }, 800, 600)).toBe(true);
  expect(pointerLeftWindow({ clientX: 400, clientY: 599, relatedTarget: null }, 800, 600)).toBe(true);
  expect(pointerLeftWindow({ clientX: 400, clientY: 300, relatedTarget: null }, 800, 600)).toBe(false);
  expect(pointerLeftWindow({ clientX: 0, clientY: 0, relatedTarget: document.body }, 800, 600)).toBe(false);
});

test("a drop handed back by Rust lands on the folder dragged over a moment ago only", () => {
  const over = { uri: "f", at: 1000, copy: false };
  expect(internalDropTarget(over, 1000 + OVER_FRESH_MS)).toBe(over);
  expect(internalDropTarget(over, 1001 + OVER_FRESH_MS)).toBeNull();
  expect(internalDropTarget(null, 1000)).toBeNull();
});

test("drag-out is on by default", () => {
  expect(dragOutSettings.enabled).toBe(true);
});

test("a dragged selection carries no file list (Rust goes native outside the window); leaving the window starts the download, the end forgets it", async () => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  try {
    const backend = await setup();
    fireEvent.click(row("notes.txt"));
    fireEvent.click(row("report.pdf"), { ctrlKey: true });
    const { data, dataTransfer } = transfer();
    fireEvent.dragStart(row("report.pdf"), { dataTransfer });
    const [[token, account, uris]] = backend.callsOf("dragOutBegin") as [string, string, string[]][];
    expect(account).toBe("acc-1");
    expect(uris.sort()).toEqual([`${FAKE_ROOT}/notes.txt`, `${FAKE_ROOT}/report.pdf`]);
    // A text/uri-list here would make WebKitGTK treat a drop onto our own window as files.
    expect(data.has("text/uri-list")).toBe(false);
    // The in-app move data is still there.
    expect(data.get("text/plain")).toContain(`${FAKE_ROOT}/report.pdf`);

    // A leave inside the window, or one undone at once, starts nothing.
    docDrag("dragleave", { clientX: 300, clientY: 200 });
    docDrag("dragleave", { clientX: 0, clientY: 0 });
    docDrag("dragenter", { clientX: 5, clientY: 5, relatedTarget: document.body });
    await act(async () => vi.advanceTimersByTime(LEAVE_SETTLE_MS + 50));
    expect(backend.callsOf("dragOutPointer")).toEqual([]);

    docDrag("dragleave", { clientX: 0, clientY: 0 });
    await act(async () => vi.advanceTimersByTime(LEAVE_SETTLE_MS + 50));
    expect(backend.callsOf("dragOutPointer")).toEqual([[token, true]]);
    docDrag("dragenter", { clientX: 5, clientY: 5, relatedTarget: document.body });
    expect(backend.callsOf("dragOutPointer")).toEqual([[token, true], [token, false]]);

    fireEvent.dragEnd(row("report.pdf"));
    expect(backend.callsOf("dragOutEnd")).toEqual([[token]]);
    expect(backend.dragOut).toBeNull();
  } finally {
    vi.useRealTimers();
  }
});

test("grid tiles drag out too", async () => {
  const backend = await setup();
  fireEvent.click(screen.getByTestId("view-grid"));
  const { data, dataTransfer } = transfer();
  fireEvent.dragStart(row("notes.txt"), { dataTransfer });
  expect(backend.callsOf("dragOutBegin")).toEqual([[expect.any(String), "acc-1", [`${FAKE_ROOT}/notes.txt`]]]);
  expect(data.has("text/uri-list")).toBe(false);
});

test("a row drag dropped back onto the window (handed over by Rust) still moves into the folder", async () => {
  const backend = await setup();
  const { dataTransfer } = transfer();
  fireEvent.dragStart(row("notes.txt"), { dataTransfer });
  fireEvent.dragOver(row("Photos"), { dataTransfer });
  // WebKitGTK's late leave comes first; the page never sees the drop itself.
  fireEvent.dragLeave(row("Photos"), { dataTransfer });
  act(() => backend.emitDragInternalDrop());
  await waitFor(() => expect(backend.callsOf("move")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`], `${FAKE_ROOT}/Photos`]]));
  // Handled once: a second event has nothing to move.
  act(() => backend.emitDragInternalDrop());
  expect(backend.callsOf("move")).toHaveLength(1);
});

test("a drop onto a file row moves nothing, and items not ready in time are reported", async () => {
  const backend = await setup();
  const { dataTransfer } = transfer();
  fireEvent.dragStart(row("notes.txt"), { dataTransfer });
  act(() => backend.emitDragInternalDrop());
  expect(backend.callsOf("move")).toEqual([]);
  act(() => backend.emitDragOutIncomplete(2));
  expect(await screen.findByText(/2 dragged item\(s\) were still downloading/)).toBeTruthy();
});

test("while drag-out is off, a row drag is only the in-app move", async () => {
  dragOutSettings.enabled = false;
  const backend = await setup();
  const { data, dataTransfer } = transfer();
  fireEvent.dragStart(row("notes.txt"), { dataTransfer });
  expect(data.has("text/uri-list")).toBe(false);
  expect(backend.callsOf("dragOutBegin")).toEqual([]);
  fireEvent.dragOver(row("Photos"), { dataTransfer });
  fireEvent.drop(row("Photos"), { dataTransfer });
  await waitFor(() => expect(backend.callsOf("move")).toEqual([["acc-1", [`${FAKE_ROOT}/notes.txt`], `${FAKE_ROOT}/Photos`]]));
});
