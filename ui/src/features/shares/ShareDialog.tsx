import { useState, type FormEvent } from "react";
import { toBackendError, useBackend, type BackendError, type Entry, type Share } from "../../backend";
import { Dialog } from "../../components/Dialog";
import { useErrorText, useI18n, type MessageKey } from "../../i18n";
import { displayName } from "../../lib/displayName";
import { expiryChoices } from "../../lib/capabilities";
import { useAccountFeatures } from "../accounts/AccountFeatures";

/** An expiry choice: its label (with `days` for a server's own whole-day choices) and seconds. */
export interface ExpiryOption {
  key: MessageKey;
  seconds: number | null;
  days?: number;
}

/** Expiry presets (seconds); null means the link never expires. */
export const EXPIRY_OPTIONS: ExpiryOption[] = [
  { key: "share.expiry.never", seconds: null },
  { key: "share.expiry.1h", seconds: 3600 },
  { key: "share.expiry.1d", seconds: 86400 },
  { key: "share.expiry.7d", seconds: 7 * 86400 },
  { key: "share.expiry.30d", seconds: 30 * 86400 },
];

/** Random share password from an unambiguous alphabet (no 0/O, 1/l). */
export function randomPassword(length = 6): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyz23456789";
  const bytes = new Uint8Array(length);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

/** Creates a share link for one item, then shows the link with a copy button. */
export function ShareDialog({ accountId, entry, onClose }: { accountId: string; entry: Entry; onClose: () => void }) {
  const backend = useBackend();
  const { t } = useI18n();
  const errorText = useErrorText();
  const { caps, providerName, reason } = useAccountFeatures();
  const passwordReason = reason("sharePassword");
  const expiryReason = reason("shareExpiry");
  // A server with fixed expiry choices still has no download limit: say only that.
  const limitsReason = caps.shareLimits ? null : expiryReason ?? t("caps.noDownloadLimit", { provider: providerName });
  const expiryOptions = expiryChoices<ExpiryOption>(caps, EXPIRY_OPTIONS, (days) => EXPIRY_OPTIONS.find((o) => o.seconds === days * 86400) ?? { key: "share.expiry.days", seconds: days * 86400, days });
  const [usePassword, setUsePassword] = useState(false);
  const [password, setPassword] = useState(() => randomPassword());
  const [expiry, setExpiry] = useState(0);
  const [limit, setLimit] = useState(false);
  const [downloads, setDownloads] = useState(10);
  const [share, setShare] = useState<Share | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState(false);

  async function create(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setShare(
        await backend.createShare(accountId, entry.uri, {
          password: !passwordReason && usePassword && password.trim() ? password.trim() : null,
          expireSeconds: expiryReason ? null : expiryOptions[expiry].seconds,
          downloads: !limitsReason && limit ? Math.max(1, downloads) : null,
        }),
      );
    } catch (err) {
      setError(toBackendError(err));
    } finally {
      setBusy(false);
    }
  }

  async function copy() {
    if (!share) return;
    // The password travels with the link text so the recipient gets both in one paste.
    const text = share.password ? `${share.url} (${t("share.password")}: ${share.password})` : share.url;
    try {
      await backend.copyToClipboard(text);
      setCopied(true);
    } catch (err) {
      setError(toBackendError(err));
    }
  }

  return (
    <Dialog title={t("share.title", { name: displayName(entry.name) })} onClose={onClose} testId="share-dialog">
      {!share ? (
        <form className="form" onSubmit={create}>
          <label className="checkbox" title={passwordReason ?? undefined}>
            <input
              type="checkbox"
              checked={usePassword && !passwordReason}
              disabled={!!passwordReason}
              onChange={(e) => setUsePassword(e.target.checked)}
              data-testid="share-use-password"
            />
            {t("share.usePassword")}
          </label>
          {passwordReason && (
            <p className="gated-note" data-testid="share-password-unavailable">
              {passwordReason}
            </p>
          )}
          {usePassword && !passwordReason && (
            <label>
              {t("share.password")}
              <input value={password} onChange={(e) => setPassword(e.target.value)} data-testid="share-password" />
            </label>
          )}
          <label title={expiryReason ?? undefined}>
            {t("share.expiry")}
            <select value={expiryReason ? 0 : expiry} disabled={!!expiryReason} onChange={(e) => setExpiry(Number(e.target.value))} data-testid="share-expiry">
              {expiryOptions.map((o, i) => (
                <option key={`${o.key}:${o.seconds}`} value={i}>
                  {o.days ? t(o.key, { days: o.days }) : t(o.key)}
                </option>
              ))}
            </select>
          </label>
          <label className="checkbox" title={limitsReason ?? undefined}>
            <input
              type="checkbox"
              checked={limit && !limitsReason}
              disabled={!!limitsReason}
              onChange={(e) => setLimit(e.target.checked)}
              data-testid="share-limit"
            />
            {t("share.limitDownloads")}
          </label>
          {limitsReason && (
            <p className="gated-note" data-testid="share-limits-unavailable">
              {limitsReason}
            </p>
          )}
          {limit && !limitsReason && (
            <label>
              {t("share.downloads")}
              <input
                type="number"
                min={1}
                value={downloads}
                onChange={(e) => setDownloads(Number(e.target.value))}
                data-testid="share-downloads"
              />
            </label>
          )}
          {error && (
            <p className="form-error" role="alert">
              {errorText(error)}
            </p>
          )}
          <div className="dialog-footer">
            <button type="button" onClick={onClose}>
              {t("common.cancel")}
            </button>
            <button type="submit" className="primary" disabled={busy} data-testid="share-create">
              {t("share.create")}
            </button>
          </div>
        </form>
      ) : (
        <div className="form">
          <label>
            {t("share.link")}
            <input readOnly value={share.url} onFocus={(e) => e.currentTarget.select()} data-testid="share-link" />
          </label>
          {share.password && (
            <label>
              {t("share.password")}
              <input readOnly value={share.password} data-testid="share-link-password" />
            </label>
          )}
          {error && (
            <p className="form-error" role="alert">
              {errorText(error)}
            </p>
          )}
          <div className="dialog-footer">
            <button type="button" onClick={onClose}>
              {t("common.close")}
            </button>
            <button type="button" className="primary" onClick={copy} data-testid="share-copy">
              {copied ? t("common.copied") : t("share.copyLink")}
            </button>
          </div>
        </div>
      )}
    </Dialog>
  );
}
