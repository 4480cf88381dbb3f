import { FULL_CAPABILITIES } from "../lib/capabilities";
import type { Backend, Unsubscribe } from "./api";
import { applyTransferEvents } from "./transferEvents";
import type {
  Account,
  BackendError,
  BatchResult,
  Capabilities,
  ConflictChoice,
  DropEvent,
  Entry,
  OpenedChanged,
  Opened,
  Page,
  PlannedUpload,
  Preview,
  PreviewKind,
  Provider,
  ProviderKind,
  Settings,
  SystemProxy,
  Share,
  Task,
  TextPreview,
  Transfer,
  TransferEvent,
  UploadWith,
  SearchFilters,
  Version,
} from "./types";

/** Root of the signed-in user's files, as Rust reports it. */
export const FAKE_ROOT = "cloudreve://my";

/** One recorded backend call, for assertions in tests. */
export interface FakeCall {
  method: keyof Backend;
  args: unknown[];
}

/** Options that shape the in-memory backend. */
export interface FakeOptions {
  /** Start signed in with one account (default true). */
  signedIn?: boolean;
  /** Require a second factor on `addAccount`. */
  twoFactor?: boolean;
  /** Make `addAccount` reject with this error kind. */
  signInError?: string;
  /** Conflicts reported by the next upload plan. */
  uploadConflicts?: { name: string; uri: string }[];
  /** Secrets fell back to the private file for this reason. */
  secretFallback?: string;
  /** The signed-in account's service (default Cloudreve 4, which offers everything). */
  provider?: Provider;
  /** Flags that differ from Cloudreve 4's for the signed-in account. */
  capabilities?: Partial<Capabilities>;
  /** Files Cirrus was "opened with", waiting for a destination. */
  uploadWith?: UploadWith;
}

/** What a Cloudreve 3.8 server lacks, as Rust reports it (for tests of the greyed-out actions). */
export const V3_CAPABILITIES: Capabilities = {
  ...FULL_CAPABILITIES,
  cursorPagination: false,
  serverSort: false,
  trash: false,
  restore: false,
  batchOperations: false,
  sharePasswordEditable: true,
  shareDelete: true,
  tasksArchive: false,
  tasksExtract: false,
  clientEncryption: false,
  uploadOverwrite: false,
  webdavAccounts: true,
  versions: false,
  searchFilters: false,
  thumbnails: true,
  searchFolders: false,
};

/** The service fields of a fake account. */
export function fakeService(kind: ProviderKind = "cloudreve_v4", caps: Partial<Capabilities> = {}) {
  const name = kind === "pan123" ? "123pan" : kind === "cloudreve_v3" ? "Cloudreve 3" : "Cloudreve 4";
  return { provider: { kind, name }, capabilities: { ...FULL_CAPABILITIES, ...caps }, rootUri: FAKE_ROOT };
}

const T0 = "2025-01-02T03:04:05Z";

function fail(kind: string, message = kind): never {
  throw { kind, message } satisfies BackendError;
}

function file(parent: string, name: string, size = 1024, kind: Entry["kind"] = "file"): Entry {
  return { uri: `${parent}/${encodeURIComponent(name)}`, name, kind, size, createdAt: T0, updatedAt: T0, uploading: false };
}

/**
 * An in-memory `Backend` used by unit tests and by `npm run dev` in a normal
 * browser (where there is no Rust side). It is deliberately simple: enough
 * behaviour to drive every screen, with a call log for assertions.
 */
export class FakeBackend implements Backend {
  calls: FakeCall[] = [];
  accounts: Account[] = [];
  folders = new Map<string, Entry[]>();
  /** Folders whose rows are generated on demand (for 100k-row tests). */
  generated = new Map<string, number>();
  trash: Entry[] = [];
  transfers = new Map<string, Transfer>();
  shares: Share[] = [];
  tasks: Task[] = [];
  settings: Settings = {
    parallelTransfers: 3,
    uploadLimitKbps: null,
    downloadLimitKbps: null,
    downloadFolder: "~/Downloads",
    conflictPolicy: "ask",
    theme: "system",
    language: "en",
    proxy: { mode: "system" },
    accountProxies: {},
  };
  /** Kept proxy passwords by scope ("app" or an account id); the test can read them. */
  proxyPasswords = new Map<string, string>();
  systemProxyInfo: SystemProxy = { source: "nothing", http: null, https: null, all: null, noProxy: null, note: null };
  dropHoverHandlers = new Set<(hovering: boolean) => void>();
  dropHandlers = new Set<(e: DropEvent) => void>();
  uploadWithHandlers = new Set<() => void>();
  /** Files waiting for "Upload with Cirrus" (see `FakeOptions.uploadWith`). */
  uploadWith: UploadWith | null;
  autostart = false;
  transferListeners: ((e: TransferEvent) => void)[] = [];
  private seq = 0;

