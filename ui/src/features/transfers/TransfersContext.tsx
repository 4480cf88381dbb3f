import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useBackend, type Transfer, type TransferEvent } from "../../backend";
import { applyTransferEvents } from "../../backend/transferEvents";

interface TransfersValue {
  transfers: Transfer[];
  /** Bumped whenever an upload completes, so file views can refresh. */
  uploadsCompleted: number;
}

const TransfersContext = createContext<TransfersValue>({ transfers: [], uploadsCompleted: 0 });

/** Longest an event waits for the next frame (a hidden window gets no frames). */
const FLUSH_FALLBACK_MS = 100;

/**
 * Coalesces channel events and hands them to `flush` once per frame. Each event is its own
 * task, and pausing 10 000 queued files sends 10 000 of them: one state update (a map copy
 * and a render of the list) per event made that take seconds (measured by the UI bench).
 */
export function eventBatcher(flush: (events: TransferEvent[]) => void): (event: TransferEvent) => void {
  let pending: TransferEvent[] = [];
  let frame: number | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const run = () => {
    if (frame !== null && typeof cancelAnimationFrame === "function") cancelAnimationFrame(frame);
    if (timer !== null) clearTimeout(timer);
    frame = timer = null;
    const events = pending;
    pending = [];
    if (events.length) flush(events);
  };
  return (event) => {
    pending.push(event);
    if (timer !== null) return;
    timer = setTimeout(run, FLUSH_FALLBACK_MS);
    if (typeof requestAnimationFrame === "function") frame = requestAnimationFrame(run);
  };
}

/**
 * Subscribes once to the transfer channel and keeps the live list. Mounted at
 * the app root so the subscription outlives page switches.
 */
export function TransfersProvider({ children }: { children: ReactNode }) {
  const backend = useBackend();
  const [map, setMap] = useState(() => new Map<string, Transfer>());
  const [uploadsCompleted, setUploadsCompleted] = useState(0);
  const subscribed = useRef(false);

  useEffect(() => {
    // StrictMode runs effects twice; a Rust channel cannot be unsubscribed, so guard.
    if (subscribed.current) return;
    subscribed.current = true;
    const seen = new Set<string>();
    const onEvents = eventBatcher((events) => {
      const rowsOf = (e: TransferEvent) => (e.kind === "update" ? [e.transfer] : e.kind === "batch" ? e.transfers : []);
      const completed = events.flatMap(rowsOf).filter((t) => t.direction === "upload" && t.state === "completed").length;
      if (completed) setUploadsCompleted((n) => n + completed);
      setMap((m) => applyTransferEvents(m, events));
    });
    void backend
      .subscribeTransfers((event) => {
        if (event.kind === "update") seen.add(event.transfer.id);
        if (event.kind === "snapshot" || event.kind === "batch") event.transfers.forEach((t) => seen.add(t.id));
        onEvents(event);
      })
      .then(() => backend.listTransfers())
      .then((list) =>
        // Events that arrived meanwhile are newer than the snapshot: keep them.
        setMap((m) => {
          const next = new Map(m);
          for (const t of list) if (!seen.has(t.id)) next.set(t.id, t);
          return next;
        }),
      )
      .catch(() => {
        // No transfer engine (e.g. Rust side not ready): the panel just stays empty.
      });
  }, [backend]);

  const value = useMemo(() => ({ transfers: [...map.values()], uploadsCompleted }), [map, uploadsCompleted]);
  return <TransfersContext.Provider value={value}>{children}</TransfersContext.Provider>;
}

/** The live list of transfers. */
export function useTransfers(): TransfersValue {
  return useContext(TransfersContext);
}
