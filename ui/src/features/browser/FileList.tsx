import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useEffect, useLayoutEffect, useRef, useState, type DragEvent, type MouseEvent } from "react";
import type { Direction, Entry, OrderBy } from "../../backend";
import { Icon } from "../../components/Icon";
import { SafeName } from "../../components/SafeName";
import { useI18n } from "../../i18n";
import { formatBytes, formatDate } from "../../lib/format";
import { folderPathOf, parentOf } from "../../lib/uri";
import type { RowSource } from "./useRowSource";
import "./FileList.css";

/** Fixed row height (px): the virtualizer never measures rows, which keeps 100k rows cheap. */
export const ROW_HEIGHT = 34;
/** Grid tile size (px), including its gap. */
export const TILE_WIDTH = 132;
export const TILE_HEIGHT = 128;

export type ViewMode = "list" | "grid";

/** Everything the list needs from its owner; it keeps no selection state itself. */
export interface FileListProps {
  source: RowSource;
  view: ViewMode;
  selected: Set<string>;
  focus: number | null;
  orderBy: OrderBy;
  direction: Direction;
  /** Sorting is only offered for real folders (search and trash come pre-ordered). */
  sortable: boolean;
  /** Search results: each row also shows (as a link) the folder it is in. */
  showFolder?: boolean;
  onOpenFolder?: (folderUri: string) => void;
  renaming: string | null;
  dropTarget: string | null;
  emptyText: string;
  onSort: (orderBy: OrderBy) => void;
  onRowClick: (index: number, e: MouseEvent) => void;
  onRowOpen: (entry: Entry) => void;
  onContextMenu: (index: number | null, e: MouseEvent) => void;
  onRenameCommit: (entry: Entry, newName: string) => void;
  onRenameCancel: () => void;
  onDragStart: (index: number, e: DragEvent) => void;
  onDragOverFolder: (entry: Entry | null, e: DragEvent) => void;
  onDropOnFolder: (entry: Entry, e: DragEvent) => void;
  /** Reports the column count in grid view so arrow keys can move by rows. */
  onColumns?: (cols: number) => void;
  /** The thumbnail URL of a file (grid tiles), or null; absent when the server has none. */
  thumbnailFor?: (entry: Entry) => string | null;
}

