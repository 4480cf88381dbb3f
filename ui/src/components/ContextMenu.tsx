import { useEffect, useLayoutEffect, useRef, useState } from "react";
import "./ContextMenu.css";

/** One menu entry; `separator` draws a line instead. */
export interface MenuItem {
  id: string;
  label: string;
  onSelect: () => void;
  danger?: boolean;
  disabled?: boolean;
  /** Why the server cannot do this: the item stays, greyed and focusable, with this line under it. */
  reason?: string | null;
  /** A note on hover for an action that works but differs on this server. */
  hint?: string;
  separatorBefore?: boolean;
}

/**
 * A right-click menu at (x, y), kept inside the window. Closes on outside
 * click, Escape, or after a choice. Arrow keys move between items.
 */
export function ContextMenu({ x, y, items, onClose }: { x: number; y: number; items: MenuItem[]; onClose: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  const [pos, setPos] = useState({ x, y });

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const w = el.offsetWidth;
    const h = el.offsetHeight;
    setPos({ x: Math.max(4, Math.min(x, window.innerWidth - w - 4)), y: Math.max(4, Math.min(y, window.innerHeight - h - 4)) });
    el.querySelector<HTMLButtonElement>("button:not(:disabled)")?.focus();
  }, [x, y]);

  useEffect(() => {
    const close = (e: Event) => {
      if (ref.current && e.target instanceof Node && ref.current.contains(e.target)) return;
      onClose();
    };
    window.addEventListener("mousedown", close);
    window.addEventListener("blur", onClose);
    return () => {
      window.removeEventListener("mousedown", close);
      window.removeEventListener("blur", onClose);
    };
  }, [onClose]);

  return (
    <div
      ref={ref}
      className="context-menu"
      role="menu"
      data-testid="context-menu"
      style={{ left: pos.x, top: pos.y }}
      onContextMenu={(e) => e.preventDefault()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === "Escape") onClose();
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          e.preventDefault();
          const buttons = [...(ref.current?.querySelectorAll<HTMLButtonElement>("button:not(:disabled)") ?? [])];
          const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
          const next = buttons[(i + (e.key === "ArrowDown" ? 1 : -1) + buttons.length) % buttons.length];
          next?.focus();
        }
      }}
    >
      {items.map((item) => (
        <div key={item.id}>
          {item.separatorBefore && <hr />}
          <button
            type="button"
            role="menuitem"
            className={item.reason ? "gated-item" : item.danger ? "danger-text" : undefined}
            disabled={item.disabled}
            aria-disabled={item.reason ? true : undefined}
            data-reason={item.reason ?? undefined}
            title={item.reason ?? item.hint}
            data-testid={`menu-${item.id}`}
            onClick={() => {
              if (item.reason) return;
              onClose();
              item.onSelect();
            }}
          >
            {item.label}
            {item.reason && <span className="menu-reason">{item.reason}</span>}
          </button>
        </div>
      ))}
    </div>
  );
}
