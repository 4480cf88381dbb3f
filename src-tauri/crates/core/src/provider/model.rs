//! The provider-neutral data model: remote references, entries, pages, shares and tasks.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::error::Error;

/// An opaque address of a remote object. For Cloudreve v4 it is the `cloudreve://` URI;
/// other providers put ids or paths here. Callers never parse it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemoteRef(pub String);

impl RemoteRef {
    /// Wrap a provider-specific reference string.
    pub fn new(s: impl Into<String>) -> Self {
        RemoteRef(s.into())
    }

    /// The raw reference string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RemoteRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteRef({:?})", self.0)
    }
}

impl fmt::Display for RemoteRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// File or folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A folder.
    Folder,
}

/// One remote file or folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// Where the object lives; pass it back to operate on it.
    pub remote: RemoteRef,
    /// Display name (for trash items: the original name).
    pub name: String,
    /// File or folder.
    pub kind: EntryKind,
    /// Size in bytes (0 for folders and for files still uploading).
    pub size: u64,
    /// Creation time, when known.
    pub created_at: Option<DateTime<Utc>>,
    /// Last modification time, when known.
    pub updated_at: Option<DateTime<Utc>>,
    /// True while an upload to this path is in progress (a placeholder).
    pub uploading: bool,
    /// Provider's stable id, when it has one.
    pub id: Option<String>,
    /// For trash items: where a restore would put the item back.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub original_location: Option<RemoteRef>,
}

impl Entry {
    /// Whether this entry is a folder.
    pub fn is_folder(&self) -> bool {
        self.kind == EntryKind::Folder
    }
}

/// One page of a listing. `next_cursor` is `None` on the last page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListPage {
    /// The entries of this page (folders first for plain listings).
    pub entries: Vec<Entry>,
    /// Opaque cursor for the next page.
    pub next_cursor: Option<String>,
    /// The server stopped early and said so (a search that ran out of its folder budget):
    /// the listing is not everything that matches.
    #[serde(default)]
    pub limited: bool,
}

/// Sort key for listings.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OrderBy {
    /// By name.
    #[default]
    Name,
    /// By size.
    Size,
    /// By modification time.
    UpdatedAt,
    /// By creation time.
    CreatedAt,
}

/// Sort direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Ascending.
    #[default]
    Asc,
    /// Descending.
    Desc,
}

/// How to list: sort order and page size (`None` = the server default).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListOptions {
    /// Sort key.
    pub order_by: OrderBy,
    /// Sort direction.
    pub direction: Direction,
    /// Page size; providers clamp it to what they support.
    pub page_size: Option<u32>,
}

/// A search inside a folder (recursive where the provider supports it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchQuery {
    /// Name filter (substring, case-insensitive where supported).
    pub name: String,
    /// Restrict to files or folders.
    pub kind: Option<EntryKind>,
    /// Smallest size in bytes (needs `Capabilities::search_filters`).
    #[serde(default)]
    pub min_size: Option<u64>,
    /// Largest size in bytes (needs `Capabilities::search_filters`).
    #[serde(default)]
    pub max_size: Option<u64>,
    /// Modified at or after (needs `Capabilities::search_filters`).
    #[serde(default)]
    pub modified_after: Option<DateTime<Utc>>,
    /// Modified at or before (needs `Capabilities::search_filters`).
    #[serde(default)]
    pub modified_before: Option<DateTime<Utc>>,
    /// Created at or after (needs `Capabilities::search_filters`).
    #[serde(default)]
    pub created_after: Option<DateTime<Utc>>,
    /// Created at or before (needs `Capabilities::search_filters`).
    #[serde(default)]
    pub created_before: Option<DateTime<Utc>>,
    /// Kind of content (needs `Capabilities::search_category`).
    #[serde(default)]
    pub category: Option<SearchCategory>,
}

