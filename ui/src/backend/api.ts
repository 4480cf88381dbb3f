import { Channel, invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type {
  Account,
  AddAccountResult,
  BatchResult,
  Capacity,
  ConflictChoice,
  ConflictDecision,
  Direction,
  DropEvent,
  Entry,
  OrderBy,
  Page,
  PlannedUpload,
  ProviderKind,
  SecretStore,
  Opened,
  OpenedChanged,
  Preview,
  Settings,
  SystemProxy,
  Share,
  ShareOptions,
  Task,
  TaskCategory,
  TextPreview,
  Transfer,
  TransferEvent,
  UploadWith,
  SearchFilters,
  Version,
} from "./types";

/** Stops a subscription created by the backend. */
export type Unsubscribe = () => void;

/**
 * Everything the UI can ask of the Rust side. Components only see this
 * interface (through `useBackend()`), so tests and the browser demo can swap
 * in an in-memory implementation.
 */
export interface Backend {
  // accounts
  listAccounts(): Promise<Account[]>;
  /**
   * Signs in. Without `provider` the server is Cloudreve (its version detected); with
   * `"pan123"`, `email` is the developer client id, `password` the client secret, and an empty
   * `serverUrl` means the official API host.
   */
  addAccount(serverUrl: string, email: string, password: string, remember: boolean, provider?: ProviderKind): Promise<AddAccountResult>;
  submit2fa(pendingId: string, code: string): Promise<Account>;
  switchAccount(accountId: string): Promise<void>;
  renameAccount(accountId: string, label: string): Promise<void>;
  /** Removes the account from this computer (its transfers are cancelled and forgotten). */
  removeAccount(accountId: string): Promise<void>;
  /** Signs out: the account stays listed, its transfers are paused and kept. */
  signOut(accountId: string): Promise<void>;
  startSandbox(): Promise<Account>;
  /** Where sign-in secrets are kept, and why not in the OS credential store. */
  secretStoreInfo(): Promise<SecretStore>;
  /** The user read the notice about the secret-store fallback; it is not shown again. */
  dismissSecretNotice(): Promise<void>;
  // browsing
  list(accountId: string, uri: string, orderBy: OrderBy, direction: Direction, offset: number, limit: number): Promise<Page>;
  /** Rows `offset..offset+limit` of a name search below `uri`, narrowed by `filters`; row 0 searches afresh. */
  search(accountId: string, uri: string, query: string, offset: number, limit: number, filters?: SearchFilters | null): Promise<Page>;
  listTrash(accountId: string, offset: number, limit: number): Promise<Page>;
  capacity(accountId: string): Promise<Capacity>;
  fileInfo(accountId: string, uri: string): Promise<Entry>;
  // file operations
  mkdir(accountId: string, parentUri: string, name: string): Promise<Entry>;
  rename(accountId: string, uri: string, newName: string): Promise<Entry>;
  move(accountId: string, uris: string[], dstUri: string): Promise<BatchResult>;
  copy(accountId: string, uris: string[], dstUri: string): Promise<BatchResult>;
  remove(accountId: string, uris: string[], permanent: boolean): Promise<BatchResult>;
  restore(accountId: string, uris: string[]): Promise<BatchResult>;
  // transfers
  pickUpload(accountId: string, parentUri: string, folders: boolean): Promise<PlannedUpload | null>;
  planDrop(accountId: string, parentUri: string): Promise<PlannedUpload | null>;
  startUpload(planId: string, conflict: ConflictChoice, decisions: ConflictDecision[]): Promise<void>;
  download(accountId: string, uris: string[], toDefaultFolder: boolean): Promise<void>;
  listTransfers(): Promise<Transfer[]>;
  subscribeTransfers(onEvent: (event: TransferEvent) => void): Promise<void>;
  pauseTransfers(ids: string[]): Promise<void>;
  resumeTransfers(ids: string[]): Promise<void>;
  cancelTransfers(ids: string[]): Promise<void>;
  retryTransfers(ids: string[]): Promise<void>;
  clearFinishedTransfers(): Promise<void>;
  // shares
  createShare(accountId: string, uri: string, options: ShareOptions): Promise<Share>;
  listShares(accountId: string): Promise<Share[]>;
  deleteShare(accountId: string, id: string): Promise<void>;
  /** Replaces a share's limits: send every value, the unchanged ones as prefilled. */
  editShare(accountId: string, id: string, options: ShareOptions): Promise<Share>;
  copyToClipboard(text: string): Promise<void>;
  // server tasks
  listTasks(accountId: string, category: TaskCategory): Promise<Task[]>;
  /** Zips `uris` on the server into a new file `name` inside `dstFolderUri`. */
  createArchive(accountId: string, uris: string[], dstFolderUri: string, name: string): Promise<Task>;
  extract(accountId: string, uri: string, dstUri: string): Promise<Task>;
  remoteDownload(accountId: string, urls: string[], dstUri: string): Promise<Task[]>;
  cancelTask(accountId: string, id: string): Promise<void>;
  // settings
  getSettings(): Promise<Settings>;
  setSettings(settings: Settings): Promise<void>;
  pickDownloadFolder(): Promise<string | null>;
  // OS drag and drop (events emitted by Rust)
  onDropHover(handler: (hovering: boolean) => void): Promise<Unsubscribe>;
  onDrop(handler: (event: DropEvent) => void): Promise<Unsubscribe>;
  // "Upload with Cirrus": files handed over on the command line (file manager, second start)
  /** The files waiting for a destination, or null. */
  uploadWithPending(): Promise<UploadWith | null>;
  /** Plans their upload into a folder (null when none are waiting); start it like any plan. */
  uploadWithPlan(accountId: string, parentUri: string): Promise<PlannedUpload | null>;
  /** Forgets the waiting files. */
  uploadWithDismiss(): Promise<void>;
  /** Called when more files arrive while Cirrus runs. */
  onUploadWith(handler: () => void): Promise<Unsubscribe>;
  // login autostart
  getAutostart(): Promise<boolean>;
  setAutostart(enabled: boolean): Promise<void>;
  // network
  /** The proxy the system asks for (environment, else the desktop's settings). */
  systemProxy(): Promise<SystemProxy>;
  /** Keeps (null or "": forgets) a manual proxy's password: the app's (accountId null) or an account's. */
  setProxyPassword(accountId: string | null, password: string | null): Promise<void>;
  /** Whether a manual proxy password is kept for the app (null) or an account. */
  hasProxyPassword(accountId: string | null): Promise<boolean>;
  // previews and "Open with default app"
  /** Makes a file previewable: an opaque id, its `cirrus-media` URL and how to show it. */
  previewOpen(accountId: string, uri: string): Promise<Preview>;
  /** The start of a previewed text file (capped in Rust; `truncated` when cut). */
  previewText(id: string): Promise<TextPreview>;
  /** A previewed PDF's bytes. */
  previewPdf(id: string): Promise<ArrayBuffer>;
  /** Downloads a private copy, opens it in the OS's app and watches it for saves. */
  openWithDefault(accountId: string, uri: string, folderUri: string): Promise<Opened>;
  /** Uploads a saved copy over the remote file, as a new version. */
  openWithUpload(id: string): Promise<void>;
  /** Keeps a saved copy local (not offered again until the next save). */
  openWithDismiss(id: string): Promise<void>;
  /** Called when an opened copy was saved with new content. */
  onOpenWithChanged(handler: (changed: OpenedChanged) => void): Promise<Unsubscribe>;
  // file versions (accounts whose `capabilities.versions` is true)
  /** A file's stored versions, newest first. */
  listVersions(accountId: string, uri: string): Promise<Version[]>;
  /** Downloads one version through the transfer queue, as `name (version).ext`. */
  downloadVersion(accountId: string, uri: string, version: string, toDefaultFolder: boolean): Promise<void>;
  /** Makes a version the file's content; the file as it now is. */
  setCurrentVersion(accountId: string, uri: string, version: string): Promise<Entry>;
  /** Deletes a version that is not the current one. */
  deleteVersion(accountId: string, uri: string, version: string): Promise<void>;
  // drag-out: rows dragged onto a file manager or the desktop (Rust picks every local path)
  /** A row drag started: `token` (in the drag's marker) stands for these items. */
  dragOutBegin(token: string, accountId: string, uris: string[]): Promise<void>;
  /** The pointer left (true) or re-entered (false) the window; leaving starts the downloads. */
  dragOutPointer(token: string, outside: boolean): Promise<void>;
  /** The drag ended. */
  dragOutEnd(token: string): Promise<void>;
  /** A row drag was dropped back onto the window (Linux: WebKitGTK took the drop event). */
  onDragInternalDrop(handler: () => void): Promise<Unsubscribe>;
  /** Some dragged items were not downloaded in time for the drop target. */
  onDragOutIncomplete(handler: (e: { missing: number; error?: string }) => void): Promise<Unsubscribe>;
}

/** The real backend: every method is one Tauri command with camelCase args. */
export const tauriBackend: Backend = {
  listAccounts: () => invoke("accounts_list", {}),
  addAccount: (serverUrl, email, password, remember, provider) =>
    invoke("account_add", { serverUrl, email, password, remember, provider: provider ?? null }),
  submit2fa: (pendingId, code) => invoke("account_2fa", { pendingId, code }),
  switchAccount: (accountId) => invoke("account_switch", { accountId }),
  renameAccount: (accountId, label) => invoke("account_rename", { accountId, label }),
  removeAccount: (accountId) => invoke("account_remove", { accountId }),
  signOut: (accountId) => invoke("account_sign_out", { accountId }),
  startSandbox: () => invoke("sandbox_start", {}),
  secretStoreInfo: () => invoke("secret_store_info", {}),
  dismissSecretNotice: () => invoke("secret_notice_dismiss", {}),

  list: (accountId, uri, orderBy, direction, offset, limit) =>
    invoke("browse_list", { accountId, uri, orderBy, direction, offset, limit }),
  search: (accountId, uri, query, offset, limit, filters) =>
    invoke("browse_search", { accountId, uri, query, offset, limit, filters: filters ?? null }),
  listTrash: (accountId, offset, limit) => invoke("browse_trash", { accountId, offset, limit }),
  capacity: (accountId) => invoke("capacity", { accountId }),
  fileInfo: (accountId, uri) => invoke("file_info", { accountId, uri }),

  mkdir: (accountId, parentUri, name) => invoke("files_mkdir", { accountId, parentUri, name }),
  rename: (accountId, uri, newName) => invoke("files_rename", { accountId, uri, newName }),
  move: (accountId, uris, dstUri) => invoke("files_move", { accountId, uris, dstUri }),
  copy: (accountId, uris, dstUri) => invoke("files_copy", { accountId, uris, dstUri }),
  remove: (accountId, uris, permanent) => invoke("files_delete", { accountId, uris, permanent }),
  restore: (accountId, uris) => invoke("files_restore", { accountId, uris }),

  pickUpload: (accountId, parentUri, folders) =>
    invoke("transfers_pick_upload", { accountId, parentUri, folders }),
  planDrop: (accountId, parentUri) => invoke("transfers_plan_drop", { accountId, parentUri }),
  startUpload: (planId, conflict, decisions) =>
    invoke("transfers_start_upload", { planId, conflict, decisions }),
  download: (accountId, uris, toDefaultFolder) =>
    invoke("transfers_download", { accountId, uris, toDefaultFolder }),
  listTransfers: () => invoke("transfers_list", {}),
  subscribeTransfers: (onEvent) => {
    // The channel object must stay alive as long as Rust holds it; the
    // closure keeps it referenced from the handler.
    const channel = new Channel<TransferEvent>(onEvent);
    return invoke("transfers_subscribe", { onEvent: channel });
  },
  pauseTransfers: (ids) => invoke("transfers_pause", { ids }),
  resumeTransfers: (ids) => invoke("transfers_resume", { ids }),
  cancelTransfers: (ids) => invoke("transfers_cancel", { ids }),
  retryTransfers: (ids) => invoke("transfers_retry", { ids }),
  clearFinishedTransfers: () => invoke("transfers_clear_finished", {}),

  createShare: (accountId, uri, { password, expireSeconds, downloads }) =>
    invoke("shares_create", { accountId, uri, password, expireSeconds, downloads }),
  listShares: (accountId) => invoke("shares_list", { accountId }),
  deleteShare: (accountId, id) => invoke("shares_delete", { accountId, id }),
  editShare: (accountId, id, { password, expireSeconds, downloads }) =>
    invoke("shares_edit", { accountId, id, password, expireSeconds, downloads }),
  copyToClipboard: (text) => invoke("clipboard_copy", { text }),

  listTasks: (accountId, category) => invoke("tasks_list", { accountId, category }),
  createArchive: (accountId, uris, dstFolderUri, name) =>
    invoke("tasks_archive", { accountId, uris, dstFolderUri, name }),
  extract: (accountId, uri, dstUri) => invoke("tasks_extract", { accountId, uri, dstUri }),
  remoteDownload: (accountId, urls, dstUri) => invoke("tasks_remote_download", { accountId, urls, dstUri }),
  cancelTask: (accountId, id) => invoke("tasks_cancel", { accountId, id }),

  getSettings: () => invoke("settings_get", {}),
  setSettings: (settings) => invoke("settings_set", { settings }),
  pickDownloadFolder: () => invoke("settings_pick_download_folder", {}),

  onDropHover: (handler) => listen<{ hovering: boolean }>("drop-hover", (e) => handler(e.payload.hovering)),
  onDrop: (handler) => listen<DropEvent>("drop", (e) => handler(e.payload ?? {})),

  uploadWithPending: () => invoke("upload_with_pending", {}),
  uploadWithPlan: (accountId, parentUri) => invoke("upload_with_plan", { accountId, parentUri }),
  uploadWithDismiss: () => invoke("upload_with_dismiss", {}),
  onUploadWith: (handler) => listen("upload-with", () => handler()),
  getAutostart: () => invoke("autostart_get", {}),
  setAutostart: (enabled) => invoke("autostart_set", { enabled }),
  systemProxy: () => invoke("proxy_system_info", {}),
  setProxyPassword: (accountId, password) => invoke("proxy_password_set", { accountId, password }),
  hasProxyPassword: (accountId) => invoke("proxy_password_status", { accountId }),

  previewOpen: (accountId, uri) => invoke("preview_open", { accountId, uri }),
  previewText: (id) => invoke("preview_text", { id }),
  previewPdf: (id) => invoke("preview_pdf", { id }),
  openWithDefault: (accountId, uri, folderUri) => invoke("open_with_default", { accountId, uri, folderUri }),
  openWithUpload: (id) => invoke("open_with_upload", { id }),
  openWithDismiss: (id) => invoke("open_with_dismiss", { id }),
  onOpenWithChanged: (handler) => listen<OpenedChanged>("open-with-changed", (e) => handler(e.payload)),

  listVersions: (accountId, uri) => invoke("versions_list", { accountId, uri }),
  downloadVersion: (accountId, uri, version, toDefaultFolder) =>
    invoke("versions_download", { accountId, uri, version, toDefaultFolder }),
  setCurrentVersion: (accountId, uri, version) => invoke("versions_set_current", { accountId, uri, version }),
  deleteVersion: (accountId, uri, version) => invoke("versions_delete", { accountId, uri, version }),
  dragOutBegin: (token, accountId, uris) => invoke("drag_out_begin", { token, accountId, uris }),
  dragOutPointer: (token, outside) => invoke("drag_out_pointer", { token, outside }),
  dragOutEnd: (token) => invoke("drag_out_end", { token }),
  onDragInternalDrop: (handler) => listen("drag-internal-drop", () => handler()),
  onDragOutIncomplete: (handler) =>
    listen<{ missing: number; error?: string }>("drag-out-incomplete", (e) => handler(e.payload)),
};
