import { useCallback, useEffect, useRef, useState } from "react";
import { toBackendError, useBackend, type BackendError } from "../../backend";
import { useI18n } from "../../i18n";

/**
 * Starts the local sandbox for its account (after an app restart the old one is gone) and
 * reports only sandbox words: never a network error about a closed port.
 */
export function SandboxStarter({ onReady, onElsewhere }: { onReady: () => void; onElsewhere: () => void }) {
  const backend = useBackend();
  const { t } = useI18n();
  const [error, setError] = useState<BackendError | null>(null);
  const ready = useRef(onReady);
  ready.current = onReady;
  const start = useCallback(() => {
    setError(null);
    backend
      .startSandbox()
      .then(() => ready.current())
      .catch((e) => setError(toBackendError(e)));
  }, [backend]);
  useEffect(start, [start]);
  return (
    <main className="splash" data-testid="sandbox-starting">
      {!error ? (
        <p>{t("sandbox.starting")}</p>
      ) : (
        <div className="form">
          <p className="form-error" role="alert" data-testid="sandbox-error">
            {t("sandbox.failed", { message: error.message })}
          </p>
          <div className="row-actions">
            <button type="button" onClick={onElsewhere}>
              {t("accounts.add")}
            </button>
            <button type="button" className="primary" onClick={start}>
              {t("sandbox.retry")}
            </button>
          </div>
        </div>
      )}
    </main>
  );
}
