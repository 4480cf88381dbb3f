import { useCallback, useEffect, useState } from "react";
import { toBackendError, useBackend, type BackendError, type Share } from "../../backend";
import { ConfirmDialog } from "../../components/Dialog";
import { GatedButton } from "../../components/GatedButton";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { formatDate } from "../../lib/format";
import { useAccountFeatures } from "../accounts/AccountFeatures";
import { ShareEditDialog } from "./ShareEditDialog";

/** "My shares": every share link of the account, with copy and delete. */
export function SharesPage({ accountId }: { accountId: string }) {
  const backend = useBackend();
  const { t, lang } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const deleteReason = useAccountFeatures().reason("shareDelete");
  const [shares, setShares] = useState<Share[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [deleting, setDeleting] = useState<Share | null>(null);
  const [editing, setEditing] = useState<Share | null>(null);

  const load = useCallback(() => {
    backend
      .listShares(accountId)
      .then((s) => {
        setShares(s);
        setError(null);
      })
      .catch((e) => setError(toBackendError(e)));
  }, [backend, accountId]);
  useEffect(load, [load]);

  const fail = (e: unknown) => toast(errorText(toBackendError(e)), "error");

  return (
    <section className="page" data-testid="shares-page">
      <div className="page-header">
        <h1>{t("share.pageTitle")}</h1>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {errorText(error)}
        </p>
      )}
      {!shares && !error && <p className="muted">{t("common.loading")}</p>}
      {shares && shares.length === 0 && <p className="muted empty-note">{t("share.empty")}</p>}
      {shares && shares.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>{t("share.name")}</th>
              <th>{t("share.link")}</th>
              <th>{t("share.expires")}</th>
              <th>{t("share.remaining")}</th>
              <th>{t("share.visits")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shares.map((s) => (
              <tr key={s.id} data-testid="share-row" data-id={s.id} data-remain={s.remainDownloads ?? ""} data-expires={s.expires ?? ""}>
                <td>
                  <SafeName name={s.name} />
                  {s.passwordProtected && (
                    <span className="badge" title={t("share.protected")}>
                      🔒
                    </span>
                  )}
                </td>
                <td className="small">{s.url}</td>
                <td>{s.expires ? formatDate(s.expires, lang) : t("share.expiry.never")}</td>
                <td>{s.remainDownloads ?? t("common.unlimited")}</td>
                <td>
                  {s.visited} / {s.downloaded}
                </td>
                <td className="row-actions">
                  <button
                    type="button"
                    onClick={() =>
                      backend
                        .copyToClipboard(s.password ? `${s.url} (${t("share.password")}: ${s.password})` : s.url)
                        .then(() => toast(t("common.copied")))
                        .catch(fail)
                    }
                    data-testid="share-row-copy"
                  >
                    {t("share.copyLink")}
                  </button>
                  {s.limitsEditable && (
                    <button type="button" onClick={() => setEditing(s)} data-testid="share-row-edit">
                      {t("share.edit")}
                    </button>
                  )}
                  <GatedButton reason={deleteReason} className="danger" onClick={() => setDeleting(s)} data-testid="share-row-delete">
                    {t("common.delete")}
                  </GatedButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editing && (
        <ShareEditDialog
          accountId={accountId}
          share={editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            toast(t("share.saved"));
            load();
          }}
        />
      )}
      {deleting && (
        <ConfirmDialog
          title={t("common.delete")}
          message={t("share.deleteConfirm", { name: deleting.name })}
          confirmLabel={t("common.delete")}
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            const id = deleting.id;
            setDeleting(null);
            backend.deleteShare(accountId, id).then(load).catch(fail);
          }}
        />
      )}
    </section>
  );
}