  constructor(private opts: FakeOptions = {}) {
    this.uploadWith = opts.uploadWith ?? null;
    if (opts.signedIn ?? true) {
      this.accounts.push({
        id: "acc-1",
        label: "Home drive",
        serverUrl: "https://drive.example.com",
        email: "me@example.com",
        nickname: "Me",
        active: true,
        signedIn: true,
        encrypted: true,
        sandbox: false,
        pendingTransfers: 0,
        ...fakeService(opts.provider?.kind, opts.capabilities),
      });
    }
    this.folders.set(FAKE_ROOT, [
      file(FAKE_ROOT, "Documents", 0, "folder"),
      file(FAKE_ROOT, "Photos", 0, "folder"),
      file(FAKE_ROOT, "notes.txt", 2048),
      file(FAKE_ROOT, "report.pdf", 5_000_000),
    ]);
    this.folders.set(`${FAKE_ROOT}/Documents`, [file(`${FAKE_ROOT}/Documents`, "cv.docx", 30_000)]);
    this.folders.set(`${FAKE_ROOT}/Photos`, []);
  }

  private log(method: keyof Backend, ...args: unknown[]) {
    this.calls.push({ method, args });
  }

  /** Calls of one method, in order. */
  callsOf(method: keyof Backend): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  /** Makes `uri` a folder with `count` generated files named `file-000001.bin`…. */
  addGeneratedFolder(uri: string, count: number) {
    this.generated.set(uri, count);
  }

  /** Simulates Rust pushing a transfer update over the channel. */
  emitTransfer(event: TransferEvent) {
    this.transfers = applyTransferEvents(this.transfers, [event]);
    for (const l of this.transferListeners) l(event);
  }

  /** Simulates the `drop-hover` / `drop` events. */
  emitDropHover(hovering: boolean) {
    this.dropHoverHandlers.forEach((h) => h(hovering));
  }
  emitDrop(event: DropEvent = {}) {
    this.dropHandlers.forEach((h) => h(event));
  }

  private findEntry(uri: string): { parent: string; entry: Entry } | null {
    for (const [parent, entries] of this.folders) {
      const entry = entries.find((e) => e.uri === uri);
      if (entry) return { parent, entry };
    }
    return null;
  }

  private parentOf(uri: string): string | null {
    if (uri === FAKE_ROOT) return null;
    return uri.slice(0, uri.lastIndexOf("/"));
  }

