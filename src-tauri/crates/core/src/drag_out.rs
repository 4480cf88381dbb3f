//! Dragging files and folders out of Cirrus onto a file manager or the desktop.
//!
//! Two ways lead to the local disk, and both go through the transfer queue (resumable, in the
//! tray and the transfers panel), never around it:
//!
//! - **Direct save** (the XDS protocol on X11): the drop target names a file URI in the folder
//!   it wants; only that *folder* is used, and every dragged item is queued as a normal
//!   download into it. Names come from the server and are neutralised by the engine's
//!   `sanitize_component`/`safe_join`, so nothing lands outside the folder the target named.
//! - **Staged files** (`text/uri-list`, which every file manager accepts): the items are
//!   downloaded into a fresh folder of a private staging area and their paths handed over;
//!   the drop target copies them from there. Old staging folders are pruned.

use crate::error::{Error, Result};
use crate::provider::{Entry, Provider, RemoteRef};
use crate::settings::ConflictPreference;
use crate::transfer::{ConflictPolicy, ItemId, ItemState, TransferEngine, sanitize_component};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

/// Items whose sizes add up to at most this are fetched into the staging area as soon as a
/// drag starts, so a file manager that only takes ready files (`text/uri-list`) finds them
/// complete when the pointer is released a second later.
pub const STAGE_AHEAD_LIMIT: u64 = 32 * 1024 * 1024;

/// Staging folders older than this are removed when a new drag starts.
pub const STAGING_MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);

/// The conflict policy of a drag-out: the user's preference, except that "ask" (which a drop
/// has no room for) keeps both, so an existing local file is never replaced without consent.
pub fn drop_policy(preference: ConflictPreference) -> ConflictPolicy {
    match preference {
        ConflictPreference::Overwrite => ConflictPolicy::Overwrite,
        ConflictPreference::Skip => ConflictPolicy::Skip,
        ConflictPreference::KeepBoth | ConflictPreference::Ask => ConflictPolicy::KeepBoth,
    }
}

/// The local folder a direct-save drop target asked for.
///
/// The target writes a `file://` URI of the file it wants (`file:///home/me/Desktop/a.txt`);
/// Cirrus keeps only the folder part, which must be an absolute, existing local folder. A
/// remote host, a relative path or `..` anywhere is refused rather than interpreted.
pub fn folder_from_direct_save_uri(uri: &str) -> Result<PathBuf> {
    let rest = uri
        .trim()
        .strip_prefix("file://")
        .ok_or_else(|| Error::invalid(format!("The drop target sent a non-file URI: {uri:?}")))?;
    // `file://host/path`: only the local machine may be named.
    let path_part = if rest.starts_with('/') {
        rest
    } else {
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if !host.eq_ignore_ascii_case("localhost") {
            return Err(Error::invalid(format!(
                "The drop target named another machine: {host:?}"
            )));
        }
        path
    };
    let decoded = percent_encoding::percent_decode_str(path_part)
        .decode_utf8()
        .map_err(|_| Error::invalid("The drop target sent a path that is not UTF-8."))?;
    let file = PathBuf::from(decoded.as_ref());
    if !file.is_absolute()
        || file
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
    {
        return Err(Error::invalid(format!(
            "The drop target sent an unusable path: {}",
            file.display()
        )));
    }
    let folder = file
        .parent()
        .ok_or_else(|| Error::invalid("The drop target named no folder."))?;
    if !folder.is_dir() {
        return Err(Error::invalid(format!(
            "The drop folder {} does not exist.",
            folder.display()
        )));
    }
    Ok(folder.to_path_buf())
}

/// The entries of dragged items, in the order given (each is looked up on the server, so a
/// stale listing cannot make Cirrus download something else).
pub async fn entries(provider: &dyn Provider, uris: &[String]) -> Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(uris.len());
    for uri in uris {
        out.push(provider.stat(&RemoteRef(uri.clone())).await?);
    }
    Ok(out)
}

/// Queues downloads of `entries` (files, or folders with their whole tree) into `folder`.
pub fn enqueue_into(
    engine: &TransferEngine,
    entries: &[Entry],
    folder: &Path,
    policy: ConflictPolicy,
) -> Result<Vec<ItemId>> {
    if !folder.is_dir() {
        return Err(Error::invalid(format!(
            "{} is not a folder.",
            folder.display()
        )));
    }
    entries
        .iter()
        .map(|e| engine.enqueue_download(e, folder, policy))
        .collect()
}

/// Where the local copy of `entry` lands in `folder` when nothing is in the way (the same
/// neutralised name the engine uses).
pub fn local_path(folder: &Path, entry: &Entry) -> PathBuf {
    folder.join(sanitize_component(&entry.name))
}

/// Whether the items are small enough to fetch as soon as the drag starts: files only (a
/// folder's size is unknown until listed), adding up to at most [`STAGE_AHEAD_LIMIT`].
pub fn stage_ahead(entries: &[Entry]) -> bool {
    !entries.is_empty()
        && entries.iter().all(|e| !e.is_folder())
        && entries.iter().map(|e| e.size).sum::<u64>() <= STAGE_AHEAD_LIMIT
}

