//! The transfer engine: a persisted queue of uploads and downloads, a scheduler that runs
//! them with bounded parallelism, resumable chunked uploads (with client-side encryption) and
//! resumable ranged downloads.

pub mod bandwidth;
pub mod chunks;
pub mod item;
pub mod queue;
pub mod retry;
pub mod safe_path;

pub use bandwidth::BandwidthLimiter;
pub use chunks::ChunkPlan;
pub use item::{
    ConflictPolicy, Direction, Fingerprint, ItemId, ItemKind, ItemState, NewItem, Progress,
    TransferItem,
};
pub use queue::TransferQueue;
pub use retry::RetryPolicy;
pub use safe_path::{safe_join, sanitize_component};
