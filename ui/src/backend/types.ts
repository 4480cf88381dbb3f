/**
 * Data types exchanged with the Rust side. They mirror the serde structs
 * (rename_all = "camelCase"); keep both in sync when changing either.
 */

/** A signed-in (or remembered) Cloudreve account. */
export interface Account {
  id: string;
  label: string;
  serverUrl: string;
  email: string;
  nickname: string;
  active: boolean;
}

/** Result of `account_add`: either signed in, or a second factor is needed. */
export type AddAccountResult =
  | { status: "signedIn"; account: Account }
  | { status: "needs2fa"; pendingId: string };

/** One file or folder on the drive. Times are ISO 8601 strings. */
export interface Entry {
  uri: string;
  name: string;
  kind: "file" | "folder";
  size: number;
  createdAt: string;
  updatedAt: string;
  /** True while an upload session for this file is still open on the server. */
  uploading: boolean;
}

/** A window of rows from a listing; `total` is null when the server does not know it yet. */
export interface Page {
  entries: Entry[];
  total: number | null;
  complete: boolean;
  parentUri: string | null;
}

export type OrderBy = "name" | "size" | "updated_at" | "created_at";
export type Direction = "asc" | "desc";

export interface Capacity {
  used: number;
  total: number;
}

/** Per-item failures of a batch operation; an empty list means everything succeeded. */
export interface BatchResult {
  failed: { uri: string; kind: string; message: string }[];
}

/** An upload prepared in Rust (local paths never reach the UI). */
export interface PlannedUpload {
  planId: string;
  items: number;
  bytes: number;
  conflicts: { name: string; uri: string }[];
}

export type ConflictChoice = "overwrite" | "keepBoth" | "skip";

/** A per-item exception to the plan-wide conflict choice. */
export interface ConflictDecision {
  uri: string;
  conflict: ConflictChoice;
}

export type TransferState = "queued" | "running" | "paused" | "completed" | "failed" | "cancelled";

export interface Transfer {
  id: string;
  direction: "upload" | "download";
  name: string;
  state: TransferState;
  bytesDone: number;
  bytesTotal: number;
  speedBps: number;
  etaSeconds: number | null;
  error: string | null;
}

/** Streamed over the `transfers_subscribe` channel. */
export type TransferEvent = { kind: "update"; transfer: Transfer } | { kind: "removed"; id: string };

export interface Share {
  id: string;
  name: string;
  url: string;
  passwordProtected: boolean;
  password: string | null;
  expires: string | null;
  remainDownloads: number | null;
  visited: number;
  downloaded: number;
}

export interface ShareOptions {
  password: string | null;
  expireSeconds: number | null;
  downloads: number | null;
}

export type TaskCategory = "general" | "downloading" | "downloaded";
export type TaskStatus = "queued" | "processing" | "suspending" | "error" | "canceled" | "completed";

/** A server-side workflow (archive, extract, remote download, …). */
export interface Task {
  id: string;
  type: string;
  status: TaskStatus;
  /** 0..1, or null when the server reports no progress. */
  progress: number | null;
  error: string | null;
  createdAt: string;
  summary: string;
}

export type Theme = "light" | "dark" | "system";
export type Language = "en" | "zh-CN";
export type ConflictPolicy = "ask" | ConflictChoice;

export interface Settings {
  parallelTransfers: number;
  uploadLimitKbps: number | null;
  downloadLimitKbps: number | null;
  downloadFolder: string;
  conflictPolicy: ConflictPolicy;
  theme: Theme;
  language: Language;
}

/** Shape of every rejected command. */
export interface BackendError {
  kind: string;
  message: string;
}

/** Payload of the `drop` event, emitted by Rust after an OS file drop. */
export interface DropEvent {
  accountId?: string;
}
