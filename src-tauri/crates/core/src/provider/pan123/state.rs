//! What the 123pan API cannot list but Cirrus must remember across restarts: the items it put
//! in (or saw in) the trash, and the offline downloads it started. Kept in a small JSON file
//! of the account in the data dir (ids and URLs only, no secrets), written atomically.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::offline::Started;

/// Offline downloads remembered (the oldest are dropped beyond this).
pub const MAX_TASKS: usize = 200;

/// The remembered state.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Remembered {
    /// Ids of items in the trash.
    #[serde(default)]
    pub trash: BTreeSet<i64>,
    /// Offline downloads started here, oldest first.
    #[serde(default)]
    pub tasks: Vec<Started>,
}

/// The file of account `account_id` in `data_dir`.
pub fn path_for(data_dir: &Path, account_id: &str) -> PathBuf {
    data_dir.join(format!("pan123-{account_id}.json"))
}

/// Reads the state; a missing or damaged file is an empty state (it only helps listings).
pub fn load(path: &Path) -> Remembered {
    std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

/// Writes the state (temp file, then rename); failures are logged, not fatal.
pub fn save(path: &Path, state: &Remembered) {
    let tmp = path.with_extension("json.tmp");
    let written = serde_json::to_vec(state)
        .map_err(|e| e.to_string())
        .and_then(|json| std::fs::write(&tmp, json).map_err(|e| e.to_string()))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| e.to_string()));
    if let Err(e) = written {
        tracing::warn!("could not remember 123pan trash and tasks: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_a_damaged_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let p = path_for(dir.path(), "acc");
        assert!(load(&p).trash.is_empty());
        let mut s = Remembered::default();
        s.trash.insert(7);
        save(&p, &s);
        assert!(load(&p).trash.contains(&7));
        std::fs::write(&p, b"{not json").unwrap();
        assert!(load(&p).trash.is_empty());
    }
}
