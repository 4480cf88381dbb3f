import { useCallback, useEffect, useRef, useState } from "react";
import { toBackendError, type BackendError, type Entry, type Page } from "../../backend";

/** Fetches one window of rows. */
export type RowFetcher = (offset: number, limit: number) => Promise<Page>;

/** Rows per request. Small enough to be fast over IPC, large enough to cover a screen and overscan. */
export const PAGE_SIZE = 200;

/** Name of the performance mark set when a listing's first page arrives (read by the app bench). */
export const FIRST_PAGE_MARK = "cirrus:first-page";

function markFirstPage() {
  if (typeof performance === "undefined" || !performance.mark) return;
  performance.clearMarks(FIRST_PAGE_MARK);
  performance.mark(FIRST_PAGE_MARK);
}

/** A sparse, lazily loaded view over a listing that lives in Rust. */
export interface RowSource {
  /** Number of rows to lay out (the total, or the loaded rows plus one page while the end is unknown). */
  count: number;
  total: number | null;
  complete: boolean;
  /** The server said the listing is cut short (a search that hit its folder budget). */
  limited: boolean;
  /** True until the first window arrives. */
  initialLoading: boolean;
  error: BackendError | null;
  /** The entry at `index`, or undefined if its window has not arrived yet. */
  get(index: number): Entry | undefined;
  /** Requests the windows covering rows `start..=end` (deduplicated). */
  ensure(start: number, end: number): void;
  /** Loads and returns rows `start..=end` (used by select-all and shift-ranges). */
  loadRange(start: number, end: number): Promise<Entry[]>;
  /** A loaded entry by URI (linear scan of loaded rows; call sparingly). */
  find(uri: string): Entry | undefined;
  /** Shows a changed entry (same URI) in place, without refetching or losing the selection. */
  replace(entry: Entry): void;
}

/**
 * Keeps the rows of a listing in fixed-size pages and fetches a page only
 * when the view needs it. Changing `key` (folder, sort order, refresh
 * counter…) drops everything; answers for an old key are ignored.
 */
export function useRowSource(fetcher: RowFetcher, key: string, pageSize = PAGE_SIZE): RowSource {
  const pages = useRef(new Map<number, Entry[]>());
  const inflight = useRef(new Map<number, Promise<Entry[]>>());
  const generation = useRef(0);
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const [meta, setMeta] = useState({
    total: null as number | null,
    complete: false,
    limited: false,
    loadedEnd: 0,
    initialLoading: true,
    error: null as BackendError | null,
  });
  const [, setTick] = useState(0);

  const fetchPage = useCallback(
    (page: number): Promise<Entry[]> => {
      const cached = pages.current.get(page);
      if (cached) return Promise.resolve(cached);
      const running = inflight.current.get(page);
      if (running) return running;
      const gen = generation.current;
      const p = fetcherRef
        .current(page * pageSize, pageSize)
        .then((res) => {
          if (gen !== generation.current) return res.entries;
          // The app bench times first painted rows from here (one mark, replaced per listing).
          if (page === 0) markFirstPage();
          pages.current.set(page, res.entries);
          const end = page * pageSize + res.entries.length;
          const short = res.entries.length < pageSize;
          setMeta((m) => ({
            total: res.total,
            complete: res.complete || (short && res.total == null) || m.complete,
            limited: m.limited || !!res.limited,
            loadedEnd: Math.max(m.loadedEnd, end),
            initialLoading: false,
            error: null,
          }));
          setTick((x) => x + 1);
          return res.entries;
        })
        .catch((e) => {
          if (gen === generation.current) setMeta((m) => ({ ...m, initialLoading: false, error: toBackendError(e) }));
          throw e;
        })
        .finally(() => {
          if (gen === generation.current) inflight.current.delete(page);
        });
      inflight.current.set(page, p);
      return p;
    },
    [pageSize],
  );

  useEffect(() => {
    generation.current++;
    pages.current.clear();
    inflight.current.clear();
    setMeta({ total: null, complete: false, limited: false, loadedEnd: 0, initialLoading: true, error: null });
    fetchPage(0).catch(() => {});
  }, [key, fetchPage]);

  const count =
    meta.total != null ? meta.total : meta.complete ? meta.loadedEnd : meta.loadedEnd + (meta.initialLoading ? 0 : pageSize);

  const get = useCallback((index: number) => pages.current.get(Math.floor(index / pageSize))?.[index % pageSize], [pageSize]);

  const ensure = useCallback(
    (start: number, end: number) => {
      if (end < start) return;
      for (let p = Math.floor(start / pageSize); p <= Math.floor(end / pageSize); p++) {
        if (!pages.current.has(p)) fetchPage(p).catch(() => {});
      }
    },
    [fetchPage, pageSize],
  );

  const loadRange = useCallback(
    async (start: number, end: number) => {
      const out: Entry[] = [];
      const first = Math.floor(start / pageSize);
      const last = Math.floor(end / pageSize);
      // A few requests at a time: fast, without flooding the IPC bridge.
      const wanted = Array.from({ length: last - first + 1 }, (_, i) => first + i);
      for (let i = 0; i < wanted.length; i += 4) await Promise.all(wanted.slice(i, i + 4).map(fetchPage));
      for (let p = first; p <= last; p++) {
        const rows = pages.current.get(p) ?? [];
        rows.forEach((e, i) => {
          const idx = p * pageSize + i;
          if (idx >= start && idx <= end) out.push(e);
        });
      }
      return out;
    },
    [fetchPage, pageSize],
  );

  const find = useCallback((uri: string) => {
    for (const rows of pages.current.values()) {
      const hit = rows.find((e) => e.uri === uri);
      if (hit) return hit;
    }
    return undefined;
  }, []);

  const replace = useCallback((entry: Entry) => {
    for (const rows of pages.current.values()) {
      const i = rows.findIndex((e) => e.uri === entry.uri);
      if (i >= 0) {
        rows[i] = entry;
        setTick((x) => x + 1);
        return;
      }
    }
  }, []);

  return {
    count,
    total: meta.total,
    complete: meta.complete,
    limited: meta.limited,
    initialLoading: meta.initialLoading,
    error: meta.error,
    get,
    ensure,
    loadRange,
    find,
    replace,
  };
}