  // accounts ---------------------------------------------------------------
  async listAccounts() {
    this.log("listAccounts");
    return this.accounts.map((a) => ({ ...a }));
  }
  async addAccount(serverUrl: string, email: string, password: string, remember: boolean, provider?: ProviderKind) {
    if (provider) this.log("addAccount", serverUrl, email, password, remember, provider);
    else this.log("addAccount", serverUrl, email, password, remember);
    if (this.opts.signInError) fail(this.opts.signInError, "rejected by fake");
    if (this.opts.twoFactor && !provider) return { status: "needs2fa" as const, pendingId: "pending-1" };
    // 123pan's API host when none is given, as Rust fills it in.
    return { status: "signedIn" as const, account: this.signIn(serverUrl || "https://open-api.123pan.com", email, provider) };
  }
  private signIn(serverUrl: string, email: string, provider?: ProviderKind): Account {
    this.accounts.forEach((a) => (a.active = false));
    // Without a scheme, https is tried first; in the fake, numeric (LAN) addresses only speak
    // plain http, like the sandbox.
    const url = serverUrl.includes("://") ? serverUrl : /^\d/.test(serverUrl) ? `http://${serverUrl}` : `https://${serverUrl}`;
    const known = this.accounts.find((a) => a.serverUrl === url && a.email === email);
    if (known) {
      Object.assign(known, { active: true, signedIn: true });
      return { ...known };
    }
    const account: Account = {
      id: `acc-${++this.seq + 1}`,
      label: new URL(url).host,
      serverUrl: url,
      email,
      nickname: email.split("@")[0],
      active: true,
      signedIn: true,
      encrypted: url.startsWith("https://"),
      sandbox: false,
      pendingTransfers: 0,
      ...fakeService(provider ?? "cloudreve_v4"),
    };
    this.accounts.push(account);
    return { ...account };
  }
  async submit2fa(pendingId: string, code: string) {
    this.log("submit2fa", pendingId, code);
    if (code !== "123456") fail("twoFactorWrong");
    return this.signIn("https://2fa.example.com", "twofa@example.com");
  }
  async switchAccount(accountId: string) {
    this.log("switchAccount", accountId);
    this.accounts.forEach((a) => (a.active = a.id === accountId));
  }
  async renameAccount(accountId: string, label: string) {
    this.log("renameAccount", accountId, label);
    const a = this.accounts.find((x) => x.id === accountId);
    if (a) a.label = label;
  }
  async removeAccount(accountId: string) {
    this.log("removeAccount", accountId);
    this.accounts = this.accounts.filter((a) => a.id !== accountId);
  }
  async signOut(accountId: string) {
    this.log("signOut", accountId);
    const a = this.accounts.find((x) => x.id === accountId);
    if (a) a.signedIn = false;
  }
  async startSandbox() {
    this.log("startSandbox");
    const a = this.signIn("http://127.0.0.1:5212", "admin@cloudreve.org");
    const stored = this.accounts.find((x) => x.id === a.id)!;
    stored.sandbox = true;
    return { ...stored };
  }
  async secretStoreInfo() {
    this.log("secretStoreInfo");
    const reason = this.opts.secretFallback ?? null;
    return { backend: reason ? "file" : "keyring", fallbackReason: reason, noticeDue: !!reason && !this.secretNoticeSeen };
  }
  secretNoticeSeen = false;
  async dismissSecretNotice() {
    this.log("dismissSecretNotice");
    this.secretNoticeSeen = true;
  }

  // browsing ---------------------------------------------------------------
  async list(accountId: string, uri: string, orderBy: Parameters<Backend["list"]>[2], direction: Parameters<Backend["list"]>[3], offset: number, limit: number): Promise<Page> {
    this.log("list", accountId, uri, orderBy, direction, offset, limit);
    const count = this.generated.get(uri);
    if (count !== undefined) {
      const entries: Entry[] = [];
      for (let i = offset; i < Math.min(count, offset + limit); i++) {
        const n = direction === "asc" ? i : count - 1 - i;
        entries.push(file(uri, `file-${String(n).padStart(6, "0")}.bin`, n));
      }
      return { entries, total: count, complete: offset + limit >= count, loaded: Math.min(count, offset + limit), limited: false };
    }
    const all = this.folders.get(uri);
    if (!all) fail("notFound", uri);
    const key = orderBy === "size" ? "size" : orderBy === "name" ? "name" : orderBy === "created_at" ? "createdAt" : "updatedAt";
    const sorted = [...all].sort((a, b) => {
      if (a.kind !== b.kind) return a.kind === "folder" ? -1 : 1;
      const av = a[key] ?? "", bv = b[key] ?? "";
      const c = av < bv ? -1 : av > bv ? 1 : 0;
      return direction === "asc" ? c : -c;
    });
    return { entries: sorted.slice(offset, offset + limit), total: sorted.length, complete: true, loaded: sorted.length, limited: false };
  }
  /** Set to make searches report that the server stopped at its folder budget. */
  searchLimited = false;
  async search(accountId: string, uri: string, query: string, offset: number, limit: number, filters?: SearchFilters | null): Promise<Page> {
    if (filters) this.log("search", accountId, uri, query, offset, limit, filters);
    else this.log("search", accountId, uri, query, offset, limit);
    const q = query.toLowerCase();
    const hits = [...this.folders.values()].flat().filter((e) => e.name.toLowerCase().includes(q));
    for (const [folder, count] of this.generated) {
      for (let i = 0; i < count; i++) {
        const name = `file-${String(i).padStart(6, "0")}.bin`;
        if (name.includes(q)) hits.push(file(folder, name, i));
      }
    }
    const kept = filters ? hits.filter((e) => fakeFilter(e, filters)) : hits;
    const entries = kept.slice(offset, offset + limit);
    return { entries, total: kept.length, complete: true, loaded: kept.length, limited: this.searchLimited };
  }
  async listTrash(accountId: string, offset: number, limit: number): Promise<Page> {
    this.log("listTrash", accountId, offset, limit);
    return { entries: this.trash.slice(offset, offset + limit), total: this.trash.length, complete: true, loaded: this.trash.length, limited: false };
  }
  async capacity(accountId: string) {
    this.log("capacity", accountId);
    return { used: 3 * 1024 ** 3, total: 10 * 1024 ** 3 };
  }
  async fileInfo(accountId: string, uri: string) {
    this.log("fileInfo", accountId, uri);
    const found = this.findEntry(uri);
    if (!found) fail("notFound", uri);
    return { ...found.entry };
  }

