//! The shapes the UI sees. TypeScript definitions are generated from these types (ts-rs) into
//! `ui/src/backend/generated/`, and a test fails when the checked-in copies are stale.

use cirrus_core::account::ProviderKind;
use cirrus_core::provider::{Capabilities, Entry, EntryKind};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Which service an account is on.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProviderDto {
    /// The stable name, also what `account_add` takes as `provider`.
    #[ts(type = "\"cloudreve_v4\" | \"cloudreve_v3\" | \"pan123\"")]
    pub kind: String,
    /// The name people know the service by ("Cloudreve 4", "Cloudreve 3", "123pan").
    pub name: String,
}

impl From<ProviderKind> for ProviderDto {
    fn from(kind: ProviderKind) -> Self {
        ProviderDto {
            kind: kind.as_str().to_string(),
            name: kind.display_name().to_string(),
        }
    }
}

/// A signed-in account as the account switcher shows it.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct AccountDto {
    /// Stable local id.
    pub id: String,
    /// The user's own name for the account.
    pub label: String,
    /// The server's base URL.
    pub server_url: String,
    /// The sign-in email.
    pub email: String,
    /// The nickname the server reports.
    pub nickname: String,
    /// Whether this is the account the window shows.
    pub active: bool,
    /// Whether the account has a session; false after "Sign out" (one sign-in brings it back).
    pub signed_in: bool,
    /// Whether the server is reached over https; false means plain http (warn the user).
    pub encrypted: bool,
    /// The "Try the local sandbox" account: the app starts the sandbox when it is opened.
    pub sandbox: bool,
    /// Transfers of this account that are not finished (kept, paused, across a sign-out).
    pub pending_transfers: u32,
    /// The service the account is on.
    pub provider: ProviderDto,
    /// What its server can do; the UI greys out the rest, saying why.
    pub capabilities: Capabilities,
    /// The root folder of the drive (where browsing starts), in the provider's addressing.
    pub root_uri: String,
}

/// The outcome of the first sign-in step.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(tag = "status", rename_all = "camelCase")]
#[ts(export)]
pub enum AddAccountResultDto {
    /// Signed in; the account is saved.
    #[serde(rename_all = "camelCase")]
    SignedIn {
        /// The new account.
        // Boxed: it dwarfs the other variant; the JSON is the same.
        account: Box<AccountDto>,
    },
    /// The server wants a two-factor code; call `account_2fa` with this id.
    #[serde(rename = "needs2fa", rename_all = "camelCase")]
    Needs2fa {
        /// The pending sign-in to complete.
        pending_id: String,
    },
}

/// File or folder.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub enum EntryKindDto {
    /// A file.
    File,
    /// A folder.
    Folder,
}

/// One row of the file browser.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct EntryDto {
    /// The provider's address of the item, passed back verbatim in later calls.
    pub uri: String,
    /// The display name (render as text only).
    pub name: String,
    /// File or folder.
    pub kind: EntryKindDto,
    /// Size in bytes (0 for folders).
    #[ts(type = "number")]
    pub size: u64,
    /// Creation time, RFC 3339.
    pub created_at: Option<String>,
    /// Modification time, RFC 3339.
    pub updated_at: Option<String>,
    /// Whether an upload to this path is still in progress.
    pub uploading: bool,
}

impl From<&Entry> for EntryDto {
    fn from(e: &Entry) -> Self {
        EntryDto {
            uri: e.remote.0.clone(),
            name: e.name.clone(),
            kind: match e.kind {
                EntryKind::Folder => EntryKindDto::Folder,
                _ => EntryKindDto::File,
            },
            size: e.size,
            created_at: e.created_at.map(|t| t.to_rfc3339()),
            updated_at: e.updated_at.map(|t| t.to_rfc3339()),
            uploading: e.uploading,
        }
    }
}

/// A window of rows of a listing.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PageDto {
    /// The rows asked for.
    pub entries: Vec<EntryDto>,
    /// The total row count once known (the whole listing fetched).
    pub total: Option<u32>,
    /// Whether the whole listing has been fetched.
    pub complete: bool,
    /// How many rows are known so far (grows while scrolling a big folder).
    pub loaded: u32,
    /// The server cut the listing short and said so (a search that ran out of its folder
    /// budget): more may match than it lists.
    pub limited: bool,
}

/// Storage usage.
#[derive(Clone, Copy, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CapacityDto {
    /// Bytes used.
    #[ts(type = "number")]
    pub used: u64,
    /// Bytes available in total.
    #[ts(type = "number")]
    pub total: u64,
}

/// One failed item of a batch operation.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchFailureDto {
    /// The item that failed.
    pub uri: String,
    /// The error kind (stable string).
    pub kind: String,
    /// A plain-language message.
    pub message: String,
}

