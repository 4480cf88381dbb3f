import { useEffect, useState } from "react";
import { useBackend, type SecretStore } from "../../backend";
import { useI18n } from "../../i18n";
import "./notices.css";

/** Where secrets are kept, loaded once; null until known (or when Rust cannot say). */
export function useSecretStore(): SecretStore | null {
  const backend = useBackend();
  const [info, setInfo] = useState<SecretStore | null>(null);
  useEffect(() => {
    let alive = true;
    backend
      .secretStoreInfo()
      .then((i) => alive && setInfo(i))
      .catch(() => alive && setInfo(null));
    return () => {
      alive = false;
    };
  }, [backend]);
  return info;
}

/** Plain words about the 0600-file fallback and how to get the system keyring working. */
export function SecretsExplanation({ reason }: { reason: string }) {
  const { t } = useI18n();
  return (
    <>
      <p>{t("secrets.noticeText")}</p>
      <p>{t("secrets.howTo")}</p>
      <p className="muted small">{t("secrets.reason", { reason })}</p>
    </>
  );
}

/**
 * Shown once (until dismissed; Rust remembers it) when sign-in secrets fell back to the
 * private file because the OS credential store is unusable. Settings shows it for good.
 */
export function SecretsNotice() {
  const backend = useBackend();
  const { t } = useI18n();
  const info = useSecretStore();
  const [dismissed, setDismissed] = useState(false);
  if (!info?.noticeDue || !info.fallbackReason || dismissed) return null;
  return (
    <div className="notice-banner notice-floating" role="status" data-testid="secrets-notice">
      <div className="notice-body">
        <p>
          <strong>{t("secrets.noticeTitle")}</strong>
        </p>
        <SecretsExplanation reason={info.fallbackReason} />
      </div>
      <button
        type="button"
        onClick={() => {
          setDismissed(true);
          void backend.dismissSecretNotice().catch(() => undefined);
        }}
        data-testid="secrets-notice-dismiss"
      >
        {t("secrets.dismiss")}
      </button>
    </div>
  );
}