  // file operations --------------------------------------------------------
  async mkdir(accountId: string, parentUri: string, name: string) {
    this.log("mkdir", accountId, parentUri, name);
    const siblings = this.folders.get(parentUri);
    if (!siblings) fail("notFound", parentUri);
    if (siblings.some((e) => e.name === name)) fail("alreadyExists", name);
    const entry = file(parentUri, name, 0, "folder");
    siblings.push(entry);
    this.folders.set(entry.uri, []);
    return entry;
  }
  async rename(accountId: string, uri: string, newName: string) {
    this.log("rename", accountId, uri, newName);
    const found = this.findEntry(uri);
    if (!found) fail("notFound", uri);
    found.entry.name = newName;
    return { ...found.entry };
  }
  private batch(uris: string[], op: (uri: string) => void): BatchResult {
    const failed: BatchResult["failed"] = [];
    for (const uri of uris) {
      try {
        op(uri);
      } catch (e) {
        const err = e as BackendError;
        failed.push({ uri, kind: err.kind, message: err.message });
      }
    }
    return { failed };
  }
  private detach(uri: string): Entry {
    const found = this.findEntry(uri);
    if (!found) fail("notFound", uri);
    const siblings = this.folders.get(found.parent)!;
    siblings.splice(siblings.indexOf(found.entry), 1);
    return found.entry;
  }
  async move(accountId: string, uris: string[], dstUri: string) {
    this.log("move", accountId, uris, dstUri);
    return this.batch(uris, (uri) => {
      const dst = this.folders.get(dstUri);
      if (!dst) fail("notFound", dstUri);
      const entry = this.detach(uri);
      dst.push({ ...entry, uri: `${dstUri}/${encodeURIComponent(entry.name)}` });
    });
  }
  async copy(accountId: string, uris: string[], dstUri: string) {
    this.log("copy", accountId, uris, dstUri);
    return this.batch(uris, (uri) => {
      const dst = this.folders.get(dstUri);
      const found = this.findEntry(uri);
      if (!dst || !found) fail("notFound", uri);
      dst.push({ ...found.entry, uri: `${dstUri}/${encodeURIComponent(found.entry.name)}` });
    });
  }
  async remove(accountId: string, uris: string[], permanent: boolean) {
    this.log("remove", accountId, uris, permanent);
    return this.batch(uris, (uri) => {
      const inTrash = this.trash.findIndex((e) => e.uri === uri);
      if (inTrash >= 0) {
        this.trash.splice(inTrash, 1);
        return;
      }
      const entry = this.detach(uri);
      if (!permanent) this.trash.push(entry);
    });
  }
  async restore(accountId: string, uris: string[]) {
    this.log("restore", accountId, uris);
    return this.batch(uris, (uri) => {
      const i = this.trash.findIndex((e) => e.uri === uri);
      if (i < 0) fail("notFound", uri);
      const [entry] = this.trash.splice(i, 1);
      this.folders.get(this.parentOf(uri) ?? FAKE_ROOT)?.push(entry);
    });
  }

