import { useEffect, useState } from "react";
import { toBackendError, useBackend, type OpenedChanged } from "../../backend";
import { Dialog } from "../../components/Dialog";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";

/**
 * Asks, when a file opened in its default app was saved with new content, whether to upload
 * it as a new version. Nothing is uploaded without the answer.
 */
export function OpenWithPrompt() {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const [queue, setQueue] = useState<OpenedChanged[]>([]);

  useEffect(() => {
    let stop: (() => void) | null = null;
    let live = true;
    void backend
      .onOpenWithChanged((c) => setQueue((q) => (q.some((x) => x.id === c.id) ? q : [...q, c])))
      .then((u) => (live ? (stop = u) : u()));
    return () => {
      live = false;
      stop?.();
    };
  }, [backend]);

  const current = queue[0];
  if (!current) return null;
  const done = () => setQueue((q) => q.slice(1));
  const keep = () => {
    void backend.openWithDismiss(current.id).catch(() => undefined);
    done();
  };
  const upload = () => {
    backend
      .openWithUpload(current.id)
      .then(() => toast(t("openWith.uploading")))
      .catch((e) => toast(errorText(toBackendError(e)), "error"));
    done();
  };
  return (
    <Dialog
      title={t("openWith.title")}
      onClose={keep}
      testId="open-with-prompt"
      footer={
        <>
          <button type="button" onClick={keep}>
            {t("openWith.keep")}
          </button>
          {current.canUploadVersion && (
            <button type="button" className="primary" data-testid="open-with-upload" onClick={upload}>
              {t("openWith.upload")}
            </button>
          )}
        </>
      }
    >
      <p>
        <SafeName name={current.name} /> {t("openWith.changed")}
      </p>
      {!current.canUploadVersion && <p className="muted">{t("openWith.cannot")}</p>}
    </Dialog>
  );
}
