//! The path → id cache: `(folder id, name) → object`, filled from folder listings (never
//! from search, whose index lags behind) and kept current by our own writes. Keyed by the
//! parent's id, so moving or renaming a folder leaves everything below it valid.
//!
//! A folder listed from start to end is "complete" for a short while: a name it does not
//! have is known to be absent without asking the server again.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::provider::EntryKind;

use super::wire::{FileWire, parse_time};

/// How long a complete listing answers "absent" by itself.
pub const COMPLETE_FOR: Duration = Duration::from_secs(30);

/// What the cache knows of one object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    /// Its id.
    pub id: i64,
    /// Its name.
    pub name: String,
    /// File or folder.
    pub kind: EntryKind,
    /// Bytes (0 for folders).
    pub size: u64,
    /// MD5 hex of a file.
    pub etag: String,
    /// Creation time.
    pub created_at: Option<DateTime<Utc>>,
    /// Modification time.
    pub updated_at: Option<DateTime<Utc>>,
}

impl From<&FileWire> for Cached {
    fn from(w: &FileWire) -> Self {
        let kind = if w.is_folder() {
            EntryKind::Folder
        } else {
            EntryKind::File
        };
        Cached {
            id: w.file_id,
            name: w.filename.clone(),
            kind,
            size: if w.is_folder() { 0 } else { w.size },
            etag: w.etag.clone(),
            created_at: w.create_at.as_deref().and_then(parse_time),
            updated_at: w
                .update_at
                .as_deref()
                .or(w.create_at.as_deref())
                .and_then(parse_time),
        }
    }
}

#[derive(Default)]
struct Folder {
    children: HashMap<String, Cached>,
    /// When a listing from start to end filled `children`.
    complete_at: Option<Instant>,
}

/// What a lookup found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The object.
    Found(Cached),
    /// A recent complete listing does not have the name.
    Absent,
    /// The cache cannot say; list the folder.
    Unknown,
}

/// The cache of one account.
#[derive(Default)]
pub struct PathCache {
    folders: Mutex<HashMap<i64, Folder>>,
}

impl PathCache {
    fn folders(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Folder>> {
        self.folders.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `name` in folder `parent`.
    pub fn lookup(&self, parent: i64, name: &str) -> Lookup {
        let all = self.folders();
        let Some(f) = all.get(&parent) else {
            return Lookup::Unknown;
        };
        match f.children.get(name) {
            Some(c) => Lookup::Found(c.clone()),
            None if f.complete_at.is_some_and(|t| t.elapsed() < COMPLETE_FOR) => Lookup::Absent,
            None => Lookup::Unknown,
        }
    }

    /// Replaces what is known of `parent` with a complete listing of its live items.
    pub fn fill(&self, parent: i64, items: impl IntoIterator<Item = Cached>) {
        let children = items.into_iter().map(|c| (c.name.clone(), c)).collect();
        self.folders().insert(
            parent,
            Folder {
                children,
                complete_at: Some(Instant::now()),
            },
        );
    }

    /// The children of `parent` from its last complete listing, however old.
    pub fn children(&self, parent: i64) -> Option<Vec<Cached>> {
        let all = self.folders();
        let f = all.get(&parent)?;
        f.complete_at?;
        Some(f.children.values().cloned().collect())
    }

    /// Records one object in `parent` (a folder we created, a file we uploaded, a move).
    pub fn insert(&self, parent: i64, item: Cached) {
        let mut all = self.folders();
        let f = all.entry(parent).or_default();
        // Names are unique in a folder: another id under this name is gone.
        f.children.insert(item.name.clone(), item);
    }

    /// Forgets `name` in `parent`.
    pub fn remove(&self, parent: i64, name: &str) {
        if let Some(f) = self.folders().get_mut(&parent) {
            f.children.remove(name);
        }
    }

    /// Forgets the object `id` wherever it is; returns the folder it was in.
    pub fn remove_id(&self, id: i64) -> Option<i64> {
        let mut all = self.folders();
        let mut found = None;
        for (parent, f) in all.iter_mut() {
            if let Some(name) = f
                .children
                .iter()
                .find(|(_, c)| c.id == id)
                .map(|(n, _)| n.clone())
            {
                f.children.remove(&name);
                found = Some(*parent);
                break;
            }
        }
        // A folder's own listing goes with it.
        all.remove(&id);
        found
    }

    /// Marks the listing of `folder` as possibly outdated.
    pub fn stale(&self, folder: i64) {
        if let Some(f) = self.folders().get_mut(&folder) {
            f.complete_at = None;
        }
    }

    /// Marks every listing as possibly outdated (after a change whose effects we cannot
    /// trace, such as a restore to wherever the items came from).
    pub fn invalidate_all(&self) {
        for f in self.folders().values_mut() {
            f.complete_at = None;
        }
    }

    /// The path of folder `id` as far as the cache knows the folders above it.
    pub fn path_of(&self, id: i64) -> Option<String> {
        let all = self.folders();
        let mut names = vec![];
        let mut cur = id;
        // Bounded: a cycle can only come from a stale cache.
        for _ in 0..64 {
            if cur == 0 {
                names.reverse();
                return Some(format!("/{}", names.join("/")));
            }
            let (parent, name) = all.iter().find_map(|(p, f)| {
                f.children
                    .values()
                    .find(|c| c.id == cur && c.kind == EntryKind::Folder)
                    .map(|c| (*p, c.name.clone()))
            })?;
            names.push(name);
            cur = parent;
        }
        None
    }

    /// The ids of the folders with a listing (for collecting trashed items).
    pub fn known_folders(&self) -> Vec<i64> {
        self.folders().keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, name: &str) -> Cached {
        Cached {
            id,
            name: name.into(),
            kind: EntryKind::File,
            size: 1,
            etag: String::new(),
            created_at: None,
            updated_at: None,
        }
    }

    #[test]
    fn complete_listings_answer_absent_and_writes_keep_it_current() {
        let cache = PathCache::default();
        assert_eq!(cache.lookup(0, "a"), Lookup::Unknown);
        cache.fill(0, [c(1, "a")]);
        assert_eq!(cache.lookup(0, "a"), Lookup::Found(c(1, "a")));
        assert_eq!(cache.lookup(0, "b"), Lookup::Absent);
        cache.insert(0, c(2, "b"));
        assert_eq!(cache.lookup(0, "b"), Lookup::Found(c(2, "b")));
        assert_eq!(cache.remove_id(1), Some(0));
        assert_eq!(cache.lookup(0, "a"), Lookup::Absent);
        let dir = Cached {
            kind: EntryKind::Folder,
            ..c(3, "d")
        };
        cache.insert(0, dir.clone());
        cache.insert(3, Cached { id: 4, ..dir });
        assert_eq!(cache.path_of(4).as_deref(), Some("/d/d"));
        assert_eq!(cache.path_of(0).as_deref(), Some("/"));
        assert_eq!(cache.path_of(99), None);
        cache.invalidate_all();
        assert_eq!(cache.lookup(0, "a"), Lookup::Unknown);
        assert_eq!(cache.lookup(5, "x"), Lookup::Unknown);
    }
}