  // transfers --------------------------------------------------------------
  private plan(): PlannedUpload {
    return { planId: `plan-${++this.seq}`, items: 2, bytes: 4096, conflicts: this.opts.uploadConflicts ?? [] };
  }
  async pickUpload(accountId: string, parentUri: string, folders: boolean) {
    this.log("pickUpload", accountId, parentUri, folders);
    return this.plan();
  }
  async planDrop(accountId: string, parentUri: string) {
    this.log("planDrop", accountId, parentUri);
    return this.plan();
  }
  async startUpload(planId: string, conflict: ConflictChoice, decisions: { uri: string; conflict: ConflictChoice }[]) {
    this.log("startUpload", planId, conflict, decisions);
    const id = `up-${++this.seq}`;
    this.emitTransfer({
      kind: "update",
      transfer: { id, direction: "upload", name: `upload ${planId}`, state: "running", bytesDone: 1024, bytesTotal: 4096, speedBps: 2048, etaSeconds: 2, error: null, savedAs: null, renamedFiles: 0, phase: "transfer", checkedBytes: 0 },
    });
  }
  async download(accountId: string, uris: string[], toDefaultFolder: boolean) {
    this.log("download", accountId, uris, toDefaultFolder);
  }
  async listTransfers() {
    this.log("listTransfers");
    return [...this.transfers.values()];
  }
  async subscribeTransfers(onEvent: (e: TransferEvent) => void) {
    this.log("subscribeTransfers");
    this.transferListeners.push(onEvent);
  }
  /** Moves the matching transfers that are currently in one of `from` to `state`. */
  private setState(ids: string[], state: Transfer["state"], from: Transfer["state"][]) {
    for (const t of [...this.transfers.values()]) {
      if ((ids.length === 0 || ids.includes(t.id)) && from.includes(t.state)) this.emitTransfer({ kind: "update", transfer: { ...t, state } });
    }
  }
  async pauseTransfers(ids: string[]) {
    this.log("pauseTransfers", ids);
    this.setState(ids, "paused", ["queued", "running"]);
  }
  async resumeTransfers(ids: string[]) {
    this.log("resumeTransfers", ids);
    this.setState(ids, "running", ["paused"]);
  }
  async cancelTransfers(ids: string[]) {
    this.log("cancelTransfers", ids);
    this.setState(ids, "cancelled", ["queued", "running", "paused", "failed"]);
  }
  async retryTransfers(ids: string[]) {
    this.log("retryTransfers", ids);
    this.setState(ids, "queued", ["failed", "cancelled"]);
  }
  async clearFinishedTransfers() {
    this.log("clearFinishedTransfers");
    for (const t of [...this.transfers.values()]) {
      if (t.state === "completed" || t.state === "cancelled") this.emitTransfer({ kind: "removed", id: t.id });
    }
  }

  // shares -----------------------------------------------------------------
  async createShare(accountId: string, uri: string, options: { password: string | null; expireSeconds: number | null; downloads: number | null }) {
    this.log("createShare", accountId, uri, options);
    const id = `s${++this.seq}`;
    const share: Share = {
      id,
      name: this.findEntry(uri)?.entry.name ?? uri,
      url: `https://drive.example.com/s/${id}`,
      passwordProtected: options.password != null,
      password: options.password,
      expires: options.expireSeconds == null ? null : new Date(Date.parse(T0) + options.expireSeconds * 1000).toISOString(),
      remainDownloads: options.downloads,
      visited: 0,
      downloaded: 0,
      limitsEditable: true,
      passwordEditable: false,
    };
    this.shares.push(share);
    return { ...share };
  }
  async editShare(accountId: string, id: string, options: { password: string | null; expireSeconds: number | null; downloads: number | null }) {
    this.log("editShare", accountId, id, options);
    const share = this.shares.find((s) => s.id === id);
    if (!share) fail("notFound");
    if ((options.password ?? null) !== (share.password ?? null)) fail("unsupported", "password cannot change");
    share.expires = options.expireSeconds == null ? null : new Date(Date.parse(T0) + options.expireSeconds * 1000).toISOString();
    share.remainDownloads = options.downloads;
    return { ...share };
  }
  async listShares(accountId: string) {
    this.log("listShares", accountId);
    return this.shares.map((s) => ({ ...s }));
  }
  async deleteShare(accountId: string, id: string) {
    this.log("deleteShare", accountId, id);
    this.shares = this.shares.filter((s) => s.id !== id);
  }
  async copyToClipboard(text: string) {
    this.log("copyToClipboard", text);
  }

