import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useLayoutEffect, useRef, useState, type CSSProperties } from "react";
import { useBackend, toBackendError, type Transfer } from "../../backend";
import { Icon } from "../../components/Icon";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { formatBytes, formatEta, formatSpeed } from "../../lib/format";
import { useTransfers } from "./TransfersContext";
import "./TransfersPanel.css";

/** A row's usual height in px (rows with an error or a saved-as note are measured taller). */
const ROW_ESTIMATE = 70;
const ROW_GAP = 8;

const FINISHED = new Set<Transfer["state"]>(["completed", "cancelled"]);
const ACTIVE = new Set<Transfer["state"]>(["queued", "running"]);

/** Aggregate numbers for the panel header and the sidebar badge. */
export function transferTotals(list: Transfer[]) {
  const live = list.filter((x) => !FINISHED.has(x.state));
  return {
    active: list.filter((x) => ACTIVE.has(x.state)).length,
    bytesDone: live.reduce((s, x) => s + x.bytesDone, 0),
    bytesTotal: live.reduce((s, x) => s + x.bytesTotal, 0),
    speedBps: list.filter((x) => x.state === "running").reduce((s, x) => s + x.speedBps, 0),
  };
}

/** The transfer queue: per-item progress and controls, totals, bulk actions. */
export function TransfersPanel() {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const { transfers } = useTransfers();
  const totals = transferTotals(transfers);

  // Stable, so a row whose transfer did not change skips rendering (10 000 rows re-rendered
  // per update made pause-all slow).
  const act = useCallback((fn: () => Promise<void>) => void fn().catch((e) => toast(errorText(toBackendError(e)), "error")), [toast, errorText]);

  // Only the rows in view are in the DOM: 10 000 queued files as 10 000 rows took seconds to
  // render and to update on "Pause all" (measured by the UI bench).
  const pageRef = useRef<HTMLElement>(null);
  const listRef = useRef<HTMLUListElement>(null);
  const [listTop, setListTop] = useState(0);
  const hasRows = transfers.length > 0;
  useLayoutEffect(() => {
    if (listRef.current) setListTop(listRef.current.offsetTop);
  }, [hasRows]);
  const virtualizer = useVirtualizer({
    count: transfers.length,
    getScrollElement: () => pageRef.current,
    estimateSize: () => ROW_ESTIMATE,
    getItemKey: (i) => transfers[i].id,
    gap: ROW_GAP,
    overscan: 8,
    scrollMargin: listTop,
  });

  return (
    <section className="page transfers" data-testid="transfers-panel" ref={pageRef}>
      <div className="page-header">
        <h1>{t("transfers.title")}</h1>
        <div className="row-actions">
          <button type="button" onClick={() => act(() => backend.pauseTransfers([]))} disabled={!totals.active} data-testid="transfers-pause-all">
            {t("transfers.pauseAll")}
          </button>
          <button
            type="button"
            onClick={() => act(() => backend.resumeTransfers([]))}
            disabled={!transfers.some((x) => x.state === "paused")}
            data-testid="transfers-resume-all"
          >
            {t("transfers.resumeAll")}
          </button>
          <button
            type="button"
            onClick={() => act(() => backend.clearFinishedTransfers())}
            disabled={!transfers.some((x) => FINISHED.has(x.state))}
            data-testid="transfers-clear"
          >
            {t("transfers.clearFinished")}
          </button>
        </div>
      </div>
      <p className="muted" data-testid="transfers-totals">
        {t("transfers.totals", {
          active: totals.active,
          done: formatBytes(totals.bytesDone),
          total: formatBytes(totals.bytesTotal),
          speed: formatSpeed(totals.speedBps),
        })}
      </p>
      {transfers.length === 0 ? (
        <p className="muted empty-note">{t("transfers.empty")}</p>
      ) : (
        <ul
          className="transfer-list"
          ref={listRef}
          style={{ height: virtualizer.getTotalSize() }}
          data-testid="transfer-list"
          data-count={transfers.length}
          data-live={totals.active}
        >
          {virtualizer.getVirtualItems().map((v) => (
            <TransferRow
              key={v.key}
              transfer={transfers[v.index]}
              act={act}
              index={v.index}
              top={v.start - listTop}
              measure={virtualizer.measureElement}
            />
          ))}
        </ul>
      )}
    </section>
  );
}

