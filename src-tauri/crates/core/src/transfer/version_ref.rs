//! A download of one stored version goes through the queue like any other download: the
//! item's remote reference carries the version id after a marker that no provider's reference
//! contains (Cloudreve URIs percent-encode `#`), so the queue's schema stays as it is.

use crate::provider::RemoteRef;

const MARKER: &str = "#cirrus-version=";

/// The queue's remote reference of `version` of `file`.
pub fn join(file: &RemoteRef, version: &str) -> String {
    format!("{}{MARKER}{version}", file.as_str())
}

/// The file and, for a version download, the version id of a queued remote reference.
pub fn split(remote: &str) -> (RemoteRef, Option<String>) {
    match remote.rsplit_once(MARKER) {
        Some((file, version)) => (RemoteRef::new(file.to_string()), Some(version.to_string())),
        None => (RemoteRef::new(remote.to_string()), None),
    }
}

/// The local name of a downloaded version, `name (version id).ext`, so it never takes the
/// place of the current content's copy.
pub fn local_name(name: &str, version: &str) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({version}).{ext}"),
        _ => format!("{name} ({version})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_keep_the_extension() {
        assert_eq!(local_name("Proposal.md", "v1"), "Proposal (v1).md");
        assert_eq!(local_name(".env", "v1"), ".env (v1)");
        assert_eq!(local_name("README", "v1"), "README (v1)");
    }

    #[test]
    fn round_trips() {
        let f = RemoteRef::new("cloudreve://my/a%23b.txt".to_string());
        let joined = join(&f, "xY9");
        assert_eq!(split(&joined), (f.clone(), Some("xY9".to_string())));
        assert_eq!(split(f.as_str()), (f, None));
    }
}
