//! The storage policy id of recently used upload folders, so a folder of many files costs one
//! listing instead of one per file.

use std::collections::HashMap;
use std::sync::Mutex;

/// Folders remembered at most; past that the map starts afresh (ids are cheap to look up).
const MAX_FOLDERS: usize = 1024;

/// Folder URI → the policy id its listing reported (`None`: it reported none).
#[derive(Default)]
pub(super) struct PolicyHints {
    map: Mutex<HashMap<String, Option<String>>>,
    lookup: tokio::sync::Mutex<()>,
}

impl PolicyHints {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<String>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Held while looking an id up, so files starting together into a new folder wait for
    /// one listing instead of each making their own.
    pub(super) async fn lookup_guard(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.lookup.lock().await
    }

    /// The remembered id of `folder`: `None` if unknown, `Some(None)` if it has none.
    pub(super) fn get(&self, folder: &str) -> Option<Option<String>> {
        self.map().get(folder).cloned()
    }

    /// Remembers `folder`'s policy id.
    pub(super) fn remember(&self, folder: &str, id: Option<String>) {
        let mut m = self.map();
        if m.len() >= MAX_FOLDERS {
            m.clear();
        }
        m.insert(folder.to_string(), id);
    }

    /// Forgets `folder` (its id was refused).
    pub(super) fn forget(&self, folder: &str) {
        self.map().remove(folder);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_forgets_and_stays_bounded() {
        let h = PolicyHints::default();
        assert_eq!(h.get("a"), None);
        h.remember("a", Some("Wq1e".into()));
        h.remember("b", None);
        assert_eq!(h.get("a"), Some(Some("Wq1e".into())));
        assert_eq!(h.get("b"), Some(None));
        h.forget("a");
        assert_eq!(h.get("a"), None);
        for i in 0..MAX_FOLDERS + 5 {
            h.remember(&format!("f{i}"), None);
        }
        assert!(h.map().len() <= MAX_FOLDERS);
    }
}