impl SearchQuery {
    /// Whether any size or date filter is set.
    pub fn has_range_filters(&self) -> bool {
        self.min_size.is_some()
            || self.max_size.is_some()
            || self.modified_after.is_some()
            || self.modified_before.is_some()
            || self.created_after.is_some()
            || self.created_before.is_some()
    }
}

/// Kinds of content a search can be limited to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SearchCategory {
    /// Pictures.
    Image,
    /// Videos.
    Video,
    /// Music and other audio.
    Audio,
    /// Documents (PDF, office, text).
    Document,
}

impl SearchCategory {
    /// The lower-case name used on the wire and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchCategory::Image => "image",
            SearchCategory::Video => "video",
            SearchCategory::Audio => "audio",
            SearchCategory::Document => "document",
        }
    }

    /// Parse [`SearchCategory::as_str`]'s names.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Image, Self::Video, Self::Audio, Self::Document]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

/// One stored version of a file (newest first in listings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileVersion {
    /// Provider's id of the version; pass it back to operate on it.
    pub id: String,
    /// Size in bytes.
    pub size: u64,
    /// When this version was stored, when known.
    pub created_at: Option<DateTime<Utc>>,
    /// Whether this is the file's current content.
    pub current: bool,
}

/// How to delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum DeleteMode {
    /// Move to the trash (needs `Capabilities::trash`).
    Trash,
    /// Delete permanently (also what deleting an item already in the trash does).
    Permanent,
}

/// Storage usage of the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capacity {
    /// Total bytes available to the account.
    pub total: u64,
    /// Bytes in use.
    pub used: u64,
}

impl Capacity {
    /// Bytes still free.
    pub fn free(&self) -> u64 {
        self.total.saturating_sub(self.used)
    }
}

/// Who is signed in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserInfo {
    /// Provider user id.
    pub id: String,
    /// Email / login name.
    pub email: Option<String>,
    /// Display name.
    pub nickname: String,
    /// Group name (e.g. "Admin", "User").
    pub group: Option<String>,
}

/// The result of a batch operation: items that failed with why. Empty = all done.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchOutcome {
    /// Items that failed, with their individual error.
    pub failed: Vec<(RemoteRef, Error)>,
}

impl BatchOutcome {
    /// True when every item succeeded.
    pub fn is_complete(&self) -> bool {
        self.failed.is_empty()
    }
}

/// A share link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Share {
    /// Provider share id.
    pub id: String,
    /// Name of the shared item.
    pub name: String,
    /// Public link.
    pub url: String,
    /// Password, when the share has one and the caller may see it.
    pub password: Option<String>,
    /// Whether the shared item is a folder.
    pub is_folder: bool,
    /// When the link expires, if it does.
    pub expires_at: Option<DateTime<Utc>>,
    /// Downloads left, if limited.
    pub remaining_downloads: Option<i64>,
    /// Times viewed.
    pub views: u64,
    /// Times downloaded.
    pub downloads: u64,
    /// Whether the link no longer works (expired or used up).
    pub expired: bool,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// The shared item, when the provider reports it.
    pub source: Option<RemoteRef>,
}

impl Share {
    /// The share's limits as they stand at `now`, as options for an edit that keeps them:
    /// what is left of the expiry and of the downloads, and the password.
    pub fn options_now(&self, now: DateTime<Utc>) -> ShareOptions {
        ShareOptions {
            password: self.password.clone().filter(|p| !p.is_empty()),
            // A limit already reached stays as close to it as the server allows (0 would mean
            // "no limit" to the server).
            expires_in_secs: self
                .expires_at
                .map(|at| (at - now).num_seconds().max(1) as u64),
            download_limit: self
                .remaining_downloads
                .map(|n| n.clamp(1, u32::MAX as i64) as u32),
            ..Default::default()
        }
    }

    /// Text to paste into a message: the link and, when set, the password.
    pub fn link_text(&self) -> String {
        match &self.password {
            Some(p) if !p.is_empty() && !self.url.ends_with(&format!("/{p}")) => {
                format!("{}\nPassword: {}", self.url, p)
            }
            _ => self.url.clone(),
        }
    }
}