/// Waits until every one of `ids` has finished, or `timeout` passed; whether all completed.
pub async fn wait_completed(
    engine: &TransferEngine,
    ids: &[ItemId],
    timeout: Duration,
) -> Result<bool> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let states = engine.queue().states(ids)?;
        if states.len() == ids.len() && states.iter().all(|(_, s)| s.is_finished()) {
            return Ok(states.iter().all(|(_, s)| *s == ItemState::Completed));
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(false);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Where queued items write locally (after any keep-both rename the engine made).
pub fn local_paths(engine: &TransferEngine, ids: &[ItemId]) -> Result<Vec<PathBuf>> {
    ids.iter()
        .map(|id| Ok(engine.queue().get(*id)?.local_path))
        .collect()
}

/// The `file://` URI of a local path, as `text/uri-list` carries it.
pub fn file_uri(path: &Path) -> Result<String> {
    url::Url::from_file_path(path)
        .map(|u| u.to_string())
        .map_err(|_| Error::invalid(format!("{} is not an absolute path.", path.display())))
}

/// A private folder holding per-drag subfolders of staged downloads.
#[derive(Clone, Debug)]
pub struct StagingArea {
    root: PathBuf,
}

impl StagingArea {
    /// A staging area under `root` (created on first use).
    pub fn new(root: PathBuf) -> Self {
        StagingArea { root }
    }

    /// The folder all drags stage under.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A new, empty folder for one drag.
    pub fn fresh(&self) -> Result<PathBuf> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        let dir = self.root.join(format!(
            "drag-{stamp}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("Cannot create {}: {e}", dir.display())))?;
        Ok(dir)
    }

    /// Whether every one of `paths` lies inside this staging area (a drop of Cirrus's own
    /// staged files back onto Cirrus is an in-app drag, not an upload).
    pub fn holds_all(&self, paths: &[PathBuf]) -> bool {
        !paths.is_empty()
            && paths.iter().all(|p| {
                p.starts_with(&self.root)
                    && !p
                        .components()
                        .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
            })
    }

    /// Removes drag folders last changed more than `max_age` ago; returns how many went.
    pub fn prune(&self, max_age: Duration) -> usize {
        let Ok(read) = std::fs::read_dir(&self.root) else {
            return 0;
        };
        let now = SystemTime::now();
        let mut removed = 0;
        for entry in read.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().starts_with("drag-") {
                continue;
            }
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| now.duration_since(t).ok())
                .is_some_and(|age| age > max_age);
            if old && std::fs::remove_dir_all(entry.path()).is_ok() {
                removed += 1;
            }
        }
        removed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_save_uris_give_their_folder() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("my folder");
        std::fs::create_dir(&sub).unwrap();
        let uri = format!("file://{}/my%20folder/report.pdf", dir.path().display());
        assert_eq!(folder_from_direct_save_uri(&uri).unwrap(), sub);
        let with_host = format!("file://localhost{}/x.txt", dir.path().display());
        assert_eq!(folder_from_direct_save_uri(&with_host).unwrap(), dir.path());
    }

    #[test]
    fn hostile_or_odd_direct_save_uris_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display();
        for bad in [
            "http://example.com/a.txt".to_string(),
            "file://otherhost/tmp/a.txt".to_string(),
            format!("file://{d}/../a.txt"),
            format!("file://{d}/%2e%2e/a.txt"),
            format!("file://{d}/missing/a.txt"),
            "file://relative/a.txt".to_string(),
            "file:///".to_string(),
        ] {
            assert!(folder_from_direct_save_uri(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ask_becomes_keep_both_so_nothing_is_overwritten_silently() {
        assert_eq!(
            drop_policy(ConflictPreference::Ask),
            ConflictPolicy::KeepBoth
        );
        assert_eq!(
            drop_policy(ConflictPreference::Overwrite),
            ConflictPolicy::Overwrite
        );
        assert_eq!(drop_policy(ConflictPreference::Skip), ConflictPolicy::Skip);
    }

    #[test]
    fn staging_folders_are_fresh_recognised_and_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let area = StagingArea::new(dir.path().join("staging"));
        let a = area.fresh().unwrap();
        let b = area.fresh().unwrap();
        assert_ne!(a, b);
        assert!(area.holds_all(&[a.join("x.txt"), b.join("y")]));
        assert!(!area.holds_all(&[a.join("x.txt"), dir.path().join("other")]));
        assert!(!area.holds_all(&[a.join("../../escape")]));
        assert!(!area.holds_all(&[]));
        assert_eq!(area.prune(STAGING_MAX_AGE), 0, "fresh folders stay");
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(area.prune(Duration::from_millis(1)), 2);
        assert!(!a.exists() && !b.exists());
    }
}
