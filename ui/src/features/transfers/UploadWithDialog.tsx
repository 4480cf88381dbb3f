import { useCallback, useEffect, useState } from "react";
import { toBackendError, useBackend, type Account, type UploadWith } from "../../backend";
import { Dialog } from "../../components/Dialog";
import { SafeName } from "../../components/SafeName";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { crumbsOf } from "../../lib/uri";
import { FolderPicker } from "../browser/FolderPicker";
import { useUploadFlow } from "./useUploadFlow";

/** Names listed before "and N more". */
const SHOWN_NAMES = 6;

/** Where an upload would go. */
export interface Destination {
  accountId: string;
  uri: string;
}

/**
 * The default destination: the folder of the last upload when its account is still signed in,
 * else the top of the account the window shows.
 */
export function defaultDestination(files: UploadWith, accounts: Account[], activeId: string): Destination {
  const last = files.lastFolder;
  if (last && accounts.some((a) => a.id === last.accountId && a.signedIn)) return { accountId: last.accountId, uri: last.uri };
  return { accountId: activeId, uri: rootOf(accounts, activeId) };
}

/** The top folder of an account's drive (each service names it its own way). */
function rootOf(accounts: Account[], id: string): string {
  return accounts.find((a) => a.id === id)?.rootUri ?? "cloudreve://my";
}

/**
 * "Upload with Cirrus": files the app was opened with (a file manager's "Open with", or a second
 * start), and a choice of account and folder for them. Only names are shown: the paths stay in Rust.
 */
export function UploadWithDialog({
  files,
  accounts,
  activeId,
  onUpload,
  onCancel,
}: {
  files: UploadWith;
  /** Signed-in accounts to choose from. */
  accounts: Account[];
  activeId: string;
  onUpload: (dest: Destination) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [dest, setDest] = useState<Destination>(() => defaultDestination(files, accounts, activeId));
  const [picking, setPicking] = useState(false);

  if (picking) {
    return (
      <FolderPicker
        accountId={dest.accountId}
        start={dest.uri}
        copy={false}
        exclude={[]}
        title={t("uploadWith.pickTitle")}
        okLabel={t("uploadWith.pickHere")}
        onPick={(uri) => {
          setDest({ ...dest, uri });
          setPicking(false);
        }}
        onCancel={() => setPicking(false)}
      />
    );
  }

  const crumbs = crumbsOf(dest.uri);
  const folderName = crumbs.length > 1 ? crumbs.slice(1).map((c) => c.name).join(" / ") : t("nav.files");
  const shown = files.names.slice(0, SHOWN_NAMES);
  const more = files.names.length - shown.length;
  const account = accounts.find((a) => a.id === dest.accountId);

  return (
    <Dialog
      title={t("uploadWith.title")}
      onClose={onCancel}
      testId="upload-with-dialog"
      footer={
        <>
          <button type="button" onClick={onCancel} data-testid="upload-with-cancel">
            {t("common.cancel")}
          </button>
          <button type="button" className="primary" disabled={files.names.length === 0} onClick={() => onUpload(dest)} data-testid="upload-with-ok">
            {t("uploadWith.upload")}
          </button>
        </>
      }
    >
      {files.names.length > 0 ? (
        <>
          <p>{t("uploadWith.intro", { count: files.names.length })}</p>
          <ul className="upload-with-names" data-testid="upload-with-names">
            {shown.map((name, i) => (
              <li key={`${i}:${name}`} data-testid="upload-with-name">
                <SafeName name={name} />
              </li>
            ))}
            {more > 0 && <li className="muted">{t("uploadWith.more", { count: more })}</li>}
          </ul>
        </>
      ) : (
        <p role="alert">{t("uploadWith.nothing")}</p>
      )}
      {files.unusable.length > 0 && (
        <p className="muted small" data-testid="upload-with-unusable">
          {t("uploadWith.unusable", { names: files.unusable.join(", ") })}
        </p>
      )}
      <div className="form">
        <label>
          {t("uploadWith.account")}
          <select
            value={dest.accountId}
            onChange={(e) => setDest({ accountId: e.target.value, uri: rootOf(accounts, e.target.value) })}
            disabled={accounts.length < 2}
            data-testid="upload-with-account"
          >
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.label || a.email}
              </option>
            ))}
            {!account && <option value={dest.accountId}>{dest.accountId}</option>}
          </select>
        </label>
        <label>
          {t("uploadWith.folder")}
          <span className="folder-field">
            <input readOnly value={folderName} data-testid="upload-with-folder" />
            <button type="button" onClick={() => setPicking(true)} data-testid="upload-with-change">
              {t("uploadWith.change")}
            </button>
          </span>
        </label>
      </div>
    </Dialog>
  );
}

/**
 * Shows the dialog whenever files are waiting: at start (Cirrus was opened with files) and when a
 * second start hands more over. The chosen destination gets an upload plan from Rust, which then
 * goes through the usual conflict question and starts like any other upload.
 */
export function UploadWithHost({ accounts, activeId }: { accounts: Account[]; activeId: string }) {
  const backend = useBackend();
  const toast = useToast();
  const errorText = useErrorText();
  const { run, dialog: conflictDialog } = useUploadFlow(activeId);
  const [files, setFiles] = useState<UploadWith | null>(null);
  // Remounts the dialog (fresh default destination) for each new batch.
  const [batch, setBatch] = useState(0);

  const check = useCallback(() => {
    backend
      .uploadWithPending()
      .then((f) => {
        setFiles(f);
        setBatch((n) => n + 1);
      })
      .catch((e) => toast(errorText(toBackendError(e)), "error"));
  }, [backend, toast, errorText]);

  useEffect(() => {
    check();
    let stop: (() => void) | undefined;
    let alive = true;
    void backend.onUploadWith(check).then((unsubscribe) => {
      if (alive) stop = unsubscribe;
      else unsubscribe();
    });
    return () => {
      alive = false;
      stop?.();
    };
  }, [backend, check]);

  const signedIn = accounts.filter((a) => a.signedIn);
  return (
    <>
      {files && (
        <UploadWithDialog
          key={batch}
          files={files}
          accounts={signedIn}
          activeId={activeId}
          onCancel={() => {
            setFiles(null);
            backend.uploadWithDismiss().catch((e) => toast(errorText(toBackendError(e)), "error"));
          }}
          onUpload={(dest) => {
            setFiles(null);
            void run(() => backend.uploadWithPlan(dest.accountId, dest.uri));
          }}
        />
      )}
      {conflictDialog}
    </>
  );
}
