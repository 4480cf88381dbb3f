//! The persisted shape of a transfer: what moves where, its state and its progress.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Row id of a transfer item in the queue database.
pub type ItemId = i64;

/// Upload or download.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Direction {
    /// Local → remote.
    Upload,
    /// Remote → local.
    Download,
}

/// A single file, or a folder whose files are child items.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemKind {
    /// One file.
    File,
    /// A folder; its files become child items once it is prepared.
    Folder,
}

/// Life cycle of an item. `Running` rows found at start-up were interrupted and go back to
/// `Queued`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ItemState {
    /// Waiting for a free slot.
    Queued,
    /// Being transferred (for folders: children in progress).
    Running,
    /// Stopped by the user; keeps its progress.
    Paused,
    /// Done (or skipped by the conflict policy).
    Completed,
    /// Stopped by an error; `retry` queues it again.
    Failed,
    /// Stopped by the user and cleaned up.
    Cancelled,
}

impl ItemState {
    /// No further work will happen unless the user acts.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            ItemState::Completed | ItemState::Failed | ItemState::Cancelled
        )
    }
}

/// What a transfer is doing, beside its state: most of the time moving bytes; before an
/// upload to a server that wants the content hash first, reading the file to hash it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum TransferPhase {
    /// Sending or receiving bytes (or waiting to).
    #[default]
    Transfer,
    /// Hashing the local file before the upload starts ("checking").
    Checking,
    /// Finished without sending the content: the server already had it (instant upload).
    Instant,
}

/// What to do when the destination already has an object of that name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConflictPolicy {
    /// Fail the item with `AlreadyExists`, so the user can decide.
    #[default]
    Ask,
    /// Replace the existing object.
    Overwrite,
    /// Keep both: the new one becomes `name (1).ext`.
    KeepBoth,
    /// Leave the existing object and mark the item completed (skipped).
    Skip,
}

/// Local file identity when an upload began; a mismatch later means the file changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fingerprint {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, Unix milliseconds.
    pub mtime_ms: i64,
}

impl Fingerprint {
    /// Reads the fingerprint of a local file.
    pub fn of(meta: &std::fs::Metadata) -> Self {
        let mtime_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Fingerprint {
            size: meta.len(),
            mtime_ms,
        }
    }
}

/// One row of the transfer queue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferItem {
    /// Row id.
    pub id: ItemId,
    /// The folder item this file belongs to.
    pub parent_id: Option<ItemId>,
    /// Upload or download.
    pub direction: Direction,
    /// File or folder.
    pub kind: ItemKind,
    /// Upload: the source path. Download: the final destination path.
    pub local_path: PathBuf,
    /// Upload: the destination folder. Download: the source object.
    pub remote: String,
    /// Name at the destination (uploads: may change under `KeepBoth`).
    pub name: String,
    /// Total bytes (files; folders: sum of children once prepared).
    pub size: u64,
    /// Current state.
    pub state: ItemState,
    /// Conflict policy chosen before the transfer started.
    pub conflict: ConflictPolicy,
    /// Bytes acknowledged (uploads) or written (downloads).
    pub bytes_done: u64,
    /// Why it failed, in plain words.
    pub error: Option<String>,
    /// Stable error kind string (`notFound`, `io`, …) for the UI.
    pub error_kind: Option<String>,
    /// True when the conflict policy skipped the item.
    pub skipped: bool,
    /// True when an upload completed without sending its content: the server already had
    /// it (an instant upload).
    #[serde(default)]
    pub instant: bool,
    /// Creation time, Unix milliseconds.
    pub created_ms: i64,
    /// Last change, Unix milliseconds.
    pub updated_ms: i64,
}

/// What to enqueue: the queue assigns ids and timestamps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewItem {
    /// Parent folder item, for files inside a folder transfer.
    pub parent_id: Option<ItemId>,
    /// Upload or download.
    pub direction: Direction,
    /// File or folder.
    pub kind: ItemKind,
    /// See [`TransferItem::local_path`].
    pub local_path: PathBuf,
    /// See [`TransferItem::remote`].
    pub remote: String,
    /// See [`TransferItem::name`].
    pub name: String,
    /// Total bytes, when known.
    pub size: u64,
    /// Conflict policy.
    pub conflict: ConflictPolicy,
}

/// How a transfer was asked to run, kept with it so a resume runs it the same way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransferOptions {
    /// Bandwidth limit in bytes per second (0 = none).
    pub bandwidth_limit: u64,
    /// Files transferred at the same time (0 = the default).
    pub parallel_files: usize,
}

impl TransferOptions {
    /// The options that respect every one of `all`: the lowest limit and parallelism.
    pub fn strictest(all: &[TransferOptions]) -> Option<TransferOptions> {
        let limit = all
            .iter()
            .map(|o| o.bandwidth_limit)
            .filter(|l| *l > 0)
            .min()
            .unwrap_or(0);
        let parallel = all
            .iter()
            .map(|o| o.parallel_files)
            .filter(|p| *p > 0)
            .min()
            .unwrap_or(0);
        (!all.is_empty()).then_some(TransferOptions {
            bandwidth_limit: limit,
            parallel_files: parallel,
        })
    }
}

/// Live progress of one item (speed and ETA are computed, never stored).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Bytes done.
    pub bytes_done: u64,
    /// Bytes in total.
    pub total: u64,
    /// Recent speed in bytes per second.
    pub bytes_per_sec: f64,
    /// Estimated seconds left, when the speed is known.
    pub eta_secs: Option<u64>,
}
