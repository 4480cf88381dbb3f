import { lazy, Suspense, useEffect, useState } from "react";
import { toBackendError, useBackend, type Entry, type Preview, type TextPreview } from "../../backend";
import { Icon } from "../../components/Icon";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { PdfView } from "./PdfView";
import "./Preview.css";

// Loaded on first use: the Markdown renderer is not needed to browse.
const MarkdownView = lazy(() => import("./MarkdownView").then((m) => ({ default: m.MarkdownView })));

/**
 * The preview of one file over the browser: images, text and code (capped in Rust), Markdown
 * (rendered without raw HTML), PDF (pdf.js), audio and video (streamed with seeking through
 * the `cirrus-media` scheme). Space or Escape closes it; the arrow keys step to the previous
 * or next file of the folder. Anything else offers "Open with default app".
 */
export function PreviewOverlay({
  accountId,
  folderUri,
  entry,
  onClose,
  onStep,
}: {
  accountId: string;
  /** The folder the file is in (where a changed copy goes back to). */
  folderUri: string;
  entry: Entry;
  onClose: () => void;
  /** Moves to the previous (-1) or next (+1) file. */
  onStep: (delta: -1 | 1) => void;
}) {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const [preview, setPreview] = useState<Preview | null>(null);
  const [text, setText] = useState<TextPreview | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    setPreview(null);
    setText(null);
    setError(null);
    backend
      .previewOpen(accountId, entry.uri)
      .then(async (p) => {
        if (!live) return;
        setPreview(p);
        if (p.kind === "text" || p.kind === "markdown") {
          const tp = await backend.previewText(p.id);
          if (live) setText(tp);
        }
      })
      .catch((e) => live && setError(errorText(toBackendError(e))));
    return () => {
      live = false;
    };
  }, [backend, accountId, entry.uri, errorText]);

  // Keys go to the overlay first (capture), and no further: the list behind must not move.
  useEffect(() => {
    const h = (e: KeyboardEvent) => {
      const step = { ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1 }[e.key] as -1 | 1 | undefined;
      if (e.key === "Escape" || e.key === " ") {
        e.preventDefault();
        e.stopPropagation();
        onClose();
      } else if (step && !e.altKey && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        e.stopPropagation();
        onStep(step);
      }
    };
    document.addEventListener("keydown", h, true);
    return () => document.removeEventListener("keydown", h, true);
  }, [onClose, onStep]);

  const openWith = () => {
    backend
      .openWithDefault(accountId, entry.uri, folderUri)
      .then((o) => toast(t(o.canUploadVersion ? "preview.openedWatch" : "preview.opened", { name: o.name })))
      .catch((e) => toast(errorText(toBackendError(e)), "error"));
  };

  return (
    <div className="preview-backdrop" data-testid="preview" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="preview" role="dialog" aria-modal="true" aria-label={t("preview.title", { name: entry.name })}>
        <header className="preview-head">
          <button type="button" className="icon-button" onClick={() => onStep(-1)} aria-label={t("preview.previous")} title={t("preview.previous")}>
            <Icon name="back" />
          </button>
          <span className="preview-name" data-testid="preview-name">
            <SafeName name={entry.name} />
          </span>
          <button type="button" className="icon-button" onClick={() => onStep(1)} aria-label={t("preview.next")} title={t("preview.next")}>
            <Icon name="forward" />
          </button>
          <button type="button" data-testid="preview-open-with" onClick={openWith}>
            {t("preview.openWith")}
          </button>
          <button type="button" className="icon-button" data-testid="preview-close" onClick={onClose} aria-label={t("common.close")} title={t("common.close")}>
            ×
          </button>
        </header>
        <div className="preview-body" data-kind={preview?.kind ?? "loading"}>
          {error ? (
            <p className="banner error" role="alert">
              {error}
            </p>
          ) : !preview ? (
            <p className="muted">{t("common.loading")}</p>
          ) : (
            <PreviewBody preview={preview} text={text} onOpenWith={openWith} />
          )}
        </div>
      </div>
    </div>
  );
}

function PreviewBody({ preview, text, onOpenWith }: { preview: Preview; text: TextPreview | null; onOpenWith: () => void }) {
  const { t } = useI18n();
  switch (preview.kind) {
    case "image":
      return <img className="preview-image" data-testid="preview-image" src={preview.url} alt={preview.name} />;
    case "video":
      return <video className="preview-media" data-testid="preview-video" src={preview.url} controls autoPlay={false} />;
    case "audio":
      return <audio className="preview-media" data-testid="preview-audio" src={preview.url} controls />;
    case "pdf":
      return <PdfView id={preview.id} />;
    case "text":
    case "markdown":
      if (!text) return <p className="muted">{t("common.loading")}</p>;
      return (
        <>
          {text.truncated && (
            <p className="banner" data-testid="preview-truncated">
              {t("preview.truncated")}
            </p>
          )}
          {preview.kind === "markdown" ? (
            <Suspense fallback={<p className="muted">{t("common.loading")}</p>}>
              <MarkdownView source={text.text} />
            </Suspense>
          ) : (
            <pre className="preview-text" data-testid="preview-text">
              {text.text}
            </pre>
          )}
        </>
      );
    default:
      return (
        <div className="preview-none" data-testid="preview-none">
          <p>{t("preview.none")}</p>
          <button type="button" className="primary" onClick={onOpenWith}>
            {t("preview.openWith")}
          </button>
        </div>
      );
  }
}
