//! The OS credential store via the `keyring` crate.

use crate::error::{Error, ErrorKind, Result};

use super::{SecretBackend, SecretStore};

/// Secrets in the OS credential store, one entry per (account, name).
pub struct KeyringStore {
    service: String,
}

impl KeyringStore {
    /// A store under `service`.
    pub fn new(service: &str) -> Self {
        KeyringStore {
            service: service.to_string(),
        }
    }

    fn entry(&self, account: &str, name: &str) -> Result<keyring::Entry> {
        keyring::Entry::new(&self.service, &format!("{account}/{name}")).map_err(map_err)
    }

    /// Check that the store works: write, read back and delete a probe value.
    pub fn probe(&self) -> Result<()> {
        let e = self.entry("probe", "probe")?;
        e.set_password("ok").map_err(map_err)?;
        let back = e.get_password().map_err(map_err)?;
        let _ = e.delete_credential();
        if back == "ok" {
            Ok(())
        } else {
            Err(Error::io(
                "The credential store did not return what was stored.",
            ))
        }
    }
}

fn map_err(e: keyring::Error) -> Error {
    Error::with_message(ErrorKind::Io, format!("Credential store: {e}"))
}

impl SecretStore for KeyringStore {
    fn backend(&self) -> SecretBackend {
        SecretBackend::Keyring
    }

    fn get(&self, account: &str, name: &str) -> Result<Option<String>> {
        match self.entry(account, name)?.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(map_err(e)),
        }
    }

    fn set(&self, account: &str, name: &str, value: &str) -> Result<()> {
        self.entry(account, name)?
            .set_password(value)
            .map_err(map_err)
    }

    fn delete(&self, account: &str, name: &str) -> Result<()> {
        match self.entry(account, name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_err(e)),
        }
    }
}