  // tasks ------------------------------------------------------------------
  private task(type: string, summary: string): Task {
    const task: Task = {
      id: `t${++this.seq}`,
      type,
      status: "queued",
      progress: 0,
      error: null,
      createdAt: T0,
      summary,
      phase: null,
      counters: [],
      etaSeconds: null,
      failed: null,
    };
    this.tasks.push(task);
    return { ...task };
  }
  async listTasks(accountId: string, category: Parameters<Backend["listTasks"]>[1]) {
    this.log("listTasks", accountId, category);
    const isDownload = (t: Task) => t.type === "remote_download";
    const done = (t: Task) => t.status === "completed" || t.status === "error" || t.status === "canceled";
    return this.tasks
      .filter((t) => (category === "general" ? !isDownload(t) : isDownload(t) && (category === "downloaded" ? done(t) : !done(t))))
      .map((t) => ({ ...t }));
  }
  async createArchive(accountId: string, uris: string[], dstFolderUri: string, name: string) {
    this.log("createArchive", accountId, uris, dstFolderUri, name);
    return this.task("create_archive", `${dstFolderUri}/${encodeURIComponent(name)}`);
  }
  async extract(accountId: string, uri: string, dstUri: string) {
    this.log("extract", accountId, uri, dstUri);
    return this.task("extract_archive", uri);
  }
  async remoteDownload(accountId: string, urls: string[], dstUri: string) {
    this.log("remoteDownload", accountId, urls, dstUri);
    return urls.map((u) => this.task("remote_download", u));
  }
  async cancelTask(accountId: string, id: string) {
    this.log("cancelTask", accountId, id);
    const t = this.tasks.find((x) => x.id === id);
    if (t) t.status = "canceled";
  }

  // settings ---------------------------------------------------------------
  async getSettings() {
    this.log("getSettings");
    return { ...this.settings };
  }
  async setSettings(settings: Settings) {
    this.log("setSettings", settings);
    this.settings = { ...settings };
  }
  async pickDownloadFolder() {
    this.log("pickDownloadFolder");
    return "/home/me/Chosen";
  }

  // drag and drop ----------------------------------------------------------
  async onDropHover(handler: (hovering: boolean) => void): Promise<Unsubscribe> {
    this.dropHoverHandlers.add(handler);
    return () => this.dropHoverHandlers.delete(handler);
  }
  async onDrop(handler: (e: DropEvent) => void): Promise<Unsubscribe> {
    this.dropHandlers.add(handler);
    return () => this.dropHandlers.delete(handler);
  }

  // "Upload with Cirrus" ---------------------------------------------------
  async uploadWithPending() {
    this.log("uploadWithPending");
    return this.uploadWith ? { ...this.uploadWith } : null;
  }
  async uploadWithPlan(accountId: string, parentUri: string) {
    this.log("uploadWithPlan", accountId, parentUri);
    if (!this.uploadWith) return null;
    const items = this.uploadWith.names.length;
    this.uploadWith = null;
    return { ...this.plan(), items };
  }
  async uploadWithDismiss() {
    this.log("uploadWithDismiss");
    this.uploadWith = null;
  }
  async onUploadWith(handler: () => void): Promise<Unsubscribe> {
    this.uploadWithHandlers.add(handler);
    return () => this.uploadWithHandlers.delete(handler);
  }
  /** Test helper: files arrive from a second start while the app runs. */
  receiveUploadWith(files: UploadWith) {
    this.uploadWith = files;
    this.uploadWithHandlers.forEach((h) => h());
  }

  // autostart --------------------------------------------------------------
  async getAutostart() {
    this.log("getAutostart");
    return this.autostart;
  }
  async setAutostart(enabled: boolean) {
    this.log("setAutostart", enabled);
    this.autostart = enabled;
  }

