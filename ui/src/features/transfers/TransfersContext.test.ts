import type { Transfer, TransferEvent } from "../../backend";
import { applyTransferEvents } from "../../backend/transferEvents";
import { eventBatcher } from "./TransfersContext";

const row = (id: string, state: Transfer["state"]): Transfer => ({
  id,
  direction: "upload",
  name: `${id}.txt`,
  state,
  bytesDone: 0,
  bytesTotal: 10,
  speedBps: 0,
  etaSeconds: null,
  error: null,
  savedAs: null,
  renamedFiles: 0,
  phase: "transfer",
  checkedBytes: 0,
});

test("a burst of channel events reaches the list as one batch, in order", () => {
  vi.useFakeTimers();
  try {
    const batches: TransferEvent[][] = [];
    const push = eventBatcher((events) => batches.push(events));
    for (let i = 0; i < 10000; i++) push({ kind: "update", transfer: row(`t${i}`, "paused") });
    push({ kind: "removed", id: "t0" });
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(200);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(10001);
    // Later events start a new batch.
    push({ kind: "update", transfer: row("t1", "running") });
    vi.advanceTimersByTime(200);
    expect(batches.map((b) => b.length)).toEqual([10001, 1]);
  } finally {
    vi.useRealTimers();
  }
});

test("a batch applies updates and removals in order on one copy of the map", () => {
  const before = new Map([["a", row("a", "queued")]]);
  const after = applyTransferEvents(before, [
    { kind: "update", transfer: row("a", "paused") },
    { kind: "update", transfer: row("b", "queued") },
    { kind: "removed", id: "b" },
  ]);
  expect([...after.values()].map((t) => [t.id, t.state])).toEqual([["a", "paused"]]);
  expect(before.get("a")!.state).toBe("queued");
});

test("a snapshot (sent when the stream dropped events) replaces the list, later events apply on top", () => {
  const before = new Map([
    ["a", row("a", "queued")],
    ["gone", row("gone", "completed")],
  ]);
  const after = applyTransferEvents(before, [
    { kind: "snapshot", transfers: [row("a", "paused"), row("b", "paused")] },
    { kind: "update", transfer: row("b", "running") },
  ]);
  expect([...after.values()].map((t) => [t.id, t.state])).toEqual([
    ["a", "paused"],
    ["b", "running"],
  ]);
});

test("a batch message (a burst sent at once) updates its rows and leaves the others", () => {
  const before = new Map([
    ["a", row("a", "queued")],
    ["c", row("c", "completed")],
  ]);
  const after = applyTransferEvents(before, [{ kind: "batch", transfers: [row("a", "paused"), row("b", "paused")] }]);
  expect([...after.values()].map((t) => [t.id, t.state])).toEqual([
    ["a", "paused"],
    ["c", "completed"],
    ["b", "paused"],
  ]);
});

test("a states message (pause all) moves the listed rows, keeps their bytes, and ignores ids it does not list", () => {
  const running = { ...row("a", "running"), bytesDone: 4, speedBps: 1000, etaSeconds: 6 };
  const before = new Map([
    ["a", running],
    ["b", row("b", "queued")],
    ["c", row("c", "completed")],
  ]);
  const after = applyTransferEvents(before, [
    { kind: "states", ids: ["a", "b", "inside-a-folder"], state: "paused" },
    { kind: "update", transfer: row("b", "running") },
  ]);
  expect([...after.values()].map((t) => [t.id, t.state])).toEqual([
    ["a", "paused"],
    ["b", "running"],
    ["c", "completed"],
  ]);
  expect(after.get("a")).toMatchObject({ bytesDone: 4, speedBps: 0, etaSeconds: null });
  expect(after.has("inside-a-folder")).toBe(false);
  expect(before.get("a")!.state).toBe("running");
});
