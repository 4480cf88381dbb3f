//! A disk cache of server thumbnails with a size cap (least recently used first out) and a
//! bound on requests in flight, so scrolling a big folder in the grid view neither refetches
//! what it has seen nor floods the server.
//!
//! Entries are keyed by (account scope, file reference, version tag): the version tag is what
//! changes when the file gets new content (the caller passes the modification time and size),
//! so a new version is a new key and the old thumbnail ages out. "The server has no thumbnail"
//! is remembered too (a marker file), so an unsupported file is asked about once, not on every
//! scroll. Transient failures are not remembered.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::{Provider, RemoteRef};

/// Default size cap of the cache directory.
pub const DEFAULT_CAP_BYTES: u64 = 64 << 20;
/// Default number of thumbnail requests in flight at once.
pub const DEFAULT_IN_FLIGHT: usize = 4;
/// What a "no thumbnail" marker counts against the cap, so markers are bounded too.
const MARKER_COST: u64 = 256;
const IMAGE_EXT: &str = "img";
const MARKER_EXT: &str = "none";

struct Slot {
    cost: u64,
    none: bool,
    used: u64,
}

#[derive(Default)]
struct Index {
    slots: HashMap<String, Slot>,
    clock: u64,
    total: u64,
}

/// Thumbnails on disk, shared by every account (keys carry the account's scope).
pub struct ThumbCache {
    dir: PathBuf,
    cap: u64,
    index: Mutex<Index>,
    permits: Semaphore,
}

fn io_err(e: std::io::Error) -> Error {
    Error::with_message(ErrorKind::Io, format!("Thumbnail cache: {e}"))
}

impl ThumbCache {
    /// Open (or create) the cache in `dir`, keeping at most `cap_bytes` and sending at most
    /// `in_flight` requests at a time. What an earlier run left is kept, oldest first out.
    pub fn open(dir: impl Into<PathBuf>, cap_bytes: u64, in_flight: usize) -> Result<Self> {
        let dir = dir.into();
        std::fs::create_dir_all(&dir).map_err(io_err)?;
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&dir).map_err(io_err)?.flatten() {
            let path = entry.path();
            let (Some(stem), Some(ext)) = (
                path.file_stem().and_then(|s| s.to_str()),
                path.extension().and_then(|s| s.to_str()),
            ) else {
                continue;
            };
            let Ok(meta) = entry.metadata() else { continue };
            match ext {
                IMAGE_EXT | MARKER_EXT => {
                    let none = ext == MARKER_EXT;
                    let cost = if none { MARKER_COST } else { meta.len().max(1) };
                    let when = meta.modified().ok();
                    found.push((when, stem.to_string(), cost, none));
                }
                // A write cut short by a crash.
                _ => {
                    let _ = std::fs::remove_file(&path);
                }
            }
        }
        found.sort_by_key(|f| f.0);
        let mut index = Index::default();
        for (_, key, cost, none) in found {
            index.clock += 1;
            index.total += cost;
            let used = index.clock;
            index.slots.insert(key, Slot { cost, none, used });
        }
        let cache = ThumbCache {
            dir,
            cap: cap_bytes,
            index: Mutex::new(index),
            permits: Semaphore::new(in_flight.max(1)),
        };
        cache.evict();
        Ok(cache)
    }

    /// The cache key of one version of one file.
    pub fn key(scope: &str, file: &RemoteRef, version: &str) -> String {
        let mut h = Sha256::new();
        for part in [scope, file.as_str(), version] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    fn path(&self, key: &str, none: bool) -> PathBuf {
        self.dir.join(format!(
            "{key}.{}",
            if none { MARKER_EXT } else { IMAGE_EXT }
        ))
    }

    /// The thumbnail of `file` at `version` (bytes of a JPEG, PNG, GIF or WebP image), or
    /// `None` when the server has none. `scope` tells accounts apart (e.g. the account id).
    pub async fn get(
        &self,
        provider: &dyn Provider,
        scope: &str,
        file: &RemoteRef,
        version: &str,
    ) -> Result<Option<Vec<u8>>> {
        if !provider.capabilities().thumbnails {
            return Ok(None);
        }
        let key = Self::key(scope, file, version);
        if let Some(hit) = self.lookup(&key).await {
            return Ok(hit);
        }
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| Error::with_message(ErrorKind::Io, "Thumbnail cache closed."))?;
        // Another request for the same key may have finished while this one waited.
        if let Some(hit) = self.lookup(&key).await {
            return Ok(hit);
        }
        let got = provider.thumbnail(file).await?;
        self.store(&key, got.as_deref()).await?;
        Ok(got)
    }

    /// `Some(answer)` on a hit (refreshing its recency), `None` on a miss.
    async fn lookup(&self, key: &str) -> Option<Option<Vec<u8>>> {
        let none = {
            let mut index = self.index.lock().expect("thumb index");
            index.clock += 1;
            let clock = index.clock;
            let slot = index.slots.get_mut(key)?;
            slot.used = clock;
            slot.none
        };
        if none {
            return Some(None);
        }
        match tokio::fs::read(self.path(key, false)).await {
            Ok(bytes) => Some(Some(bytes)),
            Err(_) => {
                // Removed behind our back: forget it and fetch again.
                let mut index = self.index.lock().expect("thumb index");
                if let Some(slot) = index.slots.remove(key) {
                    index.total -= slot.cost;
                }
                None
            }
        }
    }

    async fn store(&self, key: &str, image: Option<&[u8]>) -> Result<()> {
        let none = image.is_none();
        let data = image.unwrap_or_default();
        let tmp = self.dir.join(format!("{key}.tmp"));
        tokio::fs::write(&tmp, data).await.map_err(io_err)?;
        tokio::fs::rename(&tmp, self.path(key, none))
            .await
            .map_err(io_err)?;
        let cost = if none {
            MARKER_COST
        } else {
            data.len().max(1) as u64
        };
        {
            let mut index = self.index.lock().expect("thumb index");
            index.clock += 1;
            let used = index.clock;
            if let Some(old) = index
                .slots
                .insert(key.to_string(), Slot { cost, none, used })
            {
                index.total -= old.cost;
            }
            index.total += cost;
        }
        self.evict();
        Ok(())
    }

    /// Drop least recently used entries until the total is within the cap.
    fn evict(&self) {
        let mut victims = Vec::new();
        {
            let mut index = self.index.lock().expect("thumb index");
            while index.total > self.cap {
                let Some(key) = index
                    .slots
                    .iter()
                    .min_by_key(|(_, s)| s.used)
                    .map(|(k, _)| k.clone())
                else {
                    break;
                };
                let slot = index.slots.remove(&key).expect("present");
                index.total -= slot.cost;
                victims.push(self.path(&key, slot.none));
            }
        }
        for path in victims {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Bytes the cache counts against its cap.
    pub fn total_bytes(&self) -> u64 {
        self.index.lock().expect("thumb index").total
    }

    /// Number of cached answers (thumbnails and "none" markers).
    pub fn len(&self) -> usize {
        self.index.lock().expect("thumb index").slots.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The directory holding the cache.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}
