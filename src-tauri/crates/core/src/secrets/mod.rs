//! Where secrets (refresh/access tokens, an opted-in password) live: the OS credential store
//! through `keyring` (Secret Service on Linux), or, where none exists, a 0600 file in the
//! data dir — and we say so. Never SQLite, never logs.

mod file_store;
mod keyring_store;

pub use file_store::FileStore;
pub use keyring_store::KeyringStore;

use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

use crate::error::Result;

/// Name of the token secret of an account.
pub const TOKENS: &str = "tokens";
/// Name of the remembered password of an account.
pub const PASSWORD: &str = "password";

/// A place to keep per-account secrets.
pub trait SecretStore: Send + Sync {
    /// Which backend this is.
    fn backend(&self) -> SecretBackend;
    /// Read a secret.
    fn get(&self, account: &str, name: &str) -> Result<Option<String>>;
    /// Write a secret.
    fn set(&self, account: &str, name: &str, value: &str) -> Result<()>;
    /// Remove a secret (absent is fine).
    fn delete(&self, account: &str, name: &str) -> Result<()>;
}

/// Secret store backends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SecretBackend {
    /// The OS credential store (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// A file readable only by the user.
    File,
}

/// Which store is in use, and why a fallback happened.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretStoreInfo {
    /// Backend in use.
    pub backend: SecretBackend,
    /// Why the OS credential store was not used (None when it is, or the file was requested).
    pub fallback_reason: Option<String>,
}

/// Open the secret store: `CIRRUS_SECRET_STORE=file|keyring` forces one; otherwise the OS
/// credential store when it works, else the 0600 file with a reason.
pub fn open_secret_store(data_dir: &Path) -> Result<(Arc<dyn SecretStore>, SecretStoreInfo)> {
    let forced = std::env::var("CIRRUS_SECRET_STORE")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let file = || -> Result<Arc<dyn SecretStore>> {
        Ok(Arc::new(FileStore::open(data_dir.join("secrets.json"))?))
    };
    match forced.as_str() {
        "file" => Ok((
            file()?,
            SecretStoreInfo {
                backend: SecretBackend::File,
                fallback_reason: None,
            },
        )),
        "keyring" => {
            let k = KeyringStore::new(&keyring_service(data_dir));
            k.probe()?;
            Ok((
                Arc::new(k),
                SecretStoreInfo {
                    backend: SecretBackend::Keyring,
                    fallback_reason: None,
                },
            ))
        }
        _ => {
            let k = KeyringStore::new(&keyring_service(data_dir));
            match k.probe() {
                Ok(()) => Ok((
                    Arc::new(k),
                    SecretStoreInfo {
                        backend: SecretBackend::Keyring,
                        fallback_reason: None,
                    },
                )),
                Err(e) => {
                    tracing::warn!(
                        "OS credential store unavailable, using a private file instead: {}",
                        e.message()
                    );
                    Ok((
                        file()?,
                        SecretStoreInfo {
                            backend: SecretBackend::File,
                            fallback_reason: Some(format!(
                                "No usable OS credential store ({}); secrets are kept in {} (readable only by you).",
                                e.message(),
                                data_dir.join("secrets.json").display()
                            )),
                        },
                    ))
                }
            }
        }
    }
}

/// The keyring service name. Separate data dirs (tests, portable installs) get separate
/// namespaces so they never see each other's secrets.
fn keyring_service(data_dir: &Path) -> String {
    match directories::ProjectDirs::from("", "", "cirrus") {
        Some(p) if p.data_dir() == data_dir => "cirrus".to_string(),
        _ => format!("cirrus:{}", data_dir.display()),
    }
}
