//! Fallback secret store: a JSON file only the user can read (0600), written atomically.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::error::{Error, Result};

use super::{SecretBackend, SecretStore};

/// Secrets in `<data dir>/secrets.json`, mode 0600.
pub struct FileStore {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileStore {
    /// Use (and create on first write) the file at `path`.
    pub fn open(path: PathBuf) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        Ok(FileStore {
            path,
            lock: Mutex::new(()),
        })
    }

    fn read(&self) -> Result<BTreeMap<String, String>> {
        match std::fs::read(&self.path) {
            Ok(b) if b.is_empty() => Ok(BTreeMap::new()),
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| Error::io(format!("The secrets file is damaged: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e.into()),
        }
    }

    fn write(&self, map: &BTreeMap<String, String>) -> Result<()> {
        let tmp = self.path.with_extension("json.tmp");
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            // The mode above only applies to new files; make sure of it.
            f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        f.write_all(&serde_json::to_vec_pretty(map)?)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &self.path)?;
        Ok(())
    }

    fn key(account: &str, name: &str) -> String {
        format!("{account}/{name}")
    }
}

impl SecretStore for FileStore {
    fn backend(&self) -> SecretBackend {
        SecretBackend::File
    }

    fn get(&self, account: &str, name: &str) -> Result<Option<String>> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.read()?.get(&Self::key(account, name)).cloned())
    }

    fn set(&self, account: &str, name: &str, value: &str) -> Result<()> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut m = self.read()?;
        m.insert(Self::key(account, name), value.to_string());
        self.write(&m)
    }

    fn delete(&self, account: &str, name: &str) -> Result<()> {
        let _g = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut m = self.read()?;
        if m.remove(&Self::key(account, name)).is_some() {
            self.write(&m)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_permissions() {
        let dir = tempfile::tempdir().unwrap();
        let s = FileStore::open(dir.path().join("secrets.json")).unwrap();
        assert_eq!(s.get("a", "tokens").unwrap(), None);
        s.set("a", "tokens", "t1").unwrap();
        s.set("b", "password", "p").unwrap();
        assert_eq!(s.get("a", "tokens").unwrap().as_deref(), Some("t1"));
        s.delete("a", "tokens").unwrap();
        s.delete("a", "tokens").unwrap();
        assert_eq!(s.get("a", "tokens").unwrap(), None);
        assert_eq!(s.get("b", "password").unwrap().as_deref(), Some("p"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secrets.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
