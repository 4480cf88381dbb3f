/**
 * Dragging rows out of the window onto a file manager or the desktop.
 *
 * The row drag starts as an HTML5 drag (dropping onto a folder inside Cirrus still moves). Rust
 * learns which items the drag's token stands for; when the pointer leaves the window, Rust
 * continues it as a native drag that gives another app files (queued downloads into the drop
 * folder, or staged local copies). The page never sees a local path.
 */
import { useCallback, useEffect, useRef } from "react";
import { useBackend } from "../../backend";

/**
 * On. The HTML5 drag carries no `text/uri-list` (with one, WebKitGTK's file-drop handling
 * took drops onto our own window and the in-app move broke, as a real X11 drag showed): when
 * the pointer leaves the window, Rust replaces the drag by a native one offering files.
 */
export const dragOutSettings = { enabled: true };

/** What the drag's `text/uri-list` carries, followed by the token (Rust looks for it). */
export const DRAG_MARKER_PREFIX = "cirrus-drag:";

/**
 * How long the pointer must stay out before the downloads start: WebKitGTK also sends a late
 * `dragleave` when a drag is dropped onto the window, which must not start downloads.
 */
export const LEAVE_SETTLE_MS = 250;

/** A fresh token: an id only (Rust refuses anything but letters, digits, `-` and `_`). */
export function newDragToken(): string {
  const c = globalThis.crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `d-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * Whether a `dragleave` means the pointer left the window: it has no element to go to and is
 * on or past the edge (WebKit reports the last point inside, or 0,0).
 */
export function pointerLeftWindow(
  e: { clientX: number; clientY: number; relatedTarget: EventTarget | null },
  width: number,
  height: number,
): boolean {
  if (e.relatedTarget) return false;
  return e.clientX <= 0 || e.clientY <= 0 || e.clientX >= width - 1 || e.clientY >= height - 1;
}

/** `dragover` repeats every few tens of milliseconds while the pointer is over a folder. */
export const OVER_FRESH_MS = 400;

/** The folder a drop handed back by Rust lands on: the last one dragged over, if recently. */
export function internalDropTarget<T extends { at: number }>(lastOver: T | null, now: number): T | null {
  return lastOver && now - lastOver.at <= OVER_FRESH_MS ? lastOver : null;
}

/**
 * Tracks the row drag in progress for dragging out. Returns `begin`, called from a row's
 * `dragstart` with the dragged items; the hook follows the pointer leaving and re-entering
 * the window and the end of the drag.
 */
export function useDragOut(accountId: string, onError?: (e: unknown) => void) {
  const backend = useBackend();
  const current = useRef<{ token: string; outside: boolean } | null>(null);
  const report = useRef(onError);
  report.current = onError;

  const begin = useCallback(
    (uris: string[], _data: DataTransfer) => {
      if (!dragOutSettings.enabled) return;
      const token = newDragToken();
      current.current = { token, outside: false };
      backend.dragOutBegin(token, accountId, uris).catch((e) => report.current?.(e));
    },
    [backend, accountId],
  );

  useEffect(() => {
    let settle: ReturnType<typeof setTimeout> | undefined;
    const cancelSettle = () => {
      clearTimeout(settle);
      settle = undefined;
    };
    const leave = (e: DragEvent) => {
      const c = current.current;
      if (!c || c.outside || !pointerLeftWindow(e, window.innerWidth, window.innerHeight)) return;
      cancelSettle();
      settle = setTimeout(() => {
        settle = undefined;
        if (current.current !== c) return;
        c.outside = true;
        backend.dragOutPointer(c.token, true).catch((err) => report.current?.(err));
      }, LEAVE_SETTLE_MS);
    };
    const enter = () => {
      cancelSettle();
      const c = current.current;
      if (!c || !c.outside) return;
      c.outside = false;
      backend.dragOutPointer(c.token, false).catch(() => {});
    };
    const end = () => {
      cancelSettle();
      const c = current.current;
      if (!c) return;
      current.current = null;
      backend.dragOutEnd(c.token).catch(() => {});
    };
    document.addEventListener("dragleave", leave);
    document.addEventListener("dragenter", enter);
    document.addEventListener("dragend", end);
    return () => {
      document.removeEventListener("dragleave", leave);
      document.removeEventListener("dragenter", enter);
      document.removeEventListener("dragend", end);
      cancelSettle();
    };
  }, [backend]);

  return begin;
}