/** The virtualised file list / grid. Only visible rows (plus overscan) are in the DOM. */
export function FileList(props: FileListProps) {
  const { source, view } = props;
  // Rows get everything but the source, whose identity changes with every page that arrives.
  const { source: _source, ...rowProps } = props;
  const { t } = useI18n();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    setWidth(el.clientWidth);
    if (typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  // jsdom reports width 0: fall back to 4 columns so tests still get a grid.
  const cols = view === "grid" ? Math.max(1, width > 0 ? Math.floor(width / TILE_WIDTH) : 4) : 1;
  const { onColumns } = props;
  useEffect(() => {
    onColumns?.(cols);
  }, [cols, onColumns]);
  const lineCount = Math.ceil(source.count / cols);

  const virtualizer = useVirtualizer({
    count: lineCount,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => (view === "grid" ? TILE_HEIGHT : ROW_HEIGHT),
    overscan: 8,
  });
  const items = virtualizer.getVirtualItems();
  const first = items.length ? items[0].index * cols : 0;
  const last = items.length ? (items[items.length - 1].index + 1) * cols - 1 : -1;

  const { ensure } = source;
  useEffect(() => {
    if (last >= first) ensure(first, Math.min(last, source.count - 1));
  }, [first, last, ensure, source.count]);

  // Keep the keyboard focus visible.
  const { focus } = props;
  useEffect(() => {
    if (focus !== null && focus < source.count) virtualizer.scrollToIndex(Math.floor(focus / cols), { align: "auto" });
  }, [focus, cols, virtualizer, source.count]);

  useEffect(() => {
    virtualizer.measure();
  }, [view, virtualizer]);

  return (
    <div
      className={`file-list view-${view}${props.showFolder ? " with-folder" : ""}`}
      role="grid"
      aria-label={t("browser.fileList")}
      aria-rowcount={source.total ?? undefined}
      aria-multiselectable="true"
      tabIndex={0}
      data-testid="file-list"
    >
      {view === "list" && <ListHeader {...props} />}
      <div
        ref={scrollRef}
        className="file-scroll"
        data-testid="file-scroll"
        onContextMenu={(e) => {
          if (e.target === e.currentTarget || (e.target as HTMLElement).classList.contains("file-canvas")) props.onContextMenu(null, e);
        }}
        onClick={(e) => {
          if (e.target === e.currentTarget || (e.target as HTMLElement).classList.contains("file-canvas")) props.onRowClick(-1, e);
        }}
      >
        {!source.initialLoading && source.count === 0 && !source.error && <p className="empty">{props.emptyText}</p>}
        <div className="file-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {items.map((line) => (
            <div
              key={line.key}
              className="file-line"
              style={{ height: line.size, transform: `translateY(${line.start}px)` }}
            >
              {Array.from({ length: cols }, (_, c) => {
                const index = line.index * cols + c;
                if (index >= source.count) return null;
                const entry = source.get(index);
                return entry ? (
                  <Row key={entry.uri} index={index} entry={entry} {...rowProps} />
                ) : (
                  <div key={`p${index}`} className="row placeholder" data-testid="row-placeholder" aria-busy="true" />
                );
              })}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

function ListHeader({ orderBy, direction, sortable, showFolder, onSort }: FileListProps) {
  const { t } = useI18n();
  const col = (key: OrderBy, label: string, className: string) => {
    const active = orderBy === key;
    return (
      <button
        type="button"
        role="columnheader"
        className={`col ${className}${active ? " sorted" : ""}`}
        aria-sort={active ? (direction === "asc" ? "ascending" : "descending") : "none"}
        disabled={!sortable}
        data-testid={`sort-${key}`}
        onClick={() => onSort(key)}
      >
        {label}
        {active && sortable && <span className="sort-arrow">{direction === "asc" ? "▲" : "▼"}</span>}
      </button>
    );
  };
  return (
    <div className="list-header" role="row">
      {col("name", t("browser.name"), "col-name")}
      {showFolder && (
        <span role="columnheader" className="col col-folder">
          {t("browser.folder")}
        </span>
      )}
      {col("size", t("browser.size"), "col-size")}
      {col("updated_at", t("browser.modified"), "col-date")}
    </div>
  );
}

type RowProps = Omit<FileListProps, "source"> & { index: number; entry: Entry };

/**
 * One row or tile. Memoised: while scrolling, the list re-renders every frame with the same
 * props, and re-rendering every visible row each frame was measured in the UI bench.
 */
const Row = memo(function Row({
  index,
  entry,
  view,
  selected,
  focus,
  renaming,
  dropTarget,
  onRowClick,
  onRowOpen,
  onContextMenu,
  onRenameCommit,
  onRenameCancel,
  onDragStart,
  onDragOverFolder,
  onDropOnFolder,
  showFolder,
  onOpenFolder,
  thumbnailFor,
}: RowProps) {
  const { t, lang } = useI18n();
  const isSelected = selected.has(entry.uri);
  const isFolder = entry.kind === "folder";
  const classes = ["row", isSelected && "selected", focus === index && "focused", dropTarget === entry.uri && "drop-target", entry.uploading && "uploading"]
    .filter(Boolean)
    .join(" ");
  const name =
    renaming === entry.uri ? (
      <RenameInput entry={entry} onCommit={onRenameCommit} onCancel={onRenameCancel} />
    ) : (
      <SafeName name={entry.name} className="name" />
    );
  const folderUri = showFolder ? parentOf(entry.uri) : null;
  const folder = folderUri && (
    <button
      type="button"
      className="link folder-link"
      data-testid="hit-folder"
      title={t("browser.openFolder")}
      onClick={(e) => {
        e.stopPropagation();
        onOpenFolder?.(folderUri);
      }}
      onDoubleClick={(e) => e.stopPropagation()}
    >
      <SafeName name={folderPathOf(folderUri)} />
    </button>
  );
  return (
    <div
      className={classes}
      role="row"
      aria-selected={isSelected}
      data-testid="row"
      data-name={entry.name}
      data-kind={entry.kind}
      data-index={index}
      draggable={renaming !== entry.uri}
      onClick={(e) => onRowClick(index, e)}
      onDoubleClick={() => onRowOpen(entry)}
      onContextMenu={(e) => onContextMenu(index, e)}
      onDragStart={(e) => onDragStart(index, e)}
      onDragOver={isFolder ? (e) => onDragOverFolder(entry, e) : undefined}
      onDragLeave={isFolder ? (e) => onDragOverFolder(null, e) : undefined}
      onDrop={isFolder ? (e) => onDropOnFolder(entry, e) : undefined}
    >
      {view === "list" ? (
        <>
          <span className="cell col-name" role="gridcell">
            <Icon name={isFolder ? "folder" : "file"} />
            {name}
            {entry.uploading && <span className="badge">{t("browser.uploading")}</span>}
          </span>
          {showFolder && (
            <span className="cell col-folder" role="gridcell">
              {folder}
            </span>
          )}
          <span className="cell col-size" role="gridcell">
            {isFolder ? "" : formatBytes(entry.size)}
          </span>
          <span className="cell col-date" role="gridcell">
            {formatDate(entry.updatedAt, lang)}
          </span>
        </>
      ) : (
        <>
          <span className="tile-icon">
            <Icon name={isFolder ? "folder" : "file"} size={44} />
            {thumbnailFor && <Thumbnail src={thumbnailFor(entry)} />}
          </span>
          <span className="tile-name" role="gridcell">
            {name}
          </span>
          {folder && <span className="tile-folder">{folder}</span>}
        </>
      )}
    </div>
  );
});

function RenameInput({ entry, onCommit, onCancel }: { entry: Entry; onCommit: (e: Entry, name: string) => void; onCancel: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const done = useRef(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    // Select the stem only, like desktop file managers do.
    const dot = entry.kind === "file" ? entry.name.lastIndexOf(".") : -1;
    el.setSelectionRange(0, dot > 0 ? dot : entry.name.length);
  }, [entry]);
  const finish = (commit: boolean) => {
    if (done.current) return;
    done.current = true;
    const value = ref.current?.value.trim() ?? "";
    if (commit && value && value !== entry.name) onCommit(entry, value);
    else onCancel();
  };
  return (
    <input
      ref={ref}
      className="rename-input"
      data-testid="rename-input"
      defaultValue={entry.name}
      onClick={(e) => e.stopPropagation()}
      onDoubleClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => {
        e.stopPropagation();
        if (e.key === "Enter") finish(true);
        if (e.key === "Escape") finish(false);
      }}
      onBlur={() => finish(true)}
    />
  );
}

/**
 * A thumbnail over the file icon in a fixed-size box: the icon stays until the image has
 * loaded (no flicker, no layout shift), and stays for good when there is none. Only tiles the
 * virtualiser renders (the visible range plus overscan) exist, so only those ask for one.
 */
export function Thumbnail({ src }: { src: string | null }) {
  const [state, setState] = useState<"loading" | "loaded" | "none">("loading");
  useEffect(() => setState("loading"), [src]);
  if (!src || state === "none") return null;
  return (
    <img
      className={`thumb${state === "loaded" ? " loaded" : ""}`}
      src={src}
      alt=""
      decoding="async"
      draggable={false}
      data-testid="thumb"
      onLoad={() => setState("loaded")}
      onError={() => setState("none")}
    />
  );
}