  // network ----------------------------------------------------------------
  async systemProxy() {
    this.log("systemProxy");
    return { ...this.systemProxyInfo };
  }
  async setProxyPassword(accountId: string | null, password: string | null) {
    this.log("setProxyPassword", accountId, password ? "<password>" : null);
    if (password) this.proxyPasswords.set(accountId ?? "app", password);
    else this.proxyPasswords.delete(accountId ?? "app");
  }
  async hasProxyPassword(accountId: string | null) {
    this.log("hasProxyPassword", accountId);
    return this.proxyPasswords.has(accountId ?? "app");
  }
  // previews and "Open with default app" -----------------------------------
  /** Text a previewed file holds (default: a line naming it). */
  previewTexts = new Map<string, string>();
  /** Copies opened in the "default app". */
  opened = new Map<string, { uri: string; name: string }>();
  openWithChangedHandlers = new Set<(c: OpenedChanged) => void>();
  private previews = new Map<string, Entry>();

  async previewOpen(accountId: string, uri: string): Promise<Preview> {
    this.log("previewOpen", accountId, uri);
    const found = this.findEntry(uri);
    if (!found) fail("notFound", "no such file");
    const id = `preview-${++this.seq}`;
    this.previews.set(id, found.entry);
    return { id, url: `cirrus-media://localhost/${id}`, kind: fakePreviewKind(found.entry.name), name: found.entry.name, size: found.entry.size };
  }
  async previewText(id: string): Promise<TextPreview> {
    this.log("previewText", id);
    const entry = this.previews.get(id);
    if (!entry) fail("notFound", "preview expired");
    const text = this.previewTexts.get(entry.uri) ?? `Contents of ${entry.name}`;
    const cap = 1 << 20;
    return { text: text.slice(0, cap), truncated: text.length > cap };
  }
  async previewPdf(id: string): Promise<ArrayBuffer> {
    this.log("previewPdf", id);
    return new ArrayBuffer(0);
  }
  async openWithDefault(accountId: string, uri: string, folderUri: string): Promise<Opened> {
    this.log("openWithDefault", accountId, uri, folderUri);
    const found = this.findEntry(uri);
    if (!found) fail("notFound", "no such file");
    const id = `opened-${++this.seq}`;
    this.opened.set(id, { uri, name: found.entry.name });
    return { id, name: found.entry.name, canUploadVersion: this.accounts[0]?.capabilities.uploadOverwrite ?? false };
  }
  async openWithUpload(id: string) {
    this.log("openWithUpload", id);
  }
  async openWithDismiss(id: string) {
    this.log("openWithDismiss", id);
  }
  async onOpenWithChanged(handler: (c: OpenedChanged) => void): Promise<Unsubscribe> {
    this.openWithChangedHandlers.add(handler);
    return () => this.openWithChangedHandlers.delete(handler);
  }
  // file versions ------------------------------------------------------------
  /** Stored versions by file uri, newest first (a file without an entry has one, its content). */
  versions = new Map<string, Version[]>();
  private versionsOf(uri: string): Version[] {
    const found = this.findEntry(uri);
    if (!found) fail("notFound", uri);
    if (!this.versions.has(uri)) {
      this.versions.set(uri, [{ id: "v1", size: found.entry.size, createdAt: found.entry.updatedAt, current: true }]);
    }
    return this.versions.get(uri)!;
  }
  async listVersions(accountId: string, uri: string) {
    this.log("listVersions", accountId, uri);
    return this.versionsOf(uri).map((v) => ({ ...v }));
  }
  async downloadVersion(accountId: string, uri: string, version: string, toDefaultFolder: boolean) {
    this.log("downloadVersion", accountId, uri, version, toDefaultFolder);
    if (!this.versionsOf(uri).some((v) => v.id === version)) fail("notFound", version);
  }
  async setCurrentVersion(accountId: string, uri: string, version: string) {
    this.log("setCurrentVersion", accountId, uri, version);
    const list = this.versionsOf(uri);
    const v = list.find((x) => x.id === version);
    if (!v) fail("notFound", version);
    list.forEach((x) => (x.current = x === v));
    // A new object, as a new listing would bring: rows already shown keep the old one.
    const { parent, entry } = this.findEntry(uri)!;
    const changed = { ...entry, size: v.size, updatedAt: "2025-06-07T08:09:10Z" };
    this.folders.set(parent, this.folders.get(parent)!.map((e) => (e === entry ? changed : e)));
    return { ...changed };
  }
  async deleteVersion(accountId: string, uri: string, version: string) {
    this.log("deleteVersion", accountId, uri, version);
    const list = this.versionsOf(uri);
    const v = list.find((x) => x.id === version);
    if (!v) fail("notFound", version);
    if (v.current) fail("forbidden", "the current version cannot be deleted");
    this.versions.set(uri, list.filter((x) => x !== v));
  }