interface RowProps {
  transfer: Transfer;
  act: (fn: () => Promise<void>) => void;
  /** Position in the list, for the virtualizer's measurements. */
  index: number;
  /** Offset from the top of the list, px. */
  top: number;
  measure: (el: HTMLElement | null) => void;
}

const TransferRow = memo(function TransferRow({ transfer: x, act, index, top, measure }: RowProps) {
  const backend = useBackend();
  const { t } = useI18n();
  // Hashing before the upload: the bar measures the bytes read so far.
  const checking = x.state === "running" && x.phase === "checking";
  const done = checking ? x.checkedBytes : x.bytesDone;
  const ratio = x.bytesTotal > 0 ? done / x.bytesTotal : x.state === "completed" ? 1 : 0;
  const ids = [x.id];
  return (
    <li
      className={`transfer state-${x.state}`}
      data-testid="transfer-row"
      data-state={x.state}
      data-phase={x.phase}
      data-id={x.id}
      data-index={index}
      ref={measure}
      style={{ transform: `translateY(${top}px)` } as CSSProperties}
    >
      <Icon name={x.direction === "upload" ? "upload" : "download"} label={t(x.direction === "upload" ? "transfers.upload" : "transfers.download")} />
      <div className="transfer-main">
        <div className="transfer-top">
          <SafeName name={x.name} className="transfer-name" />
          <span className="transfer-state">{checking ? t("transfers.state.checking") : t(`transfers.state.${x.state}`)}</span>
        </div>
        <progress max={1} value={ratio} aria-label={t("transfers.progressOf", { name: x.name })} className={x.state === "failed" ? "failed" : x.state === "completed" ? "done" : undefined} />
        <div className="transfer-meta small muted">
          {checking ? (
            <span data-testid="transfer-checking">{t("transfers.checking", { done: formatBytes(x.checkedBytes), total: formatBytes(x.bytesTotal) })}</span>
          ) : (
            <span>
              {formatBytes(x.bytesDone)} / {formatBytes(x.bytesTotal)}
            </span>
          )}
          {x.state === "running" && !checking && <span data-testid="transfer-speed">{formatSpeed(x.speedBps)}</span>}
          {x.state === "running" && !checking && <span data-testid="transfer-eta">{t("transfers.eta", { eta: formatEta(x.etaSeconds) })}</span>}
          {x.state === "completed" && x.phase === "instant" && <span data-testid="transfer-instant">{t("transfers.instant")}</span>}
          {x.error && <span className="danger-text">{x.error}</span>}
          {x.savedAs && (
            <span data-testid="transfer-saved-as">
              {t("transfers.savedAs")} <SafeName name={x.savedAs} />
            </span>
          )}
          {x.renamedFiles > 0 && <span data-testid="transfer-renamed">{t("transfers.renamedFiles", { count: x.renamedFiles })}</span>}
        </div>
      </div>
      <div className="transfer-actions">
        {(x.state === "running" || x.state === "queued") && (
          <button type="button" onClick={() => act(() => backend.pauseTransfers(ids))} data-testid="transfer-pause">
            {t("transfers.pause")}
          </button>
        )}
        {x.state === "paused" && (
          <button type="button" onClick={() => act(() => backend.resumeTransfers(ids))} data-testid="transfer-resume">
            {t("transfers.resume")}
          </button>
        )}
        {(x.state === "failed" || x.state === "cancelled") && (
          <button type="button" onClick={() => act(() => backend.retryTransfers(ids))} data-testid="transfer-retry">
            {t("transfers.retry")}
          </button>
        )}
        {!FINISHED.has(x.state) && (
          <button type="button" onClick={() => act(() => backend.cancelTransfers(ids))} data-testid="transfer-cancel">
            {t("transfers.cancel")}
          </button>
        )}
      </div>
    </li>
  );
});
