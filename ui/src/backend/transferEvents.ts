// What the transfer channel's messages mean for the list of rows: shared by the app and the
// fake backend, so both read the protocol the same way.
import type { Transfer, TransferEvent } from "./types";

/** Applies a batch of channel events in order with one copy of the map (pure). */
export function applyTransferEvents(map: Map<string, Transfer>, events: TransferEvent[]): Map<string, Transfer> {
  let next = new Map(map);
  for (const event of events) {
    if (event.kind === "update") next.set(event.transfer.id, event.transfer);
    else if (event.kind === "removed") next.delete(event.id);
    else if (event.kind === "batch") for (const t of event.transfers) next.set(t.id, t);
    else if (event.kind === "states") {
      for (const id of event.ids) {
        const t = next.get(id);
        if (t && t.state !== event.state) next.set(id, { ...t, state: event.state, speedBps: 0, etaSeconds: null });
      }
    } else next = new Map(event.transfers.map((t) => [t.id, t]));
  }
  return next;
}
