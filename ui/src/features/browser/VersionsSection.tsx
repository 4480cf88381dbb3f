import { useCallback, useEffect, useState } from "react";
import { toBackendError, useBackend, type BackendError, type Entry, type Version } from "../../backend";
import { ConfirmDialog } from "../../components/Dialog";
import { Icon } from "../../components/Icon";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { formatBytes, formatDate } from "../../lib/format";
import { useAccountFeatures } from "../accounts/AccountFeatures";
import "./VersionsSection.css";

/**
 * A file's stored versions in the info panel: size, date and which one is current; download
 * one, make one current, delete one (after a confirmation). The list is fetched again after
 * each change. On a server without versions the section says why instead. Mount it with
 * `key={entry.uri}` so another file starts from an empty list.
 */
export function VersionsSection({ accountId, entry, onChanged }: { accountId: string; entry: Entry; onChanged?: (entry: Entry) => void }) {
  const backend = useBackend();
  const { t, lang } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const { caps, providerName } = useAccountFeatures();
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState<Version | null>(null);
  const [reload, setReload] = useState(0);
  const uri = entry.uri;

  useEffect(() => {
    if (!caps.versions) return;
    let alive = true;
    setError(null);
    backend
      .listVersions(accountId, uri)
      .then((list) => alive && setVersions(list))
      .catch((e) => alive && setError(toBackendError(e)));
    return () => {
      alive = false;
    };
  }, [backend, accountId, uri, caps.versions, reload]);

  const run = useCallback(
    async (action: () => Promise<void>) => {
      setBusy(true);
      try {
        await action();
      } catch (e) {
        toast(errorText(toBackendError(e)), "error");
      } finally {
        setBusy(false);
        setReload((n) => n + 1);
      }
    },
    [toast, errorText],
  );

  if (!caps.versions) {
    return (
      <section className="versions" data-testid="versions" aria-disabled="true">
        <h4>{t("versions.title")}</h4>
        <p className="muted" data-testid="versions-unavailable">
          {t("caps.noVersions", { provider: providerName })}
        </p>
      </section>
    );
  }

  const when = (v: Version) => formatDate(v.createdAt, lang);
  return (
    <section className="versions" data-testid="versions" aria-busy={busy}>
      <h4>{t("versions.title")}</h4>
      {error && (
        <p className="error" role="alert">
          {errorText(error)}
        </p>
      )}
      {!versions && !error && <p className="muted">{t("common.loading")}</p>}
      {versions && (
        <ol className="version-list">
          {versions.map((v) => (
            <li key={v.id} className={v.current ? "current" : undefined} data-testid="version" data-current={v.current} data-id={v.id}>
              <div className="version-meta">
                <span className="version-date">{when(v)}</span>
                <span className="version-size muted">{formatBytes(v.size)}</span>
                {v.current && <span className="badge" data-testid="version-current">{t("versions.current")}</span>}
              </div>
              <div className="version-actions">
                <button
                  type="button"
                  className="icon-button"
                  disabled={busy}
                  title={t("versions.download")}
                  aria-label={t("versions.download")}
                  data-testid="version-download"
                  onClick={() =>
                    void run(async () => {
                      await backend.downloadVersion(accountId, uri, v.id, true);
                      toast(t("versions.downloading", { date: when(v) }));
                    })
                  }
                >
                  <Icon name="download" />
                </button>
                {!v.current && (
                  <>
                    <button
                      type="button"
                      disabled={busy}
                      data-testid="version-make-current"
                      onClick={() =>
                        void run(async () => {
                          const changed = await backend.setCurrentVersion(accountId, uri, v.id);
                          onChanged?.(changed);
                          toast(t("versions.restored", { date: when(v) }));
                        })
                      }
                    >
                      {t("versions.makeCurrent")}
                    </button>
                    <button
                      type="button"
                      className="icon-button danger"
                      disabled={busy}
                      title={t("versions.delete")}
                      aria-label={t("versions.delete")}
                      data-testid="version-delete"
                      onClick={() => setConfirmDelete(v)}
                    >
                      <Icon name="trash" />
                    </button>
                  </>
                )}
              </div>
            </li>
          ))}
        </ol>
      )}
      {confirmDelete && (
        <ConfirmDialog
          title={t("versions.delete")}
          message={t("versions.deleteConfirm", { date: when(confirmDelete), size: formatBytes(confirmDelete.size) })}
          confirmLabel={t("common.delete")}
          onCancel={() => setConfirmDelete(null)}
          onConfirm={() => {
            const v = confirmDelete;
            setConfirmDelete(null);
            void run(async () => {
              await backend.deleteVersion(accountId, uri, v.id);
              toast(t("versions.deleted"));
            });
          }}
        />
      )}
    </section>
  );
}
