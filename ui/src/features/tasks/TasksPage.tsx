import { useCallback, useEffect, useState, type FormEvent } from "react";
import { toBackendError, useBackend, type BackendError, type Task, type TaskCategory } from "../../backend";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import type { MessageKey } from "../../i18n/en";
import { formatBytes, formatDate, formatEta } from "../../lib/format";
import { GatedButton } from "../../components/GatedButton";
import { useAccountFeatures } from "../accounts/AccountFeatures";
import { FolderPicker } from "../browser/FolderPicker";
import { crumbsOf } from "../../lib/uri";

/** How often the list is refreshed while the page is visible. */
export const TASK_POLL_MS = 2000;

const CATEGORIES: TaskCategory[] = ["general", "downloading", "downloaded"];
const RUNNING = new Set<Task["status"]>(["queued", "processing", "suspending"]);

/** Phases the server reports (Cloudreve §10.1) that have a translation; others show as sent. */
const PHASES: Record<string, MessageKey> = {
  not_started: "tasks.phase.notStarted",
  compress_files: "tasks.phase.compressFiles",
  upload_archive: "tasks.phase.uploadArchive",
  complete_upload: "tasks.phase.completeUpload",
  download_zip: "tasks.phase.downloadZip",
  monitor: "tasks.phase.monitor",
  transfer: "tasks.phase.transfer",
  seeding: "tasks.phase.seeding",
};

/** Phase, counters, estimate and failures of one task, where the server reports them. */
function TaskDetail({ task }: { task: Task }) {
  const { t } = useI18n();
  const running = RUNNING.has(task.status);
  const phase = running && task.phase ? task.phase : null;
  const parts = [
    phase && (
      <span key="phase" data-testid="task-phase">
        {PHASES[phase] ? t(PHASES[phase]) : <SafeName name={phase} />}
      </span>
    ),
    ...task.counters.map((c) => (
      <span key={c.name} data-testid="task-counter" data-name={c.name}>
        {c.unit === "items"
          ? t("tasks.countItems", { current: c.current, total: c.total })
          : t("tasks.countBytes", { current: formatBytes(c.current), total: formatBytes(c.total) })}
      </span>
    )),
    running && task.etaSeconds != null && (
      <span key="eta" data-testid="task-eta">
        {t("transfers.eta", { eta: formatEta(task.etaSeconds) })}
      </span>
    ),
    task.failed != null && task.failed > 0 && (
      <span key="failed" className="danger-text" data-testid="task-failed">
        {t("tasks.failedItems", { count: task.failed })}
      </span>
    ),
  ].filter(Boolean);
  return parts.length ? <div className="task-detail small muted">{parts}</div> : null;
}

/**
 * Server-side workflows: archive/extract and remote downloads. Polls every
 * 2 s while mounted and the window is visible; archive and extract are
 * started from the file browser's context menu.
 */
