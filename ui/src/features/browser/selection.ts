/** Which rows are selected, keyed by URI, plus the anchor/focus rows for keyboard and shift-click. */
export interface Selection {
  uris: Set<string>;
  anchor: number | null;
  focus: number | null;
}

export const EMPTY_SELECTION: Selection = { uris: new Set(), anchor: null, focus: null };

/** Modifier keys that change what a click does. */
export interface Modifiers {
  shift: boolean;
  /** Ctrl on Linux/Windows, Cmd on macOS. */
  toggle: boolean;
}

/** URIs of the loaded rows between `a` and `b` inclusive (rows not loaded yet are skipped). */
export function rangeUris(a: number, b: number, uriAt: (i: number) => string | undefined): string[] {
  const out: string[] = [];
  for (let i = Math.min(a, b); i <= Math.max(a, b); i++) {
    const u = uriAt(i);
    if (u !== undefined) out.push(u);
  }
  return out;
}

/**
 * Applies a click on row `index` following file-manager conventions:
 * plain click selects only that row; Ctrl/Cmd toggles it; Shift selects the
 * range from the anchor (Ctrl+Shift adds the range to the selection).
 */
export function clickSelect(sel: Selection, index: number, uriAt: (i: number) => string | undefined, mods: Modifiers): Selection {
  const uri = uriAt(index);
  if (uri === undefined) return sel;
  if (mods.shift && sel.anchor !== null) {
    const range = rangeUris(sel.anchor, index, uriAt);
    const uris = mods.toggle ? new Set([...sel.uris, ...range]) : new Set(range);
    return { uris, anchor: sel.anchor, focus: index };
  }
  if (mods.toggle) {
    const uris = new Set(sel.uris);
    if (uris.has(uri)) uris.delete(uri);
    else uris.add(uri);
    return { uris, anchor: index, focus: index };
  }
  return { uris: new Set([uri]), anchor: index, focus: index };
}

/** Moves the focus by `delta` rows (arrow keys); Shift extends from the anchor. */
export function moveFocus(
  sel: Selection,
  delta: number,
  count: number,
  uriAt: (i: number) => string | undefined,
  extend: boolean,
): Selection {
  if (count === 0) return sel;
  const from = sel.focus ?? (delta > 0 ? -1 : count);
  const next = Math.max(0, Math.min(count - 1, from + delta));
  if (extend) {
    const anchor = sel.anchor ?? next;
    return { uris: new Set(rangeUris(anchor, next, uriAt)), anchor, focus: next };
  }
  const uri = uriAt(next);
  return { uris: uri === undefined ? new Set() : new Set([uri]), anchor: next, focus: next };
}
