import { fireEvent, screen, waitFor } from "@testing-library/react";
import { vi } from "vitest";
import { FakeBackend, FAKE_ROOT } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { Browser } from "./Browser";
import { ROW_HEIGHT } from "./FileList";
import { formatDate } from "../../lib/format";

vi.mock("../../lib/format", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../../lib/format")>();
  return { ...actual, formatDate: vi.fn(actual.formatDate) };
});

test("scrolling a few rows renders only the rows that came into view", async () => {
  const backend = new FakeBackend();
  backend.addGeneratedFolder(FAKE_ROOT, 1_000);
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  const inDom = screen.getAllByTestId("row").length;
  const dates = vi.mocked(formatDate);
  dates.mockClear();
  const scroller = screen.getByTestId("file-scroll");
  scroller.scrollTop = 3 * ROW_HEIGHT;
  fireEvent.scroll(scroller);
  await waitFor(() => expect(screen.getAllByTestId("row").some((r) => r.dataset.name === `file-${String(inDom + 2).padStart(6, "0")}.bin`)).toBe(true));
  // Every row's date is formatted when it renders: three new rows, not the whole window again.
  expect(dates.mock.calls.length).toBeGreaterThan(0);
  expect(dates.mock.calls.length).toBeLessThanOrEqual(3);
});
