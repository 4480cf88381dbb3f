/**
 * What the UI may offer on an account, decided from its server's capability flags (sent by
 * Rust with the account) and never from the server's name. An action the server cannot do is
 * greyed out with one of these reasons instead of failing with "not supported".
 */
import type { Capabilities } from "../backend";
import type { MessageKey } from "../i18n";

/** Actions that depend on what the server can do. */
export type Feature =
  | "trash"
  | "restore"
  | "copy"
  | "archive"
  | "extract"
  | "share"
  | "sharePassword"
  | "shareLimits"
  | "shareExpiry"
  | "shareDelete"
  | "remoteDownload"
  | "tasks"
  | "taskCancel"
  | "search";

/** The flags of a Cloudreve 4 server: everything the UI offers. Used where no account is known. */
export const FULL_CAPABILITIES: Capabilities = {
  cursorPagination: true,
  serverSort: true,
  search: true,
  trash: true,
  restore: true,
  serverSideCopy: true,
  batchOperations: true,
  nestedMkdir: true,
  shares: true,
  sharePasswords: true,
  shareLimits: true,
  sharePasswordEditable: false,
  shareDelete: true,
  shareExpiryDays: [],
  tasksArchive: true,
  tasksExtract: true,
  tasksRemoteDownload: true,
  taskCancel: true,
  clientEncryption: true,
  instantUploadMd5: false,
  uploadNeedsMd5: false,
  uploadOverwrite: true,
  resumableUpload: true,
  rangedDownload: true,
  webdavAccounts: false,
  versions: true,
  searchFilters: true,
  searchCategory: true,
  thumbnails: true,
  searchFolders: true,
};

const REASONS: Record<Feature, { allowed: (c: Capabilities) => boolean; reason: MessageKey }> = {
  trash: { allowed: (c) => c.trash, reason: "caps.noTrash" },
  restore: { allowed: (c) => c.restore, reason: "caps.noRestore" },
  copy: { allowed: (c) => c.serverSideCopy, reason: "caps.noCopy" },
  archive: { allowed: (c) => c.tasksArchive, reason: "caps.noArchive" },
  extract: { allowed: (c) => c.tasksExtract, reason: "caps.noExtract" },
  share: { allowed: (c) => c.shares, reason: "caps.noShares" },
  sharePassword: { allowed: (c) => c.sharePasswords, reason: "caps.noSharePassword" },
  shareLimits: { allowed: (c) => c.shareLimits, reason: "caps.noShareLimits" },
  // An expiry from a few fixed choices still counts as an expiry.
  shareExpiry: { allowed: (c) => c.shareLimits || c.shareExpiryDays.length > 0, reason: "caps.noShareLimits" },
  shareDelete: { allowed: (c) => c.shareDelete, reason: "caps.noShareDelete" },
  remoteDownload: { allowed: (c) => c.tasksRemoteDownload, reason: "caps.noRemoteDownload" },
  taskCancel: { allowed: (c) => c.taskCancel, reason: "caps.noTaskCancel" },
  tasks: { allowed: (c) => c.tasksArchive || c.tasksExtract || c.tasksRemoteDownload, reason: "caps.noTasks" },
  search: { allowed: (c) => c.search, reason: "caps.noSearch" },
};

/** The message key saying why `feature` is unavailable, or null when the server can do it. */
export function unavailable(caps: Capabilities, feature: Feature): MessageKey | null {
  const r = REASONS[feature];
  return r.allowed(caps) ? null : r.reason;
}

/**
 * The expiry choices a share dialog offers: any of `presets` where the server takes any time,
 * else "never" and the server's own whole-day choices.
 */
export function expiryChoices<T extends { seconds: number | null }>(caps: Capabilities, presets: T[], day: (days: number) => T): T[] {
  if (!caps.shareExpiryDays.length) return presets;
  return [presets.find((p) => p.seconds === null)!, ...caps.shareExpiryDays.map(day)];
}

/** Whether several items go in one request; otherwise the app sends them one at a time (slower). */
export function oneAtATime(caps: Capabilities, count: number): boolean {
  return count > 1 && !caps.batchOperations;
}
