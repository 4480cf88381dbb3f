import { useCallback, useEffect, useMemo, useRef, useState, type DragEvent, type MouseEvent } from "react";
import { toBackendError, useBackend, type BatchResult, type Direction, type Entry, type OrderBy, type SearchFilters } from "../../backend";
import { ConfirmDialog, PromptDialog } from "../../components/Dialog";
import { ContextMenu, type MenuItem } from "../../components/ContextMenu";
import { GatedButton } from "../../components/GatedButton";
import { Icon } from "../../components/Icon";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { oneAtATime } from "../../lib/capabilities";
import { thumbUrl } from "../../lib/thumbs";
import { crumbsOf, parentOf } from "../../lib/uri";
import { useAccountFeatures } from "../accounts/AccountFeatures";
import { ShareDialog } from "../shares/ShareDialog";
import { useTransfers } from "../transfers/TransfersContext";
import { useUploadFlow } from "../transfers/useUploadFlow";
import { FileList, type ViewMode } from "./FileList";
import { FolderPicker } from "./FolderPicker";
import { InfoPanel } from "./InfoPanel";
import { SearchFiltersPopover } from "./SearchFiltersPopover";
import { EMPTY_FORM, type FilterForm } from "../../lib/searchFilters";
import { PreviewOverlay } from "../preview/PreviewOverlay";
import { clickSelect, EMPTY_SELECTION, moveFocus, type Selection } from "./selection";
import { useRowSource, type RowFetcher } from "./useRowSource";
import { internalDropTarget, useDragOut } from "./dragOut";
import "./Browser.css";

/** Where the browser is looking: a folder, or search results under a folder (with filters). */
export type Location = { kind: "folder"; uri: string } | { kind: "search"; uri: string; query: string; filters?: SearchFilters | null };

const ARCHIVE_RE = /\.(zip|7z|rar|tar|tar\.gz|tgz|tar\.bz2|tar\.xz|gz|bz2|xz)$/i;

interface Dialogs {
  share?: Entry;
  confirmDelete?: { uris: string[]; permanent: boolean };
  newFolder?: boolean;
  archive?: string[];
  /** "Move to…" / "Copy to…": the items and which of the two. */
  pick?: { uris: string[]; copy: boolean };
}

/**
 * The file browser for "My files" (mode `files`) and the trash (mode
 * `trash`): navigation, selection, keyboard shortcuts, context menu, drag to
 * move/copy, uploads and OS drops.
 */