/// Options for creating or editing a share.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareOptions {
    /// Protect with a password (`Some("")` = let the server generate one).
    pub password: Option<String>,
    /// Expire after this many seconds from now.
    pub expires_in_secs: Option<u64>,
    /// Allow this many downloads.
    pub download_limit: Option<u32>,
    /// Let visitors see the folder view settings.
    pub share_view: bool,
    /// Show a README in the share page.
    pub show_readme: bool,
}

/// One page of shares.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SharePage {
    /// The shares on this page.
    pub shares: Vec<Share>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
}

/// Which server task list to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TaskCategory {
    /// Archive, extract and other file tasks.
    General,
    /// Remote downloads in progress.
    Downloading,
    /// Finished remote downloads.
    Downloaded,
}

/// Status of a server task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TaskStatus {
    /// Waiting to run.
    Queued,
    /// Running.
    Processing,
    /// Paused, waiting to resume.
    Suspending,
    /// Failed.
    Error,
    /// Cancelled.
    Canceled,
    /// Done.
    Completed,
    /// A status this version does not know.
    Unknown,
}

impl TaskStatus {
    /// Whether the task will not change any more.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            TaskStatus::Error | TaskStatus::Canceled | TaskStatus::Completed
        )
    }
}

/// A server-side task (archive, extract, remote download…).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Task id.
    pub id: String,
    /// Kind of task as the server names it (`create_archive`, `extract_archive`, `remote_download`…).
    pub task_type: String,
    /// Status.
    pub status: TaskStatus,
    /// Current phase, if reported.
    pub phase: Option<String>,
    /// Error text when failed.
    pub error: Option<String>,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Last update time.
    pub updated_at: Option<DateTime<Utc>>,
    /// Source items or URL as reported.
    pub source: Option<String>,
    /// Destination as reported.
    pub destination: Option<String>,
    /// Remote-download details (name, bytes done/total, speed), when relevant.
    pub download: Option<DownloadStatus>,
    /// How long the task has been running (server-measured), when reported.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// How many items the task could not handle (e.g. files left out of an archive).
    #[serde(default)]
    pub failed: Option<u64>,
}

/// Progress of a remote download as the server reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DownloadStatus {
    /// Name of what is being downloaded.
    pub name: String,
    /// Downloader state.
    pub state: String,
    /// Total bytes.
    pub total: u64,
    /// Bytes downloaded.
    pub downloaded: u64,
    /// Bytes per second.
    pub speed: u64,
}

/// One page of tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskPage {
    /// Tasks on this page.
    pub tasks: Vec<Task>,
    /// Cursor for the next page.
    pub next_cursor: Option<String>,
}

/// Progress counters of a running task (`archive_size`, `upload`, `download`…).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskProgress {
    /// Named counters; empty when the server has no live progress.
    pub items: Vec<ProgressItem>,
}

/// One named progress counter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgressItem {
    /// Counter name as the server reports it.
    pub name: String,
    /// Done so far.
    pub current: u64,
    /// Total.
    pub total: u64,
    /// What the counter is about (e.g. the file being handled).
    pub identifier: String,
}

/// Options for extracting an archive on the server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtractOptions {
    /// Text encoding of names inside the archive (e.g. "gbk").
    pub encoding: Option<String>,
    /// Archive password.
    pub password: Option<String>,
}

/// A WebDAV account: sign in to the server's WebDAV endpoint with the user's email and this
/// generated password, seeing only `root` and below.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebDavAccount {
    /// Provider id of the account.
    pub id: String,
    /// Label the user gave it.
    pub name: String,
    /// The generated password.
    pub password: String,
    /// Folder the account is limited to (a path, `/` for everything).
    pub root: String,
    /// Whether the account may only read.
    pub readonly: bool,
    /// When it was created.
    pub created_at: Option<DateTime<Utc>>,
}
