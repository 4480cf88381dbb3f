//! Noticing that a file opened in another app was saved with new content. Polled (a cheap
//! `stat`; the content is hashed only when size or time moved), which works the same on every
//! platform and for editors that save by writing a new file and renaming it over the old one.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// What a local file looked like at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditSnapshot {
    /// Size in bytes.
    pub len: u64,
    /// Modification time.
    pub modified: Option<SystemTime>,
    /// SHA-256 of the content.
    pub digest: [u8; 32],
}

fn hash_file(path: &Path) -> Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("Cannot read {}: {e}", path.display())))?;
    let mut hasher = Sha256::new();
    std::io::copy(&mut file, &mut hasher)
        .map_err(|e| Error::io(format!("Cannot read {}: {e}", path.display())))?;
    Ok(hasher.finalize().into())
}

impl EditSnapshot {
    /// Reads the file's size, time and content hash now.
    pub fn take(path: &Path) -> Result<Self> {
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::io(format!("Cannot read {}: {e}", path.display())))?;
        Ok(Self {
            len: meta.len(),
            modified: meta.modified().ok(),
            digest: hash_file(path)?,
        })
    }
}

/// A local copy and the content it had when it was last in step with the server.
#[derive(Debug)]
pub struct EditWatch {
    path: PathBuf,
    baseline: EditSnapshot,
}

impl EditWatch {
    /// Starts watching `path` from its current content.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let baseline = EditSnapshot::take(&path)?;
        Ok(Self { path, baseline })
    }

    /// The watched file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// True when the file now holds content other than the baseline's. Touching a file
    /// (time changes, content does not) only moves the baseline's time. A file that is gone
    /// for the moment (an editor mid-save) counts as unchanged.
    pub fn changed(&mut self) -> Result<bool> {
        let Ok(meta) = std::fs::metadata(&self.path) else {
            return Ok(false);
        };
        let modified = meta.modified().ok();
        if meta.len() == self.baseline.len && modified == self.baseline.modified {
            return Ok(false);
        }
        let now = EditSnapshot::take(&self.path)?;
        if now.digest == self.baseline.digest {
            self.baseline = now;
            return Ok(false);
        }
        Ok(true)
    }

    /// Takes the current content as the new baseline: after it was uploaded, or after the user
    /// said not to upload it (the same content is not offered twice).
    pub fn settle(&mut self) -> Result<()> {
        self.baseline = EditSnapshot::take(&self.path)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_new_content_counts_as_a_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notes.txt");
        std::fs::write(&path, b"first").unwrap();
        let mut w = EditWatch::new(&path).unwrap();
        assert!(!w.changed().unwrap(), "untouched");
        // Same content written again (a new time): no change, and the time is absorbed.
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        std::fs::write(&path, b"first").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert!(!w.changed().unwrap(), "touched only");
        // New content of the same length.
        std::fs::write(&path, b"fir5t").unwrap();
        assert!(w.changed().unwrap(), "edited");
        assert!(w.changed().unwrap(), "still edited until settled");
        w.settle().unwrap();
        assert!(!w.changed().unwrap(), "settled");
        // Saved by writing a new file and renaming it over the old one.
        let tmp = dir.path().join(".notes.txt.swp");
        std::fs::write(&tmp, b"second version").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert!(w.changed().unwrap(), "replaced by rename");
        // Gone for a moment: not a change.
        std::fs::remove_file(&path).unwrap();
        assert!(!w.changed().unwrap(), "missing");
    }
}