/// The per-item outcome of a batch operation; empty `failed` means everything worked.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct BatchResultDto {
    /// The items that failed, with why.
    pub failed: Vec<BatchFailureDto>,
}

impl From<cirrus_core::provider::BatchOutcome> for BatchResultDto {
    fn from(outcome: cirrus_core::provider::BatchOutcome) -> Self {
        BatchResultDto {
            failed: outcome
                .failed
                .into_iter()
                .map(|(remote, err)| BatchFailureDto {
                    uri: remote.0,
                    kind: err.kind().as_str().to_string(),
                    message: err.to_string(),
                })
                .collect(),
        }
    }
}

/// An upload prepared in Rust; local paths stay in Rust.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlannedUploadDto {
    /// Pass to `transfers_start_upload`.
    pub plan_id: String,
    /// How many top-level files and folders were picked.
    pub items: u32,
    /// Total bytes, folders included.
    #[ts(type = "number")]
    pub bytes: u64,
    /// Names that already exist at the destination.
    pub conflicts: Vec<ConflictDto>,
}

/// A name that already exists where an upload would go.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConflictDto {
    /// The taken name.
    pub name: String,
    /// The key to answer this conflict with in `decisions` (the name).
    pub uri: String,
}

/// A per-item answer to a conflict.
#[derive(Clone, Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ConflictDecisionDto {
    /// The conflict's key.
    pub uri: String,
    /// `overwrite`, `keepBoth` or `skip`.
    #[ts(type = "\"overwrite\" | \"keepBoth\" | \"skip\"")]
    pub conflict: String,
}

/// A transfer row (top-level items; a folder shows the sum of its files).
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TransferDto {
    /// `<account id>:<item id>`.
    pub id: String,
    /// `upload` or `download`.
    #[ts(type = "\"upload\" | \"download\"")]
    pub direction: String,
    /// File or folder name.
    pub name: String,
    /// `queued`, `running`, `paused`, `completed`, `failed` or `cancelled`.
    #[ts(
        type = "\"queued\" | \"running\" | \"paused\" | \"completed\" | \"failed\" | \"cancelled\""
    )]
    pub state: String,
    /// Bytes done.
    #[ts(type = "number")]
    pub bytes_done: u64,
    /// Bytes in total.
    #[ts(type = "number")]
    pub bytes_total: u64,
    /// Current speed in bytes per second.
    pub speed_bps: f64,
    /// Seconds left at the current speed.
    #[ts(type = "number | null")]
    pub eta_seconds: Option<u64>,
    /// Why it failed.
    pub error: Option<String>,
    /// A download saved under another name than the server's (too long for the local disk,
    /// or characters it cannot hold): the local name.
    pub saved_as: Option<String>,
    /// Files of a folder download saved under another name than the server's.
    pub renamed_files: u32,
    /// `transfer` (moving bytes), `checking` (hashing the file before an upload that needs
    /// its MD5 first; see `checked_bytes`) or `instant` (completed without sending the
    /// content: the server already had it).
    #[ts(type = "\"transfer\" | \"checking\" | \"instant\"")]
    pub phase: String,
    /// Bytes of the file hashed so far while `phase` is `checking`.
    #[ts(type = "number")]
    pub checked_bytes: u64,
}

/// Streamed over the `transfers_subscribe` channel.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
#[ts(export)]
pub enum TransferEventDto {
    /// A row changed (or appeared).
    Update {
        /// The row.
        transfer: TransferDto,
    },
    /// A row went away (cleared).
    Removed {
        /// Its id.
        id: String,
    },
    /// Every row: the stream fell behind and dropped events, so the list is replaced whole.
    Snapshot {
        /// All rows.
        transfers: Vec<TransferDto>,
    },
    /// Several rows changed (or appeared) at once: a burst crosses the IPC as one message.
    /// Each row appears once, with its latest state.
    Batch {
        /// The rows.
        transfers: Vec<TransferDto>,
    },
    /// These rows moved to `state` and nothing else changed but their speed (now none):
    /// "Pause all" of 10 000 files is one small message instead of every row. Ids the UI does
    /// not list (files inside a folder) are ignored; their folder's row comes as an update.
    States {
        /// Row ids.
        ids: Vec<String>,
        /// The state they are in now (as [`TransferDto::state`]).
        #[ts(
            type = "\"queued\" | \"running\" | \"paused\" | \"completed\" | \"failed\" | \"cancelled\""
        )]
        state: String,
    },
}

