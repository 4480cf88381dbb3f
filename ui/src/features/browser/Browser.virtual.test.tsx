import { fireEvent, screen, waitFor } from "@testing-library/react";
import { FakeBackend, FAKE_ROOT } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { Browser } from "./Browser";
import { ROW_HEIGHT } from "./FileList";

function bigFolder() {
  const backend = new FakeBackend();
  backend.addGeneratedFolder(FAKE_ROOT, 100_000);
  return backend;
}

test("a 100,000-entry folder keeps only a screenful of rows in the DOM", async () => {
  const backend = bigFolder();
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  const rows = screen.getAllByTestId("row");
  // 600px viewport / 34px rows ≈ 18 visible, plus overscan.
  expect(rows.length).toBeGreaterThan(10);
  expect(rows.length).toBeLessThan(60);
  expect(rows[0].dataset.name).toBe("file-000000.bin");
  expect(screen.getByTestId("statusbar").textContent).toContain("100000 items");
  // Only the first window was requested, not the whole folder.
  expect(backend.callsOf("list")).toEqual([["acc-1", FAKE_ROOT, "name", "asc", 0, 200]]);
});

test("scrolling asks the backend for the window under the viewport", async () => {
  const backend = bigFolder();
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  const scroller = screen.getByTestId("file-scroll");
  scroller.scrollTop = 50_000 * ROW_HEIGHT;
  fireEvent.scroll(scroller);
  await waitFor(() => expect(screen.getAllByTestId("row").some((r) => r.dataset.name === "file-050000.bin")).toBe(true));
  const offsets = backend.callsOf("list").map((args) => args[4]);
  // Row 50,000 lives in the window starting at 50,000; the overscan above it reaches into 49,800.
  expect(offsets).toContain(50_000);
  expect(offsets.every((o) => o === 0 || o === 49_800 || o === 50_000)).toBe(true);
  expect(backend.callsOf("list").every((args) => args[5] === 200)).toBe(true);
  expect(screen.getAllByTestId("row").length).toBeLessThan(60);
});

test("clicking a column header re-sorts through the backend", async () => {
  const backend = bigFolder();
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  fireEvent.click(screen.getByTestId("sort-name"));
  await waitFor(() => expect(screen.getAllByTestId("row")[0].dataset.name).toBe("file-099999.bin"));
  expect(backend.callsOf("list").at(-1)).toEqual(["acc-1", FAKE_ROOT, "name", "desc", 0, 200]);
  fireEvent.click(screen.getByTestId("sort-size"));
  await waitFor(() => expect(backend.callsOf("list").at(-1)).toEqual(["acc-1", FAKE_ROOT, "size", "asc", 0, 200]));
});

test("Ctrl+A on a huge folder selects every row, loading missing windows", async () => {
  const backend = new FakeBackend();
  backend.addGeneratedFolder(FAKE_ROOT, 1_000);
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  fireEvent.keyDown(document.body, { key: "a", ctrlKey: true });
  await waitFor(() => expect(screen.getByTestId("selected-count").textContent).toBe("1000 selected"));
  expect(backend.callsOf("list").map((a) => a[4])).toEqual([0, 200, 400, 600, 800]);
});

test("search results are paged like a folder: past 2 000 hits, more load on scroll", async () => {
  const backend = new FakeBackend();
  backend.addGeneratedFolder(`${FAKE_ROOT}/A/B`, 5_000);
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  fireEvent.change(screen.getByTestId("search-input"), { target: { value: "file-" } });
  fireEvent.submit(screen.getByTestId("search-input").closest("form")!);
  await waitFor(() => expect(screen.getAllByTestId("row")[0].dataset.name).toBe("file-000000.bin"));
  expect(screen.getByTestId("statusbar").textContent).toContain("5000 items");
  expect(backend.callsOf("search")).toEqual([["acc-1", FAKE_ROOT, "file-", 0, 200]]);
  const scroller = screen.getByTestId("file-scroll");
  scroller.scrollTop = 4_500 * ROW_HEIGHT;
  fireEvent.scroll(scroller);
  await waitFor(() => expect(screen.getAllByTestId("row").some((r) => r.dataset.name === "file-004500.bin")).toBe(true));
  expect(backend.callsOf("search").map((a) => a[3])).toContain(4_400);
  expect(screen.getAllByTestId("row").length).toBeLessThan(60);
  // Each hit names its folder.
  expect(screen.getAllByTestId("hit-folder")[0].textContent).toBe("/A/B");
});