  // drag-out ---------------------------------------------------------------
  dragOut: { token: string; accountId: string; uris: string[]; outside: boolean } | null = null;
  dragInternalDropHandlers = new Set<() => void>();
  dragOutIncompleteHandlers = new Set<(e: { missing: number; error?: string }) => void>();
  async dragOutBegin(token: string, accountId: string, uris: string[]) {
    this.log("dragOutBegin", token, accountId, uris);
    this.dragOut = { token, accountId, uris, outside: false };
  }
  async dragOutPointer(token: string, outside: boolean) {
    this.log("dragOutPointer", token, outside);
    if (this.dragOut?.token === token) this.dragOut.outside = outside;
  }
  async dragOutEnd(token: string) {
    this.log("dragOutEnd", token);
    if (this.dragOut?.token === token) this.dragOut = null;
  }
  async onDragInternalDrop(handler: () => void): Promise<Unsubscribe> {
    this.dragInternalDropHandlers.add(handler);
    return () => this.dragInternalDropHandlers.delete(handler);
  }
  async onDragOutIncomplete(handler: (e: { missing: number; error?: string }) => void): Promise<Unsubscribe> {
    this.dragOutIncompleteHandlers.add(handler);
    return () => this.dragOutIncompleteHandlers.delete(handler);
  }
  /** Test helper: a row drag was dropped back onto the window and Rust handed it to the page. */
  emitDragInternalDrop() {
    this.dragInternalDropHandlers.forEach((h) => h());
  }
  /** Test helper: a drop target got fewer files than were dragged. */
  emitDragOutIncomplete(missing: number) {
    this.dragOutIncompleteHandlers.forEach((h) => h({ missing }));
  }

  /** Test helper: the user saved an opened copy in their editor. */
  emitOpenWithChanged(id: string) {
    const o = this.opened.get(id);
    if (!o) return;
    const change = { id, name: o.name, canUploadVersion: this.accounts[0]?.capabilities.uploadOverwrite ?? false };
    this.openWithChangedHandlers.forEach((h) => h(change));
  }
}

/** The preview Rust would pick for a name (a few extensions are enough for the fake). */
function fakePreviewKind(name: string): PreviewKind {
  const ext = name.includes(".") ? name.slice(name.lastIndexOf(".") + 1).toLowerCase() : "";
  if (["png", "jpg", "jpeg", "gif", "webp", "svg"].includes(ext)) return "image";
  if (["txt", "log", "json", "rs", "ts", "csv"].includes(ext)) return "text";
  if (["md", "markdown"].includes(ext)) return "markdown";
  if (ext === "pdf") return "pdf";
  if (["mp3", "ogg", "flac", "wav"].includes(ext)) return "audio";
  if (["mp4", "webm", "mov"].includes(ext)) return "video";
  return "other";
}

/** Whether a search hit passes the filters, as a server would judge it (enough for tests). */
function fakeFilter(e: Entry, f: SearchFilters): boolean {
  if (f.kind && e.kind !== f.kind) return false;
  if (f.minSize != null && e.size < f.minSize) return false;
  if (f.maxSize != null && e.size > f.maxSize) return false;
  const at = e.updatedAt ?? "";
  if (f.modifiedAfter && at < f.modifiedAfter) return false;
  if (f.modifiedBefore && at > f.modifiedBefore) return false;
  if (f.category === "document" && !/\.(pdf|docx?|txt|md)$/i.test(e.name)) return false;
  if (f.category === "image" && !/\.(png|jpe?g|gif|webp)$/i.test(e.name)) return false;
  return true;
}
