import { useEffect, useRef, useState } from "react";
import { toBackendError, useBackend } from "../../backend";
import { useErrorText, useI18n } from "../../i18n";

/** Pages rendered at most (a long document opens in the default app). */
const MAX_PAGES = 30;

/**
 * A PDF drawn by pdf.js (bundled, loaded only when a PDF is previewed): WebKitGTK shows no
 * PDFs inline. The bytes come over IPC; pdf.js runs in a worker served from the app itself,
 * without `eval`.
 */
export function PdfView({ id }: { id: string }) {
  const backend = useBackend();
  const { t } = useI18n();
  const errorText = useErrorText();
  const host = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const [more, setMore] = useState(false);

  useEffect(() => {
    let live = true;
    let destroy: (() => void) | null = null;
    (async () => {
      try {
        const data = await backend.previewPdf(id);
        const pdfjs = await import("pdfjs-dist");
        const worker = await import("pdfjs-dist/build/pdf.worker.min.mjs?url");
        pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
        const doc = await pdfjs.getDocument({ data: new Uint8Array(data), isEvalSupported: false }).promise;
        destroy = () => void doc.destroy();
        if (!live) return destroy();
        setMore(doc.numPages > MAX_PAGES);
        for (let n = 1; n <= Math.min(doc.numPages, MAX_PAGES) && live; n++) {
          const page = await doc.getPage(n);
          const width = host.current?.clientWidth || 800;
          const viewport = page.getViewport({ scale: width / page.getViewport({ scale: 1 }).width });
          const canvas = document.createElement("canvas");
          canvas.width = Math.floor(viewport.width);
          canvas.height = Math.floor(viewport.height);
          canvas.className = "preview-pdf-page";
          host.current?.appendChild(canvas);
          await page.render({ canvas, viewport }).promise;
        }
      } catch (e) {
        if (live) setError(e instanceof Error ? t("preview.pdfFailed") : errorText(toBackendError(e)));
      }
    })();
    return () => {
      live = false;
      destroy?.();
      if (host.current) host.current.textContent = "";
    };
  }, [backend, id, t, errorText]);

  return (
    <div className="preview-pdf" data-testid="preview-pdf">
      {error && (
        <p className="banner error" role="alert">
          {error}
        </p>
      )}
      <div ref={host} />
      {more && <p className="muted">{t("preview.pdfMore", { count: MAX_PAGES })}</p>}
    </div>
  );
}
