import { act, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { Transfer } from "../../backend";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { summariseDecisions } from "./ConflictDialog";
import { TransfersPanel, transferTotals } from "./TransfersPanel";

const base: Transfer = {
  id: "t1",
  direction: "upload",
  name: "movie.mkv",
  state: "running",
  bytesDone: 512 * 1024,
  bytesTotal: 2 * 1024 * 1024,
  speedBps: 1024 * 1024,
  etaSeconds: 65,
  error: null,
  savedAs: null,
  renamedFiles: 0,
  phase: "transfer",
  checkedBytes: 0,
};

test("shows live progress, speed and ETA from channel events, with per-item controls", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <TransfersPanel />);
  await waitFor(() => expect(backend.transferListeners).toHaveLength(1));
  act(() => backend.emitTransfer({ kind: "update", transfer: base }));
  const row = await screen.findByTestId("transfer-row");
  expect(row.textContent).toContain("movie.mkv");
  expect(within(row).getByTestId("transfer-speed").textContent).toBe("1.0 MiB/s");
  expect(within(row).getByTestId("transfer-eta").textContent).toBe("1:05 left");
  expect((row.querySelector("progress") as HTMLProgressElement).value).toBeCloseTo(0.25);
  // The bar has an accessible name: which transfer it measures.
  expect(within(row).getByRole("progressbar", { name: "Progress of movie.mkv" })).toBeTruthy();
  expect(screen.getByTestId("transfers-totals").textContent).toBe("1 active · 512 KiB of 2.0 MiB · 1.0 MiB/s");

  await userEvent.click(within(row).getByTestId("transfer-pause"));
  expect(backend.callsOf("pauseTransfers")).toEqual([["t1"]].map((ids) => [ids]));
  await waitFor(() => expect(screen.getByTestId("transfer-row").dataset.state).toBe("paused"));
  await userEvent.click(screen.getByTestId("transfer-resume"));
  expect(backend.callsOf("resumeTransfers")).toEqual([[["t1"]]]);
});

test("failed transfers can be retried; finished ones cleared; bulk actions send empty ids", async () => {
  const backend = new FakeBackend();
  backend.transfers.set("f", { ...base, id: "f", state: "failed", error: "network down" });
  backend.transfers.set("c", { ...base, id: "c", name: "done.txt", state: "completed", bytesDone: base.bytesTotal });
  renderWith(backend, <TransfersPanel />);
  await waitFor(() => expect(screen.getAllByTestId("transfer-row")).toHaveLength(2));
  const failed = screen.getAllByTestId("transfer-row").find((r) => r.dataset.id === "f")!;
  expect(failed.textContent).toContain("network down");
  await userEvent.click(within(failed).getByTestId("transfer-retry"));
  expect(backend.callsOf("retryTransfers")).toEqual([[["f"]]]);
  // Events reach the list once per frame: "Pause all" enables when the retried row is queued.
  await waitFor(() => expect((screen.getByTestId("transfers-pause-all") as HTMLButtonElement).disabled).toBe(false));
  await userEvent.click(screen.getByTestId("transfers-pause-all"));
  expect(backend.callsOf("pauseTransfers")).toEqual([[[]]]);
  await userEvent.click(screen.getByTestId("transfers-clear"));
  await waitFor(() => expect(screen.getAllByTestId("transfer-row").map((r) => r.dataset.id)).toEqual(["f"]));
});

test("transferTotals ignores finished items and sums only running speed", () => {
  const totals = transferTotals([
    base,
    { ...base, id: "q", state: "queued", speedBps: 999 },
    { ...base, id: "d", state: "completed" },
  ]);
  expect(totals).toEqual({ active: 2, bytesDone: 1024 * 1024, bytesTotal: 4 * 1024 * 1024, speedBps: 1024 * 1024 });
});

test("summariseDecisions keeps only the exceptions to the last choice", () => {
  expect(
    summariseDecisions([
      { uri: "a", conflict: "overwrite" },
      { uri: "b", conflict: "skip" },
      { uri: "c", conflict: "skip" },
    ]),
  ).toEqual({ conflict: "skip", decisions: [{ uri: "a", conflict: "overwrite" }] });
});

test("a download saved under a shorter local name says so, as text", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <TransfersPanel />);
  await waitFor(() => expect(backend.transferListeners).toHaveLength(1));
  const long = "数".repeat(83) + ".txt";
  const local = "数".repeat(77) + "~a1b2c3.txt";
  act(() =>
    backend.emitTransfer({
      kind: "update",
      transfer: { ...base, id: "t9", direction: "download", name: long, state: "completed", savedAs: local },
    }),
  );
  const row = await screen.findByTestId("transfer-row");
  expect(within(row).getByTestId("transfer-saved-as").textContent).toContain(local);
  act(() =>
    backend.emitTransfer({
      kind: "update",
      transfer: { ...base, id: "t9", direction: "download", name: "folder", state: "completed", renamedFiles: 2 },
    }),
  );
  await waitFor(() => expect(within(screen.getByTestId("transfer-row")).getByTestId("transfer-renamed").textContent).toContain("2"));
});

test("an upload hashing its file first shows the checking phase, then an instant upload says so", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <TransfersPanel />);
  await waitFor(() => expect(backend.transferListeners).toHaveLength(1));
  act(() => backend.emitTransfer({ kind: "update", transfer: { ...base, bytesDone: 0, phase: "checking", checkedBytes: 1024 * 1024 } }));
  const row = await screen.findByTestId("transfer-row");
  expect(row.dataset.phase).toBe("checking");
  expect(row.querySelector(".transfer-state")!.textContent).toBe("Checking");
  expect(within(row).getByTestId("transfer-checking").textContent).toBe("Checking the file: 1.0 MiB of 2.0 MiB");
  expect((row.querySelector("progress") as HTMLProgressElement).value).toBeCloseTo(0.5);
  expect(within(row).queryByTestId("transfer-speed")).toBeNull();

  act(() => backend.emitTransfer({ kind: "update", transfer: { ...base, state: "completed", bytesDone: base.bytesTotal, phase: "instant" } }));
  await waitFor(() => expect(screen.getByTestId("transfer-row").dataset.state).toBe("completed"));
  expect(screen.getByTestId("transfer-instant").textContent).toBe("Instant upload: the server already had this file");
});
