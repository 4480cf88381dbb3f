import { createContext, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { useBackend, type Transfer, type TransferEvent } from "../../backend";

interface TransfersValue {
  transfers: Transfer[];
  /** Bumped whenever an upload completes, so file views can refresh. */
  uploadsCompleted: number;
}

const TransfersContext = createContext<TransfersValue>({ transfers: [], uploadsCompleted: 0 });

/** Applies one channel event to the transfer map (pure, for testing). */
export function applyTransferEvent(map: Map<string, Transfer>, event: TransferEvent): Map<string, Transfer> {
  const next = new Map(map);
  if (event.kind === "update") next.set(event.transfer.id, event.transfer);
  else next.delete(event.id);
  return next;
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
    void backend
      .subscribeTransfers((event) => {
        if (event.kind === "update") {
          seen.add(event.transfer.id);
          if (event.transfer.direction === "upload" && event.transfer.state === "completed") setUploadsCompleted((n) => n + 1);
        }
        setMap((m) => applyTransferEvent(m, event));
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