/// A share link.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ShareDto {
    /// Share id.
    pub id: String,
    /// Name of the shared item.
    pub name: String,
    /// The link to give out.
    pub url: String,
    /// Whether a password is needed.
    pub password_protected: bool,
    /// The password (owner view).
    pub password: Option<String>,
    /// Expiry, RFC 3339.
    pub expires: Option<String>,
    /// Downloads left; `None` = unlimited.
    #[ts(type = "number | null")]
    pub remain_downloads: Option<i64>,
    /// Views.
    #[ts(type = "number")]
    pub visited: u64,
    /// Downloads so far.
    #[ts(type = "number")]
    pub downloaded: u64,
    /// Whether the expiry and download limit can be changed (`shares_edit`).
    pub limits_editable: bool,
    /// Whether the password can be changed after creation (not on Cloudreve v4).
    pub password_editable: bool,
}

/// Where sign-in secrets are kept, for the notice and the Settings page.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SecretStoreDto {
    /// `keyring` (the OS credential store) or `file` (a file readable only by the user).
    pub backend: String,
    /// Why the OS credential store is not used; `None` when it is, or the file was chosen.
    pub fallback_reason: Option<String>,
    /// Whether the one-time notice about the fallback is still to be shown.
    pub notice_due: bool,
}

/// A server task.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TaskDto {
    /// Task id.
    pub id: String,
    /// `create_archive`, `extract_archive`, `remote_download`, …
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub task_type: String,
    /// `queued`, `processing`, `suspending`, `error`, `canceled`, `completed`.
    #[ts(
        type = "\"queued\" | \"processing\" | \"suspending\" | \"error\" | \"canceled\" | \"completed\""
    )]
    pub status: String,
    /// 0..1 when known.
    pub progress: Option<f64>,
    /// Why it failed.
    pub error: Option<String>,
    /// Creation time, RFC 3339.
    pub created_at: Option<String>,
    /// One line about what it does.
    pub summary: String,
    /// The server's phase name (`compress_files`, `upload_archive`, `transfer`…), if any.
    pub phase: Option<String>,
    /// Live counters with a known total (items first, then bytes).
    pub counters: Vec<TaskCounterDto>,
    /// Estimated seconds left while running, when the rate so far tells.
    #[ts(type = "number | null")]
    pub eta_seconds: Option<u64>,
    /// Items the task could not handle (e.g. files left out of an archive).
    #[ts(type = "number | null")]
    pub failed: Option<u64>,
}

/// One progress counter of a server task.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TaskCounterDto {
    /// The server's name (`archive_count`, `extract_size`, `upload`, `download`…).
    pub name: String,
    /// Done so far.
    #[ts(type = "number")]
    pub current: u64,
    /// Out of.
    #[ts(type = "number")]
    pub total: u64,
    /// What is counted.
    #[ts(type = "\"items\" | \"bytes\"")]
    pub unit: String,
}

/// Files Cirrus was opened with ("Upload with Cirrus"), as the destination dialog shows them:
/// names only, the paths stay in Rust.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct UploadWithDto {
    /// The top-level file and folder names, in the order given.
    pub names: Vec<String>,
    /// Arguments that named nothing readable (the last part of each), to mention.
    pub unusable: Vec<String>,
    /// Where the last upload went: the dialog's default destination.
    pub last_folder: Option<FolderRefDto>,
}

/// A remote folder of an account.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FolderRefDto {
    /// The account.
    pub account_id: String,
    /// The folder's URI.
    pub uri: String,
}

/// One stored version of a file, as the info panel lists it (newest first).
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct VersionDto {
    /// The provider's id of the version; passed back to download, restore or delete it.
    pub id: String,
    /// Size in bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// When the version was stored, RFC 3339 (null when the server does not say).
    pub created_at: Option<String>,
    /// Whether this is the file's current content.
    pub current: bool,
}

impl From<&cirrus_core::provider::FileVersion> for VersionDto {
    fn from(v: &cirrus_core::provider::FileVersion) -> Self {
        VersionDto {
            id: v.id.clone(),
            size: v.size,
            created_at: v.created_at.map(|t| t.to_rfc3339()),
            current: v.current,
        }
    }
}

/// Filters of a search, beside the name. Null means "any"; size and date bounds need the
/// account's `searchFilters`, a category its `searchCategory`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
#[ts(export)]
pub struct SearchFiltersDto {
    /// Only files or only folders.
    #[ts(type = "\"file\" | \"folder\" | null")]
    pub kind: Option<String>,
    /// Smallest size in bytes.
    #[ts(type = "number | null")]
    pub min_size: Option<u64>,
    /// Largest size in bytes.
    #[ts(type = "number | null")]
    pub max_size: Option<u64>,
    /// Modified at or after this RFC 3339 time.
    pub modified_after: Option<String>,
    /// Modified at or before this RFC 3339 time.
    pub modified_before: Option<String>,
    /// Kind of content.
    #[ts(type = "\"image\" | \"video\" | \"audio\" | \"document\" | null")]
    pub category: Option<String>,
}
