//! Name conflicts: finding them before a transfer starts, and "keep both" names.

use crate::error::Result;
use crate::provider::{Entry, ListOptions, Provider, RemoteRef};
use serde::Serialize;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// An object at the destination that a planned transfer would collide with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// The name that is already taken.
    pub name: String,
    /// The source that would collide (local path for uploads, remote ref for downloads).
    pub source: String,
    /// Whether the existing object is a folder.
    pub existing_is_folder: bool,
    /// The name "keep both" would pick.
    pub keep_both_name: String,
}

/// `name (1).ext`, `name (2).ext`, … — the first that is not in `taken`.
/// The extension is everything after the last dot, unless the dot starts the name.
pub fn keep_both_name(name: &str, taken: &HashSet<String>) -> String {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    (1..)
        .map(|n| format!("{stem} ({n}){ext}"))
        .find(|candidate| !taken.contains(candidate))
        .expect("an unused name always exists")
}

/// Every entry of a remote folder (all pages).
pub async fn list_all(provider: &dyn Provider, folder: &RemoteRef) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = provider
            .list(folder, &ListOptions::default(), cursor.as_deref())
            .await?;
        out.extend(page.entries);
        match page.next_cursor {
            Some(c) if !c.is_empty() => cursor = Some(c),
            _ => return Ok(out),
        }
    }
}

/// The names present in a remote folder.
pub async fn names_in(provider: &dyn Provider, folder: &RemoteRef) -> Result<HashSet<String>> {
    Ok(list_all(provider, folder)
        .await?
        .into_iter()
        .map(|e| e.name)
        .collect())
}

/// Conflicts an upload of `sources` into `dest` would hit (one listing of the destination).
pub async fn plan_upload(
    provider: &dyn Provider,
    sources: &[PathBuf],
    dest: &RemoteRef,
) -> Result<Vec<Conflict>> {
    let existing = list_all(provider, dest).await?;
    let taken: HashSet<String> = existing.iter().map(|e| e.name.clone()).collect();
    Ok(sources
        .iter()
        .filter_map(|src| {
            let name = src.file_name()?.to_string_lossy().into_owned();
            let hit = existing.iter().find(|e| e.name == name)?;
            Some(Conflict {
                keep_both_name: keep_both_name(&name, &taken),
                name,
                source: src.display().to_string(),
                existing_is_folder: hit.is_folder(),
            })
        })
        .collect())
}

/// Conflicts a download of `sources` into the local folder `dest_dir` would hit.
pub fn plan_download(sources: &[Entry], dest_dir: &Path) -> Vec<Conflict> {
    let taken = local_names(dest_dir);
    sources
        .iter()
        .filter_map(|e| {
            let target = dest_dir.join(super::safe_path::sanitize_component(&e.name));
            let meta = std::fs::symlink_metadata(&target).ok()?;
            let name = target.file_name()?.to_string_lossy().into_owned();
            Some(Conflict {
                keep_both_name: keep_both_name(&name, &taken),
                name,
                source: e.remote.to_string(),
                existing_is_folder: meta.is_dir(),
            })
        })
        .collect()
}

/// Names in a local folder (empty if it does not exist).
pub fn local_names(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_both_numbers_before_the_extension() {
        let taken: HashSet<String> = ["a.txt", "a (1).txt"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(keep_both_name("a.txt", &taken), "a (2).txt");
        assert_eq!(
            keep_both_name("archive.tar.gz", &HashSet::new()),
            "archive.tar (1).gz"
        );
        assert_eq!(keep_both_name(".bashrc", &HashSet::new()), ".bashrc (1)");
        assert_eq!(keep_both_name("README", &HashSet::new()), "README (1)");
    }

    #[test]
    fn local_download_conflicts_are_found() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("x.bin"), b"old").unwrap();
        let entry = |name: &str| Entry {
            remote: RemoteRef::new(format!("cloudreve://my/{name}")),
            name: name.into(),
            kind: crate::provider::EntryKind::File,
            size: 1,
            created_at: None,
            updated_at: None,
            uploading: false,
            id: None,
            original_location: None,
        };
        let c = plan_download(&[entry("x.bin"), entry("y.bin")], dir.path());
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].name, "x.bin");
        assert_eq!(c[0].keep_both_name, "x (1).bin");
    }
}
