import { useEffect, useRef, useState } from "react";
import { toBackendError, useBackend, type BackendError, type Entry } from "../../backend";
import { Dialog } from "../../components/Dialog";
import { Icon } from "../../components/Icon";
import { SafeName } from "../../components/SafeName";
import { useErrorText, useI18n } from "../../i18n";
import { crumbsOf, parentOf } from "../../lib/uri";

/** Rows asked for per call while collecting a folder's subfolders (they are listed first). */
const PICKER_PAGE = 500;

/**
 * "Move to…" / "Copy to…": pick a destination folder by browsing, with the keyboard or the
 * mouse (Tab reaches every button; Enter opens a folder; Backspace goes up). The items being
 * moved are never offered as destinations. Other choosers ("Upload with Cirrus") pass their
 * own title and button label.
 */
export function FolderPicker({
  accountId,
  start,
  copy,
  exclude,
  onPick,
  onCancel,
  title,
  okLabel,
}: {
  accountId: string;
  start: string;
  copy: boolean;
  /** Overrides the move/copy title (e.g. "Upload to folder"). */
  title?: string;
  /** Overrides the move/copy label of the confirming button. */
  okLabel?: string;
  /** URIs that cannot be a destination (the items themselves). */
  exclude: string[];
  onPick: (folderUri: string) => void;
  onCancel: () => void;
}) {
  const backend = useBackend();
  const { t } = useI18n();
  const errorText = useErrorText();
  const [uri, setUri] = useState(start);
  const [folders, setFolders] = useState<Entry[] | null>(null);
  const [error, setError] = useState<BackendError | null>(null);
  const listRef = useRef<HTMLUListElement>(null);

  useEffect(() => {
    let alive = true;
    setFolders(null);
    setError(null);
    (async () => {
      // Folders come first in a listing: stop at the first file or the end.
      const out: Entry[] = [];
      for (let offset = 0; ; offset += PICKER_PAGE) {
        const page = await backend.list(accountId, uri, "name", "asc", offset, PICKER_PAGE);
        const dirs = page.entries.filter((e) => e.kind === "folder");
        out.push(...dirs);
        if (dirs.length < page.entries.length || page.entries.length < PICKER_PAGE || page.complete) break;
      }
      return out;
    })()
      .then((list) => alive && setFolders(list.filter((f) => !exclude.includes(f.uri))))
      .catch((e) => alive && setError(toBackendError(e)));
    return () => {
      alive = false;
    };
  }, [backend, accountId, uri, exclude]);

  // After each load, keep the keyboard inside the dialog: on the first subfolder, else on the action.
  const okRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!folders) return;
    (listRef.current?.querySelector<HTMLButtonElement>("button") ?? okRef.current)?.focus();
  }, [folders]);

  const up = parentOf(uri);
  const crumbs = crumbsOf(uri);
  const here = crumbs.length > 1 ? crumbs[crumbs.length - 1].name : t("nav.files");
  const blocked = exclude.some((x) => uri === x || uri.startsWith(`${x}/`));

  return (
    <Dialog
      title={title ?? t(copy ? "picker.copyTitle" : "picker.moveTitle")}
      onClose={onCancel}
      testId="folder-picker"
      onKeyDown={(e) => {
        if (e.key === "Backspace" && up && !(e.target instanceof HTMLInputElement)) {
          e.preventDefault();
          setUri(up);
        }
      }}
      footer={
        <>
          <button type="button" onClick={onCancel}>
            {t("common.cancel")}
          </button>
          <button ref={okRef} type="button" className="primary" disabled={blocked} data-testid="picker-ok" onClick={() => onPick(uri)}>
            {okLabel ?? t(copy ? "picker.copyHere" : "picker.moveHere")}
          </button>
        </>
      }
    >
      <div className="picker">
        <div className="picker-where">
          <button type="button" className="icon-button" disabled={!up} onClick={() => up && setUri(up)} aria-label={t("browser.up")} title={t("browser.up")} data-testid="picker-up">
            <Icon name="up" />
          </button>
          <span className="picker-path" data-testid="picker-path">
            <SafeName name={here} />
          </span>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {errorText(error)}
          </p>
        )}
        {!folders && !error && <p className="muted">{t("common.loading")}</p>}
        {folders && folders.length === 0 && <p className="muted">{t("picker.noSubfolders")}</p>}
        {folders && folders.length > 0 && (
          <ul ref={listRef} className="picker-list" aria-label={t("picker.subfolders")}>
            {folders.map((f) => (
              <li key={f.uri}>
                <button type="button" className="picker-folder" data-testid="picker-folder" data-name={f.name} onClick={() => setUri(f.uri)}>
                  <Icon name="folder" />
                  <SafeName name={f.name} />
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
    </Dialog>
  );
}
