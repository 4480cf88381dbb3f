//! Shared server state handed to every handler.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::crypto::UrlSigner;
use crate::ids::{IdCodec, Kind};
use crate::policy::Policy;
use crate::store::Store;

/// Settings that stay fixed while the server runs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub upload_session_ttl: Duration,
    pub user_quota: u64,
    pub login_captcha: bool,
    /// Largest body accepted by `PUT /file/content` (Cloudreve's `maxEditSize`).
    pub max_edit_size: u64,
    /// Validity of signed content URLs.
    pub entity_url_ttl: Duration,
    /// Folder budget of a recursive search (`max_recursive_searched_folder`).
    pub max_search_folders: usize,
}

/// Everything a handler needs.
pub struct App {
    pub store: Mutex<Store>,
    pub ids: IdCodec,
    pub policy: Policy,
    /// Every other storage policy, their assignments and listeners.
    pub policies: crate::policies::Registry,
    pub signer: UrlSigner,
    pub jwt_secret: Vec<u8>,
    /// Stands in for Cloudreve's site id in refresh-token state hashes.
    pub site_id: String,
    pub settings: Settings,
    /// Background tasks (archive, extract, remote download).
    pub tasks: crate::tasks::Tasks,
    /// Fault injection shared by every listener of this sandbox.
    pub faults: Arc<crate::faults::Faults>,
}

/// Cheaply clonable handle used as axum state.
pub type AppRef = Arc<App>;

impl App {
    /// Lock the metadata store. A poisoned lock only means a handler panicked; the data is
    /// still consistent enough for a test server, so keep going.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Current time.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    /// Hashid of the (only) storage policy.
    pub fn policy_json(&self) -> serde_json::Value {
        self.policy
            .to_json(self.ids.encode(Kind::Policy, self.policy.id))
    }

    /// Delete unreferenced blobs in the background.
    pub fn collect_garbage(self: &Arc<Self>, blobs: Vec<String>) {
        if blobs.is_empty() {
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            for b in blobs {
                if let Err(e) = app.blob_driver(&b).delete(b.clone()).await {
                    tracing::warn!("failed to delete blob {b}: {e}");
                }
            }
        });
    }
}
