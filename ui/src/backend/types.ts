/**
 * Data types exchanged with the Rust side. Most are generated from the Rust DTOs
 * (`src-tauri/src/dto.rs`, via ts-rs) into `./generated/`; a Rust test fails when the
 * checked-in copies are stale. Only types Rust does not describe are written here.
 */

import type { AccountDto } from "./generated/AccountDto";
import type { AddAccountResultDto } from "./generated/AddAccountResultDto";
import type { BatchResultDto } from "./generated/BatchResultDto";
import type { Capabilities as CapabilitiesDto } from "./generated/Capabilities";
import type { CapacityDto } from "./generated/CapacityDto";
import type { ConflictDecisionDto } from "./generated/ConflictDecisionDto";
import type { EntryDto } from "./generated/EntryDto";
import type { PageDto } from "./generated/PageDto";
import type { PlannedUploadDto } from "./generated/PlannedUploadDto";
import type { ProviderDto } from "./generated/ProviderDto";
import type { SecretStoreDto } from "./generated/SecretStoreDto";
import type { ShareDto } from "./generated/ShareDto";
import type { TaskDto } from "./generated/TaskDto";
import type { TransferDto } from "./generated/TransferDto";
import type { TransferEventDto } from "./generated/TransferEventDto";
import type { UploadWithDto } from "./generated/UploadWithDto";
import type { FolderRefDto } from "./generated/FolderRefDto";
import type { PreviewDto } from "./generated/PreviewDto";
import type { TextPreviewDto } from "./generated/TextPreviewDto";
import type { OpenedDto } from "./generated/OpenedDto";
import type { OpenedChangedDto } from "./generated/OpenedChangedDto";
import type { VersionDto } from "./generated/VersionDto";
import type { SearchFiltersDto } from "./generated/SearchFiltersDto";

/** A signed-in (or remembered) account on a Cloudreve or 123pan server. */
export type Account = AccountDto;
/** What an account's server can do (the provider's capability flags). */
export type Capabilities = CapabilitiesDto;
/** The service an account is on. */
export type Provider = ProviderDto;
/** `account_add`'s `provider`: absent for Cloudreve (version detected), or a service's name. */
export type ProviderKind = ProviderDto["kind"];
/** Result of `account_add`: either signed in, or a second factor is needed. */
export type AddAccountResult = AddAccountResultDto;
/** One file or folder on the drive. Times are RFC 3339 strings (null when unknown). */
export type Entry = EntryDto;
/** A window of rows from a listing; `total` is null until the whole listing is known. */
export type Page = PageDto;
export type Capacity = CapacityDto;
/** Per-item failures of a batch operation; an empty list means everything succeeded. */
export type BatchResult = BatchResultDto;
/** An upload prepared in Rust (local paths never reach the UI). */
export type PlannedUpload = PlannedUploadDto;
/** A per-item exception to the plan-wide conflict choice. */
export type ConflictDecision = ConflictDecisionDto;
export type ConflictChoice = ConflictDecisionDto["conflict"];
export type Transfer = TransferDto;
export type TransferState = TransferDto["state"];
/** Streamed over the `transfers_subscribe` channel. */
export type TransferEvent = TransferEventDto;
export type Share = ShareDto;
/** Where sign-in secrets are kept (`keyring` or the private `file`), and why. */
export type SecretStore = SecretStoreDto;
/** Files Cirrus was opened with, waiting for a destination (names only; paths stay in Rust). */
export type UploadWith = UploadWithDto;
/** A folder of an account. */
export type FolderRef = FolderRefDto;
/** A server-side workflow (archive, extract, remote download, …). */
export type Task = TaskDto;
export type TaskStatus = TaskDto["status"];

export type OrderBy = "name" | "size" | "updated_at" | "created_at";
export type Direction = "asc" | "desc";

export interface ShareOptions {
  password: string | null;
  expireSeconds: number | null;
  downloads: number | null;
}

export type TaskCategory = "general" | "downloading" | "downloaded";

export type Theme = "light" | "dark" | "system";
export type Language = "en" | "zh-CN";
export type ConflictPolicy = "ask" | ConflictChoice;

/** Mirrors `cirrus_core::settings::Settings` (serde camelCase; checked by a Rust test). */
export interface Settings {
  parallelTransfers: number;
  uploadLimitKbps: number | null;
  downloadLimitKbps: number | null;
  downloadFolder: string;
  conflictPolicy: ConflictPolicy;
  theme: Theme;
  language: Language;
  /** The proxy of every connection (Settings → Network). */
  proxy: ProxySetting;
  /** Accounts that do not use the app's proxy, by account id. */
  accountProxies: Record<string, AccountProxy>;
}

/** How a manual proxy is spoken to (`cirrus_core::net::proxy::ProxyProtocol`). */
export type ProxyProtocol = "http" | "https" | "socks5";

/** A manual proxy; its password is in the OS credential store, never here. */
export interface ManualProxy {
  protocol: ProxyProtocol;
  host: string;
  port: number;
  username?: string;
}

/** The app's proxy: the system's, none, or a manual one. */
export type ProxySetting = { mode: "system" } | { mode: "none" } | ({ mode: "manual" } & ManualProxy);

/** An account's proxy: the app's setting, none, or its own. */
export type AccountProxy = { mode: "app" } | { mode: "none" } | ({ mode: "manual" } & ManualProxy);

/** The system's proxy as Cirrus reads it (no credentials). */
export interface SystemProxy {
  source: "environment" | "gnome" | "nothing";
  http: string | null;
  https: string | null;
  all: string | null;
  noProxy: string | null;
  note: string | null;
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

/** A file ready to preview: an opaque id, its `cirrus-media` URL and how to show it. */
export type Preview = PreviewDto;
/** How the preview overlay shows a file. */
export type PreviewKind = PreviewDto["kind"];
/** The start of a text file, and whether it goes on. */
export type TextPreview = TextPreviewDto;
/** A private copy opened in the OS's default app. */
export type Opened = OpenedDto;
/** An opened copy was saved with new content. */
export type OpenedChanged = OpenedChangedDto;
/** One stored version of a file (newest first); `current` marks the file's content. */
export type Version = VersionDto;
/** Search filters beside the name; null means "any" (sizes in bytes, times RFC 3339). */
export type SearchFilters = SearchFiltersDto;