export function Browser({
  accountId,
  mode,
  onChanged,
  onTaskCreated,
  active = true,
}: {
  accountId: string;
  mode: "files" | "trash";
  /** False while another page is shown: the browser stays mounted (keeping its folder) but ignores keys and drops. */
  active?: boolean;
  /** Called after anything that changes storage use (capacity refresh). */
  onChanged?: () => void;
  /** Called after a server task (archive/extract) is created. */
  onTaskCreated?: () => void;
}) {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const upload = useUploadFlow(accountId);
  const { uploadsCompleted } = useTransfers();
  const { caps, rootUri, providerName, reason } = useAccountFeatures();
  // Without a trash, "delete" can only mean for good: it says so and asks first.
  const noTrash = !caps.trash;

  const [history, setHistory] = useState<{ stack: Location[]; index: number }>({
    stack: [{ kind: "folder", uri: rootUri }],
    index: 0,
  });
  const location = history.stack[history.index];
  const [orderBy, setOrderBy] = useState<OrderBy>("name");
  const [direction, setDirection] = useState<Direction>("asc");
  const [view, setView] = useState<ViewMode>("list");
  const [refresh, setRefresh] = useState(0);
  const [selection, setSelection] = useState<Selection>(EMPTY_SELECTION);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number; onRow: boolean } | null>(null);
  const [dialogs, setDialogs] = useState<Dialogs>({});
  const [showInfo, setShowInfo] = useState(false);
  const [osDropHover, setOsDropHover] = useState(false);
  const [dropTarget, setDropTarget] = useState<string | null>(null);
  const [searchText, setSearchText] = useState("");
  const [filterForm, setFilterForm] = useState<FilterForm>(EMPTY_FORM);
  const [searchFilters, setSearchFilters] = useState<SearchFilters | null>(null);
  const [uploadMenu, setUploadMenu] = useState(false);
  /** Row index of the file shown in the preview overlay. */
  const [previewIndex, setPreviewIndex] = useState<number | null>(null);
  const searchRef = useRef<HTMLInputElement>(null);
  const rootRef = useRef<HTMLDivElement>(null);
  const dragUris = useRef<string[]>([]);
  const cols = useRef(1);
  const setCols = useCallback((c: number) => {
    cols.current = c;
  }, []);

  const folderUri = location.uri;
  const inTrash = mode === "trash";
  const canWrite = !inTrash && location.kind === "folder";

  // Refresh when an upload finishes (new rows, new capacity).
  const firstUploadCount = useRef(uploadsCompleted);
  useEffect(() => {
    if (uploadsCompleted !== firstUploadCount.current) {
      setRefresh((n) => n + 1);
      onChanged?.();
    }
  }, [uploadsCompleted, onChanged]);

  const fetcher: RowFetcher = useMemo(() => {
    if (inTrash) return (offset, limit) => backend.listTrash(accountId, offset, limit);
    if (location.kind === "search") {
      // Paged in Rust like a folder: more server pages are fetched as the list scrolls.
      return (offset, limit) => backend.search(accountId, location.uri, location.query, offset, limit, location.filters);
    }
    return (offset, limit) => backend.list(accountId, location.uri, orderBy, direction, offset, limit);
  }, [backend, accountId, inTrash, location, orderBy, direction]);

  const sourceKey = JSON.stringify([accountId, mode, location, orderBy, direction, refresh]);
  const source = useRowSource(fetcher, sourceKey);
  const uriAt = useCallback((i: number) => source.get(i)?.uri, [source]);

  useEffect(() => {
    setSelection(EMPTY_SELECTION);
    setRenaming(null);
  }, [sourceKey]);

  const selectedUris = useMemo(() => [...selection.uris], [selection]);
  const selectedEntries = useMemo(
    () => (selectedUris.length <= 50 ? selectedUris.map((u) => source.find(u)).filter((e): e is Entry => !!e) : []),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [selectedUris, source.count, source.initialLoading],
  );
  const single = selectedEntries.length === 1 && selectedUris.length === 1 ? selectedEntries[0] : null;

  // navigation ---------------------------------------------------------------
  const navigate = useCallback((loc: Location) => {
    setHistory((h) => ({ stack: [...h.stack.slice(0, h.index + 1), loc], index: h.index + 1 }));
  }, []);
  const canBack = history.index > 0;
  const canForward = history.index < history.stack.length - 1;
  const back = useCallback(() => setHistory((h) => (h.index > 0 ? { ...h, index: h.index - 1 } : h)), []);
  const forward = useCallback(
    () => setHistory((h) => (h.index < h.stack.length - 1 ? { ...h, index: h.index + 1 } : h)),
    [],
  );
  const parentUri = location.kind === "folder" ? parentOf(location.uri) : null;

  const open = useCallback(
    (entry: Entry) => {
      if (inTrash) return;
      if (entry.kind === "folder") navigate({ kind: "folder", uri: entry.uri });
      else {
        // Files open in the preview overlay (which offers the default app for the rest).
        for (let i = 0; i < source.count; i++) {
          if (source.get(i)?.uri === entry.uri) {
            setSelection({ uris: new Set([entry.uri]), anchor: i, focus: i });
            setPreviewIndex(i);
            return;
          }
        }
      }
    },
    [inTrash, navigate, source],
  );

  /** The previewed row, stepping over folders; stays put at either end of what is loaded. */
  const stepPreview = useCallback(
    (delta: -1 | 1) => {
      setPreviewIndex((current) => {
        if (current === null) return current;
        for (let i = current + delta; i >= 0 && i < source.count; i += delta) {
          const e = source.get(i);
          if (!e) break;
          if (e.kind === "file") {
            const uri = e.uri;
            setSelection({ uris: new Set([uri]), anchor: i, focus: i });
            return i;
          }
        }
        return current;
      });
    },
    [source],
  );
  const previewEntry = previewIndex !== null ? source.get(previewIndex) : undefined;
  const closePreview = useCallback(() => {
    setPreviewIndex(null);
    rootRef.current?.focus();
  }, []);

  // operations ---------------------------------------------------------------
  const afterBatch = useCallback(
    (result: BatchResult, okText?: string) => {
      setRefresh((n) => n + 1);
      onChanged?.();
      if (result.failed.length) {
        const first = result.failed[0];
        toast(t("browser.partialFailure", { count: result.failed.length, message: errorText(first) }), "error");
      } else if (okText) toast(okText);
    },
    [onChanged, toast, t, errorText],
  );
  const attempt = useCallback(
    async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        toast(errorText(toBackendError(e)), "error");
      }
    },
    [toast, errorText],
  );

  const doDelete = (uris: string[], permanent: boolean) =>
    attempt(async () => afterBatch(await backend.remove(accountId, uris, permanent)));
  const doRestore = (uris: string[]) => attempt(async () => afterBatch(await backend.restore(accountId, uris)));
  const doDownload = (uris: string[], toDefault: boolean) =>
    attempt(async () => {
      await backend.download(accountId, uris, toDefault);
      toast(t("browser.downloadStarted"));
    });
  const doTransfer = (uris: string[], dst: string, copy: boolean) =>
    attempt(async () => {
      const copyReason = copy ? reason("copy") : null;
      if (copyReason) {
        toast(copyReason, "error");
        return;
      }
      const result = copy ? await backend.copy(accountId, uris, dst) : await backend.move(accountId, uris, dst);
      const ok = uris.length - result.failed.length;
      afterBatch(result, t(copy ? "browser.copied" : "browser.moved", { count: ok }));
    });

  const requestDelete = useCallback(() => {
    if (selectedUris.length) setDialogs({ confirmDelete: { uris: selectedUris, permanent: inTrash || noTrash } });
  }, [selectedUris, inTrash, noTrash]);
  const requestRename = useCallback(() => {
    if (single && !inTrash) setRenaming(single.uri);
  }, [single, inTrash]);
  const requestNewFolder = useCallback(() => canWrite && setDialogs({ newFolder: true }), [canWrite]);
  const pickUpload = useCallback(
    (folders: boolean) => {
      setUploadMenu(false);
      if (canWrite) void upload.pick(folderUri, folders);
    },
    [canWrite, upload, folderUri],
  );
  const selectAll = useCallback(async () => {
    if (!source.count) return;
    const rows = await source.loadRange(0, source.count - 1);
    setSelection((s) => ({ ...s, uris: new Set(rows.map((e) => e.uri)) }));
  }, [source]);

  // keyboard -------------------------------------------------------------------
  const keyHandler = useRef<(e: KeyboardEvent) => void>(() => {});
  keyHandler.current = (e: KeyboardEvent) => {
    if (!active) return;
    const target = e.target as HTMLElement | null;
    const typing = !!target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable);
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === "f") {
      e.preventDefault();
      searchRef.current?.focus();
      searchRef.current?.select();
      return;
    }
    if (typing || menu || previewIndex !== null || dialogs.share || dialogs.confirmDelete || dialogs.newFolder || dialogs.archive || dialogs.pick) return;
    // Keys pressed on the rest of the window (the sidebar, another page) are not the list's.
    const elsewhere = !!target && target !== document.body && !rootRef.current?.contains(target);
    if (elsewhere) return;
    const key = e.key;
    // On a button (toolbar, breadcrumbs, a folder link) Enter and the arrows belong to the button.
    const onControl = !!target && target !== rootRef.current && !!target.closest("button, a[href], [role=menuitem], [role=tab]");
    if (onControl && ["Enter", " ", "ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Home", "End"].includes(key)) return;
    if (key === "ContextMenu" || (e.shiftKey && key === "F10")) {
      // The context menu from the keyboard: the Menu key or Shift+F10, like every desktop.
      e.preventDefault();
      openKeyboardMenu();
    } else if (mod && key.toLowerCase() === "a") {
      e.preventDefault();
      void selectAll();
    } else if (mod && key.toLowerCase() === "n") {
      e.preventDefault();
      requestNewFolder();
    } else if (mod && key.toLowerCase() === "u") {
      e.preventDefault();
      pickUpload(false);
    } else if (key === "F2") {
      e.preventDefault();
      requestRename();
    } else if (key === "Delete") {
      e.preventDefault();
      requestDelete();
    } else if (key === "Backspace" || (e.altKey && key === "ArrowLeft")) {
      e.preventDefault();
      back();
    } else if (e.altKey && key === "ArrowRight") {
      e.preventDefault();
      forward();
    } else if (e.altKey && key === "ArrowUp") {
      e.preventDefault();
      if (parentUri) navigate({ kind: "folder", uri: parentUri });
    } else if (key === "Enter") {
      const focused = selection.focus !== null ? source.get(selection.focus) : single;
      if (focused) {
        e.preventDefault();
        open(focused);
      }
    } else if (key === " " && !inTrash) {
      // Space previews the focused file, as in desktop file managers.
      const focused = selection.focus !== null ? source.get(selection.focus) : single;
      if (focused?.kind === "file") {
        e.preventDefault();
        open(focused);
      }
    } else if (key === "Escape") {
      setSelection(EMPTY_SELECTION);
    } else if (["ArrowDown", "ArrowUp", "ArrowLeft", "ArrowRight", "Home", "End"].includes(key)) {
      e.preventDefault();
      const step = view === "grid" ? cols.current : 1;
      const delta =
        key === "ArrowDown" ? step : key === "ArrowUp" ? -step : key === "ArrowRight" ? (view === "grid" ? 1 : 0) : key === "ArrowLeft" ? (view === "grid" ? -1 : 0) : key === "Home" ? -Infinity : Infinity;
      if (delta === 0) return;
      const clamped = Number.isFinite(delta) ? delta : delta > 0 ? source.count : -source.count;
      setSelection((s) => moveFocus(s, clamped, source.count, uriAt, e.shiftKey));
    }
  };
  useEffect(() => {
    const h = (e: KeyboardEvent) => keyHandler.current(e);
    document.addEventListener("keydown", h);
    return () => document.removeEventListener("keydown", h);
  }, []);

  // OS drag and drop -----------------------------------------------------------
  const uploadDrop = upload.drop;
  useEffect(() => {
    if (!canWrite || !active) return;
    let offHover: (() => void) | undefined;
    let offDrop: (() => void) | undefined;
    let alive = true;
    void backend.onDropHover((h) => setOsDropHover(h)).then((off) => (alive ? (offHover = off) : off()));
    void backend
      .onDrop((e) => {
        setOsDropHover(false);
        void uploadDrop(folderUri, e.accountId);
      })
      .then((off) => (alive ? (offDrop = off) : off()));
    return () => {
      alive = false;
      offHover?.();
      offDrop?.();
      setOsDropHover(false);
    };
  }, [backend, canWrite, active, folderUri, uploadDrop]);

  // drag out to a file manager or the desktop (see dragOut.ts) ----------------
  const beginDragOut = useDragOut(accountId, (e) =>
    toast(t("dragOut.failed", { message: errorText(toBackendError(e)) }), "error"),
  );
  useEffect(() => {
    if (!active) return;
    let off: (() => void) | undefined;
    let alive = true;
    void backend
      .onDragOutIncomplete((e) =>
        toast(
          e.error ? t("dragOut.failed", { message: e.error }) : t("dragOut.incomplete", { count: e.missing }),
          "error",
        ),
      )
      .then((u) => (alive ? (off = u) : u()));
    return () => {
      alive = false;
      off?.();
    };
  }, [backend, active, toast, t]);
  // On Linux a row drag dropped back onto the window reaches Rust, not the page: finish the
  // move onto the folder the pointer was last over.
  // WebKitGTK sends the page a late `dragleave` before Rust's event arrives, so the folder is
  // the one the last `dragover` was over, if that was a moment ago.
  const lastOver = useRef<{ uri: string; at: number; copy: boolean } | null>(null);
  const internalDrop = useRef<() => void>(() => {});
  internalDrop.current = () => {
    const target = internalDropTarget(lastOver.current, Date.now());
    const uris = dragUris.current.filter((u) => u !== target?.uri);
    dragUris.current = [];
    lastOver.current = null;
    setDropTarget(null);
    if (target && uris.length) void doTransfer(uris, target.uri, target.copy);
  };
  useEffect(() => {
    if (!active) return;
    let off: (() => void) | undefined;
    let alive = true;
    void backend.onDragInternalDrop(() => internalDrop.current()).then((u) => (alive ? (off = u) : u()));
    return () => {
      alive = false;
      off?.();
    };
  }, [backend, active]);

  // in-app drag to move (Ctrl/Cmd held = copy) -------------------------------
  const onDragStart = (index: number, e: DragEvent) => {
    const entry = source.get(index);
    if (!entry || inTrash) {
      e.preventDefault();
      return;
    }
    let uris = selectedUris;
    if (!selection.uris.has(entry.uri)) {
      uris = [entry.uri];
      setSelection({ uris: new Set(uris), anchor: index, focus: index });
    }
    dragUris.current = uris;
    e.dataTransfer.effectAllowed = "copyMove";
    e.dataTransfer.setData("text/plain", uris.join("\n"));
    beginDragOut(uris, e.dataTransfer);
  };
  const onDragOverFolder = (entry: Entry | null, e: DragEvent) => {
    if (!entry) {
      setDropTarget(null);
      return;
    }
    if (!dragUris.current.length || dragUris.current.includes(entry.uri)) return;
    e.preventDefault();
    const copy = e.ctrlKey || e.metaKey;
    e.dataTransfer.dropEffect = copy ? "copy" : "move";
    lastOver.current = { uri: entry.uri, at: Date.now(), copy };
    setDropTarget(entry.uri);
  };
  const onDropOnFolder = (entry: Pick<Entry, "uri">, e: DragEvent) => {
    e.preventDefault();
    lastOver.current = null;
    setDropTarget(null);
    const uris = dragUris.current.filter((u) => u !== entry.uri);
    dragUris.current = [];
    if (uris.length) void doTransfer(uris, entry.uri, e.ctrlKey || e.metaKey);
  };

  // mouse ----------------------------------------------------------------------
  const onRowClick = (index: number, e: MouseEvent) => {
    rootRef.current?.focus({ preventScroll: true });
    if (index < 0) {
      setSelection(EMPTY_SELECTION);
      return;
    }
    setSelection((s) => clickSelect(s, index, uriAt, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey }));
  };
  const onContextMenu = (index: number | null, e: MouseEvent) => {
    e.preventDefault();
    const uri = index === null ? undefined : uriAt(index);
    if (uri && !selection.uris.has(uri)) setSelection({ uris: new Set([uri]), anchor: index, focus: index });
    if (!uri) setSelection(EMPTY_SELECTION);
    setMenu({ x: e.clientX, y: e.clientY, onRow: !!uri });
  };

  /** Opens the context menu for the focused (or selected) row, or for the folder when none. */
  function openKeyboardMenu() {
    const root = rootRef.current;
    let index = selection.focus;
    if (index === null && selection.uris.size) {
      const el = root?.querySelector<HTMLElement>('[data-testid="row"][aria-selected="true"]');
      index = el ? Number(el.dataset.index) : null;
    }
    const uri = index === null ? undefined : uriAt(index);
    const rowEl = index === null ? null : root?.querySelector<HTMLElement>(`[data-testid="row"][data-index="${index}"]`);
    const box = (rowEl ?? root?.querySelector<HTMLElement>('[data-testid="file-scroll"]'))?.getBoundingClientRect();
    const x = (box?.left ?? 0) + 24;
    const y = rowEl ? (box?.bottom ?? 0) : (box?.top ?? 0) + 8;
    if (uri) {
      if (!selection.uris.has(uri)) setSelection({ uris: new Set([uri]), anchor: index, focus: index });
      setMenu({ x, y, onRow: true });
    } else {
      setSelection(EMPTY_SELECTION);
      setMenu({ x, y, onRow: false });
    }
  }
  const closeMenu = useCallback(() => {
    setMenu(null);
    // Back to the list, so the keyboard carries on where it was.
    rootRef.current?.focus({ preventScroll: true });
  }, []);

  function menuItems(): MenuItem[] {
    if (!menu) return [];
    if (!menu.onRow) {
      return canWrite
        ? [
            { id: "new-folder", label: t("browser.newFolder"), onSelect: requestNewFolder },
            { id: "upload-files", label: t("browser.uploadFiles"), onSelect: () => pickUpload(false) },
            { id: "upload-folder", label: t("browser.uploadFolder"), onSelect: () => pickUpload(true) },
            { id: "refresh", label: t("browser.refresh"), onSelect: () => setRefresh((n) => n + 1), separatorBefore: true },
          ]
        : [{ id: "refresh", label: t("browser.refresh"), onSelect: () => setRefresh((n) => n + 1) }];
    }
    const uris = selectedUris;
    if (inTrash) {
      return [
        { id: "restore", label: t("browser.restore"), reason: reason("restore"), onSelect: () => void doRestore(uris) },
        { id: "delete-permanent", label: t("browser.deletePermanent"), danger: true, onSelect: requestDelete },
      ];
    }
    const items: MenuItem[] = [];
    if (single) items.push({ id: "open", label: t("browser.open"), onSelect: () => open(single) });
    items.push(
      { id: "download", label: t("browser.download"), onSelect: () => void doDownload(uris, true) },
      { id: "download-to", label: t("browser.downloadTo"), onSelect: () => void doDownload(uris, false) },
    );
    if (single) items.push({ id: "share", label: t("browser.share"), reason: reason("share"), onSelect: () => setDialogs({ share: single }) });
    // Several items still work where the server takes one per request: Rust sends them in turn.
    const slow = oneAtATime(caps, uris.length) ? t("caps.oneAtATime") : undefined;
    items.push(
      { id: "move-to", label: t("browser.moveToMenu"), hint: slow, onSelect: () => setDialogs({ pick: { uris, copy: false } }), separatorBefore: true },
      { id: "copy-to", label: t("browser.copyToMenu"), hint: slow, reason: reason("copy"), onSelect: () => setDialogs({ pick: { uris, copy: true } }) },
      { id: "archive", label: t("browser.archive"), reason: reason("archive"), onSelect: () => setDialogs({ archive: uris }) },
    );
    if (single && single.kind === "file" && ARCHIVE_RE.test(single.name)) {
      items.push({
        id: "extract",
        label: t("browser.extract"),
        reason: reason("extract"),
        onSelect: () =>
          void attempt(async () => {
            await backend.extract(accountId, single.uri, location.kind === "folder" ? folderUri : rootUri);
            toast(t("browser.taskCreated"));
            onTaskCreated?.();
          }),
      });
    }
    if (single) items.push({ id: "rename", label: t("browser.rename"), onSelect: requestRename, separatorBefore: true });
    items.push(
      { id: "info", label: t("browser.info"), onSelect: () => setShowInfo(true), separatorBefore: !single },
      { id: "delete", label: noTrash ? t("browser.deleteForever") : t("browser.delete"), hint: noTrash ? reason("trash") ?? undefined : undefined, danger: true, onSelect: requestDelete },
    );
    return items;
  }

  const crumbs = location.kind === "folder" || location.kind === "search" ? crumbsOf(location.uri) : [];
  const emptyText = inTrash ? t("browser.trashEmpty") : location.kind === "search" ? t("browser.noResults") : t("browser.empty");

  return (
    <div
      ref={rootRef}
      className={`browser${osDropHover ? " os-drop-hover" : ""}`}
      data-testid={inTrash ? "trash" : "browser"}
      hidden={!active}
      tabIndex={-1}
      onContextMenu={(e) => {
        // A context-menu event the keyboard raised on the list itself (not on a row).
        const target = e.target as HTMLElement;
        if (target === rootRef.current || target.getAttribute("role") === "grid") {
          e.preventDefault();
          openKeyboardMenu();
        }
      }}
    >
      <div className="toolbar">
        {!inTrash && (
          <>
            <button type="button" className="icon-button" onClick={back} disabled={!canBack} title={t("browser.back")} aria-label={t("browser.back")} data-testid="nav-back">
              <Icon name="back" />
            </button>
            <button type="button" className="icon-button" onClick={forward} disabled={!canForward} title={t("browser.forward")} aria-label={t("browser.forward")} data-testid="nav-forward">
              <Icon name="forward" />
            </button>
            <button
              type="button"
              className="icon-button"
              onClick={() => parentUri && navigate({ kind: "folder", uri: parentUri })}
              disabled={!parentUri}
              title={t("browser.up")}
              aria-label={t("browser.up")}
              data-testid="nav-up"
            >
              <Icon name="up" />
            </button>
          </>
        )}
        <button type="button" className="icon-button" onClick={() => setRefresh((n) => n + 1)} title={t("browser.refresh")} aria-label={t("browser.refresh")} data-testid="refresh">
          <Icon name="refresh" />
        </button>
        {inTrash ? (
          <h2 className="toolbar-title">{t("nav.trash")}</h2>
        ) : (
          <nav className="breadcrumbs" aria-label="breadcrumbs" data-testid="breadcrumbs">
            {crumbs.map((c, i) => (
              <span key={c.uri} className="crumb-wrap">
                {i > 0 && <span className="crumb-sep">›</span>}
                <button
                  type="button"
                  className={`crumb${dropTarget === c.uri ? " drop-target" : ""}`}
                  data-testid="crumb"
                  onClick={() => navigate({ kind: "folder", uri: c.uri })}
                  onDragOver={(e) => onDragOverFolder({ uri: c.uri } as Entry, e)}
                  onDragLeave={() => setDropTarget(null)}
                  onDrop={(e) => onDropOnFolder(c, e)}
                >
                  {i === 0 ? t("nav.files") : <SafeName name={c.name} />}
                </button>
              </span>
            ))}
            {location.kind === "search" && (
              <span className="crumb-search">
                <span className="crumb-sep">›</span>
                {t("browser.searchResults", { query: location.query })}
              </span>
            )}
          </nav>
        )}
        <div className="toolbar-spacer" />
        {!inTrash && (
          <form
            className="search"
            role="search"
            title={reason("search") ?? undefined}
            onSubmit={(e) => {
              e.preventDefault();
              if (reason("search")) return;
              const q = searchText.trim();
              if (q) navigate({ kind: "search", uri: location.uri, query: q, filters: searchFilters });
            }}
          >
            <Icon name="search" />
            <input
              ref={searchRef}
              type="search"
              value={searchText}
              placeholder={reason("search") ?? t("browser.search")}
              aria-label={t("browser.search")}
              disabled={!!reason("search")}
              onChange={(e) => setSearchText(e.target.value)}
              onKeyDown={(e) => {
                if (e.key === "Escape") {
                  setSearchText("");
                  if (location.kind === "search") navigate({ kind: "folder", uri: location.uri });
                  rootRef.current?.focus();
                }
              }}
              data-testid="search-input"
            />
          </form>
        )}
        {!inTrash && (
          <SearchFiltersPopover
            form={filterForm}
            applied={searchFilters}
            disabled={reason("search")}
            onApply={(form, filters) => {
              setFilterForm(form);
              setSearchFilters(filters);
              // Results on screen follow the new filters at once.
              if (location.kind === "search") navigate({ ...location, filters });
            }}
          />
        )}
        {canWrite && (
          <>
            <button type="button" onClick={requestNewFolder} data-testid="new-folder" title={`${t("browser.newFolder")} (Ctrl+N)`}>
              <Icon name="plus" /> {t("browser.newFolder")}
            </button>
            <div className="menu-button">
              <button
                type="button"
                className="primary"
                onClick={() => setUploadMenu((v) => !v)}
                aria-haspopup="menu"
                aria-expanded={uploadMenu}
                data-testid="upload-button"
                title={`${t("browser.upload")} (Ctrl+U)`}
              >
                <Icon name="upload" /> {t("browser.upload")}
              </button>
              {uploadMenu && (
                <div className="dropdown" role="menu" onMouseLeave={() => setUploadMenu(false)}>
                  <button type="button" role="menuitem" onClick={() => pickUpload(false)} data-testid="upload-files">
                    {t("browser.uploadFiles")}
                  </button>
                  <button type="button" role="menuitem" onClick={() => pickUpload(true)} data-testid="upload-folder">
                    {t("browser.uploadFolder")}
                  </button>
                </div>
              )}
            </div>
          </>
        )}
        {!inTrash && selectedUris.length > 0 && (
          <>
            <button
              type="button"
              className="icon-button"
              onClick={() => void doDownload(selectedUris, true)}
              title={t("browser.download")}
              aria-label={t("browser.download")}
              data-testid="download-selected"
            >
              <Icon name="download" />
            </button>
            <button
              type="button"
              className="icon-button"
              onClick={requestDelete}
              title={noTrash ? `${t("browser.deleteForever")} — ${reason("trash")}` : t("browser.delete")}
              aria-label={noTrash ? t("browser.deleteForever") : t("browser.delete")}
              data-testid="delete-selected"
              data-permanent={noTrash}
            >
              <Icon name="trash" />
            </button>
          </>
        )}
        {inTrash && selectedUris.length > 0 && (
          <>
            <GatedButton reason={reason("restore")} onClick={() => void doRestore(selectedUris)} data-testid="restore">
              {t("browser.restore")}
            </GatedButton>
            <button type="button" className="danger" onClick={requestDelete} data-testid="delete-permanent">
              {t("browser.deletePermanent")}
            </button>
          </>
        )}
        {view === "grid" && location.kind === "folder" && !inTrash && (
          <div className="grid-sort toolbar-sort">
            <select
              value={`${orderBy}:${direction}`}
              aria-label={t("browser.sortBy")}
              data-testid="grid-sort"
              onChange={(e) => {
                const [o, d] = e.target.value.split(":") as [OrderBy, Direction];
                setOrderBy(o);
                setDirection(d);
              }}
            >
              {(["name", "size", "updated_at", "created_at"] as OrderBy[]).flatMap((o) =>
                (["asc", "desc"] as Direction[]).map((d) => (
                  <option key={`${o}:${d}`} value={`${o}:${d}`}>
                    {t(o === "name" ? "browser.name" : o === "size" ? "browser.size" : o === "updated_at" ? "browser.modified" : "browser.created")} {d === "asc" ? "↑" : "↓"}
                  </option>
                )),
              )}
            </select>
          </div>
        )}
        <div className="segmented" role="group">
          <button type="button" className={`icon-button${view === "list" ? " active" : ""}`} aria-pressed={view === "list"} onClick={() => setView("list")} title={t("browser.listView")} aria-label={t("browser.listView")} data-testid="view-list">
            <Icon name="list" />
          </button>
          <button type="button" className={`icon-button${view === "grid" ? " active" : ""}`} aria-pressed={view === "grid"} onClick={() => setView("grid")} title={t("browser.gridView")} aria-label={t("browser.gridView")} data-testid="view-grid">
            <Icon name="grid" />
          </button>
        </div>
        <button type="button" className={`icon-button${showInfo ? " active" : ""}`} aria-pressed={showInfo} onClick={() => setShowInfo((v) => !v)} title={t("browser.info")} aria-label={t("browser.info")} data-testid="toggle-info">
          <Icon name="info" />
        </button>
      </div>

      <div className="browser-body">
        <div className="browser-main">
          {location.kind === "search" && source.limited && (
            <div className="banner warning" role="status" data-testid="search-capped">
              {t("browser.searchCapped")}
            </div>
          )}
          {source.error && (
            <div className="banner error" role="alert" data-testid="browser-error">
              {errorText(source.error)}
              <button type="button" onClick={() => setRefresh((n) => n + 1)}>
                {t("common.retry")}
              </button>
            </div>
          )}
          <FileList
            source={source}
            view={view}
            selected={selection.uris}
            focus={selection.focus}
            orderBy={orderBy}
            direction={direction}
            sortable={location.kind === "folder" && !inTrash}
            thumbnailFor={caps.thumbnails ? (entry) => thumbUrl(accountId, entry) : undefined}
            showFolder={location.kind === "search"}
            onOpenFolder={(uri) => navigate({ kind: "folder", uri })}
            renaming={renaming}
            dropTarget={dropTarget}
            emptyText={emptyText}
            onSort={(o) => {
              if (o === orderBy) setDirection((d) => (d === "asc" ? "desc" : "asc"));
              else {
                setOrderBy(o);
                setDirection("asc");
              }
            }}
            onRowClick={onRowClick}
            onRowOpen={open}
            onContextMenu={onContextMenu}
            onRenameCommit={(entry, newName) => {
              setRenaming(null);
              void attempt(async () => {
                await backend.rename(accountId, entry.uri, newName);
                setRefresh((n) => n + 1);
              });
            }}
            onRenameCancel={() => {
              setRenaming(null);
              rootRef.current?.focus();
            }}
            onDragStart={onDragStart}
            onDragOverFolder={onDragOverFolder}
            onDropOnFolder={onDropOnFolder}
            onColumns={setCols}
          />
          {osDropHover && (
            <div className="drop-overlay" data-testid="drop-overlay">
              <Icon name="upload" size={32} />
              <span>{t("browser.dropHere")}</span>
            </div>
          )}
        </div>
        {showInfo && <InfoPanel accountId={accountId} selected={selectedEntries} thumbnails={caps.thumbnails} onEntryChanged={source.replace} />}
        {previewEntry && (
          <PreviewOverlay
            accountId={accountId}
            folderUri={location.kind === "folder" ? location.uri : (parentOf(previewEntry.uri) ?? location.uri)}
            entry={previewEntry}
            onClose={closePreview}
            onStep={stepPreview}
          />
        )}
      </div>

      <div className="statusbar" data-testid="statusbar">
        <span>{source.total != null ? t("browser.items", { count: source.total }) : source.initialLoading ? t("common.loading") : t("browser.items", { count: `${source.count}+` })}</span>
        {selection.uris.size > 0 && <span data-testid="selected-count">{t("browser.selected", { count: selection.uris.size })}</span>}
      </div>

      {menu && <ContextMenu x={menu.x} y={menu.y} items={menuItems()} onClose={closeMenu} />}
      {dialogs.pick && (
        <FolderPicker
          accountId={accountId}
          start={location.kind === "folder" ? folderUri : rootUri}
          copy={dialogs.pick.copy}
          exclude={dialogs.pick.uris}
          onCancel={() => setDialogs({})}
          onPick={(dst) => {
            const { uris, copy } = dialogs.pick!;
            setDialogs({});
            rootRef.current?.focus({ preventScroll: true });
            void doTransfer(uris, dst, copy);
          }}
        />
      )}
      {dialogs.share && <ShareDialog accountId={accountId} entry={dialogs.share} onClose={() => setDialogs({})} />}
      {dialogs.confirmDelete && (
        <ConfirmDialog
          title={dialogs.confirmDelete.permanent ? t("browser.deletePermanent") : t("browser.delete")}
          message={t(
            dialogs.confirmDelete.permanent ? (inTrash ? "browser.deletePermanentConfirm" : "browser.deleteForeverConfirm") : "browser.deleteConfirm",
            { count: dialogs.confirmDelete.uris.length, provider: providerName },
          )}
          confirmLabel={dialogs.confirmDelete.permanent ? t("browser.deletePermanent") : t("browser.delete")}
          onCancel={() => setDialogs({})}
          onConfirm={() => {
            const { uris, permanent } = dialogs.confirmDelete!;
            setDialogs({});
            void doDelete(uris, permanent);
          }}
        />
      )}
      {dialogs.newFolder && (
        <PromptDialog
          title={t("browser.newFolder")}
          label={t("browser.name")}
          initial={t("browser.newFolderName")}
          onCancel={() => setDialogs({})}
          onSubmit={(name) => {
            setDialogs({});
            void attempt(async () => {
              await backend.mkdir(accountId, folderUri, name);
              setRefresh((n) => n + 1);
            });
          }}
        />
      )}
      {dialogs.archive && (
        <PromptDialog
          title={t("browser.archive")}
          label={t("browser.archiveName")}
          initial="archive.zip"
          onCancel={() => setDialogs({})}
          onSubmit={(name) => {
            const uris = dialogs.archive!;
            setDialogs({});
            void attempt(async () => {
              await backend.createArchive(accountId, uris, location.kind === "folder" ? folderUri : rootUri, name);
              toast(t("browser.taskCreated"));
              onTaskCreated?.();
            });
          }}
        />
      )}
      {upload.dialog}
    </div>
  );
}
