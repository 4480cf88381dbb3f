import { useState, type FormEvent } from "react";
import { toBackendError, useBackend, type BackendError, type Share, type ShareOptions } from "../../backend";
import { Dialog } from "../../components/Dialog";
import { useErrorText, useI18n } from "../../i18n";
import { formatDate } from "../../lib/format";
import { EXPIRY_OPTIONS } from "./ShareDialog";

/** `expiry` value meaning "keep the current expiry date". */
export const KEEP_EXPIRY = -1;

/** What the edit form holds. */
export interface ShareEditForm {
  /** Index into `EXPIRY_OPTIONS`, or `KEEP_EXPIRY`. */
  expiry: number;
  limit: boolean;
  downloads: number;
  usePassword: boolean;
  password: string;
}

/** The form prefilled from the share as the server reports it now. */
export function formFromShare(share: Share): ShareEditForm {
  return {
    expiry: share.expires ? KEEP_EXPIRY : 0,
    limit: share.remainDownloads != null,
    downloads: share.remainDownloads ?? 10,
    usePassword: !!share.password,
    password: share.password ?? "",
  };
}

/**
 * The complete set of limits to send. The server replaces every limit at once, so fields the
 * user did not touch go out with their current values: the kept expiry as the seconds left
 * until it, the password unchanged where the server cannot change it.
 */
export function editOptions(share: Share, form: ShareEditForm, now = Date.now()): ShareOptions {
  let expireSeconds: number | null;
  if (form.expiry === KEEP_EXPIRY && share.expires) {
    expireSeconds = Math.max(1, Math.ceil((Date.parse(share.expires) - now) / 1000));
  } else {
    expireSeconds = EXPIRY_OPTIONS[Math.max(0, form.expiry)]?.seconds ?? null;
  }
  const password = share.passwordEditable
    ? form.usePassword && form.password.trim()
      ? form.password.trim()
      : null
    : (share.password ?? null);
  return { password, expireSeconds, downloads: form.limit ? Math.max(1, Math.floor(form.downloads)) : null };
}

/** Changes a share's expiry, download limit and (where the server allows it) password. */
export function ShareEditDialog({
  accountId,
  share,
  onClose,
  onSaved,
}: {
  accountId: string;
  share: Share;
  onClose: () => void;
  onSaved: (share: Share) => void;
}) {
  const backend = useBackend();
  const { t, lang } = useI18n();
  const errorText = useErrorText();
  const [form, setForm] = useState(() => formFromShare(share));
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<ShareEditForm>) => setForm((f) => ({ ...f, ...patch }));

  async function save(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSaved(await backend.editShare(accountId, share.id, editOptions(share, form)));
    } catch (err) {
      setError(toBackendError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={t("share.editTitle", { name: share.name })} onClose={onClose} testId="share-edit-dialog">
      <form className="form" onSubmit={save}>
        {share.passwordEditable ? (
          <>
            <label className="checkbox">
              <input type="checkbox" checked={form.usePassword} onChange={(e) => set({ usePassword: e.target.checked })} data-testid="share-edit-use-password" />
              {t("share.usePassword")}
            </label>
            {form.usePassword && (
              <label>
                {t("share.password")}
                <input value={form.password} onChange={(e) => set({ password: e.target.value })} data-testid="share-edit-password" />
              </label>
            )}
          </>
        ) : (
          <>
            {share.password && (
              <label>
                {t("share.password")}
                <input readOnly value={share.password} data-testid="share-edit-password" />
              </label>
            )}
            <p className="muted small">{t("share.passwordFixed")}</p>
          </>
        )}
        <label>
          {t("share.expiry")}
          <select value={form.expiry} onChange={(e) => set({ expiry: Number(e.target.value) })} data-testid="share-edit-expiry">
            {share.expires && <option value={KEEP_EXPIRY}>{t("share.expiry.keep", { date: formatDate(share.expires, lang) })}</option>}
            {EXPIRY_OPTIONS.map((o, i) => (
              <option key={o.key} value={i}>
                {t(o.key)}
              </option>
            ))}
          </select>
        </label>
        <label className="checkbox">
          <input type="checkbox" checked={form.limit} onChange={(e) => set({ limit: e.target.checked })} data-testid="share-edit-limit" />
          {t("share.limitDownloads")}
        </label>
        {form.limit && (
          <label>
            {t("share.downloads")}
            <input
              type="number"
              min={1}
              value={form.downloads}
              onChange={(e) => set({ downloads: Number(e.target.value) })}
              data-testid="share-edit-downloads"
            />
          </label>
        )}
        {error && (
          <p className="form-error" role="alert" data-testid="share-edit-error">
            {errorText(error)}
          </p>
        )}
        <div className="dialog-footer">
          <button type="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="primary" disabled={busy} data-testid="share-edit-save">
            {t("share.save")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
