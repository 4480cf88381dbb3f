//! The transfer engine: a persisted queue of uploads and downloads, a scheduler that runs
//! them with bounded parallelism, resumable chunked uploads (with client-side encryption) and
//! resumable ranged downloads.

pub mod bandwidth;
pub mod chunks;
pub mod conflict;
pub mod download;
pub mod engine;
pub mod hashing;
pub mod item;
mod job;
pub mod progress;
pub mod queue;
pub mod retry;
pub mod safe_path;
mod upload;
pub mod version_ref;

pub use bandwidth::BandwidthLimiter;
pub use chunks::ChunkPlan;
pub use conflict::{Conflict, keep_both_name};
pub use download::{OpenPart, PartWriter, part_path};
pub use engine::{EngineConfig, Selection, TransferEngine};
pub use item::{
    ConflictPolicy, Direction, Fingerprint, ItemId, ItemKind, ItemState, NewItem, Progress,
    TransferItem, TransferOptions, TransferPhase,
};
pub use progress::{EngineEvent, TransferEvent};
pub use queue::{Interrupted, TransferQueue};
pub use retry::RetryPolicy;
pub use safe_path::{MAX_LOCAL_NAME_BYTES, local_name_differs, safe_join, sanitize_component};

#[cfg(test)]
mod tests;