export function TasksPage({ accountId }: { accountId: string }) {
  const backend = useBackend();
  const { t, lang } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const { caps, rootUri, providerName, reason } = useAccountFeatures();
  // Archive and extract tasks live under "general"; a server without them starts on its downloads.
  const generalReason = caps.tasksArchive || caps.tasksExtract ? null : t("caps.noArchiveTasks", { provider: providerName });
  const downloadReason = reason("remoteDownload");
  const cancelReason = reason("taskCancel");
  const [category, setCategory] = useState<TaskCategory>(generalReason ? "downloading" : "general");
  const [tasks, setTasks] = useState<Task[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [urls, setUrls] = useState("");
  const [dst, setDst] = useState(rootUri);
  const [picking, setPicking] = useState(false);
  // Shown as a readable path: raw provider references (ids, schemes) mean nothing to a user.
  const dstCrumbs = crumbsOf(dst);
  const dstName = dstCrumbs.length > 1 ? dstCrumbs.slice(1).map((c) => c.name).join(" / ") : t("nav.files");

  const load = useCallback(() => {
    backend
      .listTasks(accountId, category)
      .then((list) => {
        setTasks(list);
        setError(null);
      })
      .catch((e) => setError(toBackendError(e)));
  }, [backend, accountId, category]);

  useEffect(() => {
    setTasks(null);
    load();
    const timer = setInterval(() => {
      // Don't poll the server while the window is hidden or minimised.
      if (document.visibilityState !== "hidden") load();
    }, TASK_POLL_MS);
    return () => clearInterval(timer);
  }, [load]);

  async function startDownload(e: FormEvent) {
    e.preventDefault();
    if (downloadReason) return;
    const list = urls
      .split(/\r?\n/)
      .map((u) => u.trim())
      .filter(Boolean);
    if (!list.length) return;
    try {
      await backend.remoteDownload(accountId, list, dst || rootUri);
      setUrls("");
      setCategory("downloading");
      load();
    } catch (err) {
      toast(errorText(toBackendError(err)), "error");
    }
  }

  return (
    <section className="page" data-testid="tasks-page">
      <div className="page-header">
        <h1>{t("tasks.title")}</h1>
      </div>
      <form className="card form" onSubmit={startDownload} data-testid="remote-download-form">
        <h2>{t("tasks.remoteDownload")}</h2>
        {downloadReason && (
          <p className="gated-note" data-testid="remote-download-unavailable">
            {downloadReason}
          </p>
        )}
        <fieldset className="plain-fieldset" disabled={!!downloadReason}>
          <label>
            {t("tasks.urls")}
            <textarea rows={3} value={urls} onChange={(e) => setUrls(e.target.value)} spellCheck={false} data-testid="remote-download-urls" />
          </label>
          <label>
            {t("tasks.destination")}
            <span className="folder-field">
              <input readOnly value={dstName} data-testid="remote-download-dst" />
              <button type="button" onClick={() => setPicking(true)} data-testid="remote-download-change">
                {t("uploadWith.change")}
              </button>
            </span>
          </label>
          <div className="row-actions">
            <button type="submit" className="primary" disabled={!urls.trim()} data-testid="remote-download-start">
              {t("tasks.start")}
            </button>
          </div>
        </fieldset>
      </form>
      {picking && (
        <FolderPicker
          accountId={accountId}
          start={dst}
          copy={false}
          exclude={[]}
          title={t("tasks.pickTitle")}
          okLabel={t("uploadWith.pickHere")}
          onPick={(uri) => {
            setDst(uri);
            setPicking(false);
          }}
          onCancel={() => setPicking(false)}
        />
      )}
      <div className="tabs" role="tablist">
        {CATEGORIES.map((c) => {
          const why = c === "general" ? generalReason : downloadReason;
          return (
            <GatedButton key={c} reason={why} role="tab" aria-selected={category === c} onClick={() => setCategory(c)} data-testid={`tasks-tab-${c}`}>
              {t(`tasks.${c}`)}
            </GatedButton>
          );
        })}
      </div>
      {error && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      {tasks && tasks.length === 0 && <p className="muted empty-note">{t("tasks.empty")}</p>}
      {tasks && tasks.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{t("tasks.type")}</th>
              <th>{t("share.name")}</th>
              <th>{t("tasks.status")}</th>
              <th>{t("tasks.progress")}</th>
              <th>{t("tasks.created")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {tasks.map((task) => (
              <tr key={task.id} data-testid="task-row" data-status={task.status}>
                <td>{task.type}</td>
                <td>
                  <SafeName name={task.summary} />
                  {task.error && <div className="small danger-text">{task.error}</div>}
                </td>
                <td>{t(`tasks.status.${task.status}`)}</td>
                <td className="task-progress">
                  {task.progress != null && <progress max={1} value={task.progress} aria-label={t("tasks.progressOf", { name: task.summary })} />}
                  {task.progress != null && <span className="small muted">{Math.round(task.progress * 100)}%</span>}
                  <TaskDetail task={task} />
                </td>
                <td>{formatDate(task.createdAt, lang)}</td>
                <td>
                  {RUNNING.has(task.status) && (
                    <GatedButton
                      reason={cancelReason}
                      onClick={() =>
                        backend
                          .cancelTask(accountId, task.id)
                          .then(load)
                          .catch((e) => toast(errorText(toBackendError(e)), "error"))
                      }
                      data-testid="task-cancel"
                    >
                      {t("tasks.cancel")}
                    </GatedButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
