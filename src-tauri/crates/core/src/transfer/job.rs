//! What a running transfer job can use, and the preparation of folder transfers.

use super::bandwidth::BandwidthLimiter;
use super::conflict::{keep_both_name, list_all, local_names};
use super::download::OpenPart;
use super::item::{ConflictPolicy, Direction, ItemKind, NewItem, TransferItem};
use super::queue::TransferQueue;
use super::retry::RetryPolicy;
use super::safe_path::{safe_join, sanitize_component};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{Provider, RemoteRef};
use std::path::Path;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How a job ended when it did not fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// Transferred.
    Done,
    /// Left alone because the destination exists and the policy said skip.
    Skipped,
}

/// Everything one job needs; cloned per job with its own cancellation token.
#[derive(Clone)]
pub(crate) struct JobContext {
    pub provider: Arc<dyn Provider>,
    pub queue: Arc<TransferQueue>,
    pub http: reqwest::Client,
    pub retry: RetryPolicy,
    pub upload_limiter: Arc<BandwidthLimiter>,
    pub download_limiter: Arc<BandwidthLimiter>,
    pub cancel: CancellationToken,
    pub want_encryption: bool,
    pub download_chunk_size: u64,
    pub download_connections: usize,
    pub multi_connection_threshold: u64,
    pub open_part: OpenPart,
    /// Files hashed in full by this engine (see `TransferEngine::hash_passes`).
    pub hash_passes: Arc<std::sync::atomic::AtomicU64>,
}

/// Creates the remote folder tree for a folder upload and adds one child item per file.
pub(crate) async fn prepare_upload_folder(
    ctx: &JobContext,
    folder: &TransferItem,
) -> Result<Option<()>> {
    let dest_parent = RemoteRef::new(folder.remote.clone());
    let mut root_name = folder.name.clone();
    ctx.provider.check_name(&root_name)?;
    let existing = list_all(ctx.provider.as_ref(), &dest_parent).await?;
    if let Some(hit) = existing.iter().find(|e| e.name == root_name) {
        match folder.conflict {
            ConflictPolicy::Skip => return Ok(None),
            ConflictPolicy::Ask => {
                return Err(Error::with_message(
                    ErrorKind::AlreadyExists,
                    format!("\"{root_name}\" already exists in the destination folder."),
                ));
            }
            // Overwrite merges into an existing folder, file by file.
            ConflictPolicy::Overwrite if hit.is_folder() => {}
            _ => {
                let taken = existing.iter().map(|e| e.name.clone()).collect();
                root_name = keep_both_name(&folder.name, &taken);
                ctx.queue.set_name(folder.id, &root_name)?;
            }
        }
    }
    let root = ctx.provider.create_folder(&dest_parent, &root_name).await?;
    let mut children = Vec::new();
    let mut total = 0;
    // Depth-first walk; each local folder maps to a remote folder created on the way down.
    let mut stack = vec![(folder.local_path.clone(), root.remote.clone())];
    while let Some((local_dir, remote_dir)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&local_dir)
            .map_err(|e| Error::io(format!("Cannot read folder {}: {e}", local_dir.display())))?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let file_type = entry.file_type()?;
            if file_type.is_dir() {
                ctx.provider.check_name(&name).map_err(|e| {
                    Error::with_message(
                        e.kind(),
                        format!("{}: {}", entry.path().display(), e.message()),
                    )
                })?;
                let sub = ctx.provider.create_folder(&remote_dir, &name).await?;
                stack.push((entry.path(), sub.remote));
            } else if file_type.is_file() {
                let size = entry.metadata()?.len();
                total += size;
                children.push(NewItem {
                    parent_id: Some(folder.id),
                    ..NewItem::upload_file(
                        &entry.path(),
                        remote_dir.as_str(),
                        size,
                        folder.conflict,
                    )
                });
            }
            // Symbolic links and special files are not uploaded.
        }
    }
    ctx.queue.prepare_folder(folder.id, &children, total)?;
    Ok(Some(()))
}

/// Creates the local folder tree for a folder download and adds one child item per file.
/// Every local path comes from `safe_join`, so remote names cannot escape the folder.
pub(crate) async fn prepare_download_folder(
    ctx: &JobContext,
    folder: &TransferItem,
) -> Result<Option<()>> {
    let mut root = folder.local_path.clone();
    if root.exists() {
        match folder.conflict {
            ConflictPolicy::Skip => return Ok(None),
            ConflictPolicy::Ask => {
                return Err(Error::with_message(
                    ErrorKind::AlreadyExists,
                    format!("{} already exists.", root.display()),
                ));
            }
            ConflictPolicy::Overwrite if root.is_dir() => {}
            _ => {
                let parent = root.parent().map(Path::to_path_buf).unwrap_or_default();
                let name = keep_both_name(&folder.name, &local_names(&parent));
                root = parent.join(sanitize_component(&name));
                ctx.queue.set_local_path(folder.id, &root)?;
            }
        }
    }
    std::fs::create_dir_all(&root)?;
    let mut children = Vec::new();
    let mut total = 0;
    let mut stack = vec![(RemoteRef::new(folder.remote.clone()), root.clone())];
    while let Some((remote_dir, local_dir)) = stack.pop() {
        // Distinct remote names can sanitise to the same local name ("..", ""): number them
        // so two items never share a destination or a part file.
        let mut used = std::collections::HashSet::new();
        for entry in list_all(ctx.provider.as_ref(), &remote_dir).await? {
            let mut name = sanitize_component(&entry.name);
            if !used.insert(name.to_lowercase()) {
                let taken: std::collections::HashSet<String> = used.iter().cloned().collect();
                name = keep_both_name(&name, &taken);
                used.insert(name.to_lowercase());
            }
            let local = safe_join(&local_dir, &name);
            if entry.is_folder() {
                std::fs::create_dir_all(&local)?;
                stack.push((entry.remote, local));
            } else {
                total += entry.size;
                children.push(NewItem {
                    parent_id: Some(folder.id),
                    name: entry.name.clone(),
                    ..NewItem::download_file(
                        entry.remote.as_str(),
                        &local,
                        entry.size,
                        folder.conflict,
                    )
                });
            }
        }
    }
    ctx.queue.prepare_folder(folder.id, &children, total)?;
    Ok(Some(()))
}

/// Runs the preparation step of a folder item.
pub(crate) async fn prepare_folder(ctx: &JobContext, folder: &TransferItem) -> Result<Option<()>> {
    debug_assert_eq!(folder.kind, ItemKind::Folder);
    match folder.direction {
        Direction::Upload => prepare_upload_folder(ctx, folder).await,
        Direction::Download => prepare_download_folder(ctx, folder).await,
    }
}
