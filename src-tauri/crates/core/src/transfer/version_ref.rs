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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let f = RemoteRef::new("cloudreve://my/a%23b.txt".to_string());
        let joined = join(&f, "xY9");
        assert_eq!(split(&joined), (f.clone(), Some("xY9".to_string())));
        assert_eq!(split(f.as_str()), (f, None));
    }
}
