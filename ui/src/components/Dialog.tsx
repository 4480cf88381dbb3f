import { useEffect, useRef, type KeyboardEvent, type ReactNode } from "react";
import { useI18n } from "../i18n";
import "./Dialog.css";

/**
 * A modal dialog. Not the native `<dialog>`: WebKitGTK and jsdom differ on
 * `showModal()`, and a plain overlay behaves the same everywhere.
 */
export function Dialog({
  title,
  onClose,
  children,
  footer,
  testId,
  onKeyDown,
}: {
  title: string;
  onClose: () => void;
  children: ReactNode;
  footer?: ReactNode;
  testId?: string;
  /** Extra keys of this dialog (after Escape, which always closes). */
  onKeyDown?: (e: KeyboardEvent<HTMLDivElement>) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { t } = useI18n();
  useEffect(() => {
    // Focus the first field so keyboard users can type at once.
    const first = ref.current?.querySelector<HTMLElement>("input, select, textarea, button:not(.dialog-x)");
    first?.focus();
  }, []);
  return (
    <div className="dialog-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div
        ref={ref}
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        data-testid={testId}
        onKeyDown={(e) => {
          e.stopPropagation(); // keep browser shortcuts (Delete, F2, …) out of dialogs
          if (e.key === "Escape") onClose();
          else onKeyDown?.(e);
        }}
      >
        <header className="dialog-header">
          <h2>{title}</h2>
          <button type="button" className="icon-button dialog-x" aria-label={t("common.close")} onClick={onClose}>
            ×
          </button>
        </header>
        <div className="dialog-body">{children}</div>
        {footer && <footer className="dialog-footer">{footer}</footer>}
      </div>
    </div>
  );
}

/** Yes/no question with a danger-styled confirm button. */
export function ConfirmDialog({
  title,
  message,
  confirmLabel,
  onConfirm,
  onCancel,
}: {
  title: string;
  message: string;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  return (
    <Dialog
      title={title}
      onClose={onCancel}
      testId="confirm-dialog"
      footer={
        <>
          <button type="button" onClick={onCancel}>
            {t("common.cancel")}
          </button>
          <button type="button" className="danger" data-testid="confirm-ok" onClick={onConfirm}>
            {confirmLabel}
          </button>
        </>
      }
    >
      <p>{message}</p>
    </Dialog>
  );
}

/** Asks for one line of text (archive name, account label, …). */
export function PromptDialog({
  title,
  label,
  initial,
  onSubmit,
  onCancel,
}: {
  title: string;
  label: string;
  initial: string;
  onSubmit: (value: string) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  return (
    <Dialog title={title} onClose={onCancel} testId="prompt-dialog">
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          const value = new FormData(e.currentTarget).get("value");
          if (typeof value === "string" && value.trim()) onSubmit(value.trim());
        }}
      >
        <label>
          {label}
          <input name="value" defaultValue={initial} data-testid="prompt-input" />
        </label>
        <div className="dialog-footer">
          <button type="button" onClick={onCancel}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="primary" data-testid="prompt-ok">
            {t("common.ok")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
