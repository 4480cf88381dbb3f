//! What the shell keeps between commands: the core facade, the transfer hub, listing windows,
//! settings, and local paths the user handed over (dialogs, drops) — paths never go to the UI.

use cirrus_core::Cirrus;
use cirrus_core::listing_window::ListingCache;
use cirrus_core::provider::{Provider, RemoteRef};
use cirrus_core::settings::Settings;
use cirrus_core::task_view::TaskWatch;
use cirrus_core::transfer::EngineConfig;
use cirrus_core::transfer_hub::TransferHub;
use cirrus_sandbox::Sandbox;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::CmdResult;
use crate::launch::LaunchFiles;
use serde::{Deserialize, Serialize};

/// An upload the user picked or dropped, waiting for the conflict answer.
pub struct UploadPlan {
    /// The account to upload to.
    pub account_id: String,
    /// The remote folder to upload into.
    pub parent: RemoteRef,
    /// Local files and folders, as the OS gave them.
    pub paths: Vec<PathBuf>,
    /// Names that already exist at the destination, keyed by local path.
    pub conflicts: HashMap<PathBuf, String>,
}

/// Managed state of the app.
pub struct AppState {
    /// Accounts, sessions and providers.
    pub cirrus: Arc<Cirrus>,
    /// Transfers of every account.
    pub hub: Arc<TransferHub>,
    /// Row windows of listings the UI is scrolling.
    pub listings: tokio::sync::Mutex<ListingCache>,
    /// The user's preferences.
    pub settings: Mutex<Settings>,
    /// Paths of the last OS drop onto the window.
    pub dropped: Mutex<Vec<PathBuf>>,
    /// Upload plans by id.
    pub plans: Mutex<HashMap<String, UploadPlan>>,
    /// The in-process demo server, once started.
    pub sandbox: tokio::sync::Mutex<Option<Sandbox>>,
    /// Server tasks seen running, to announce their end while the window is hidden.
    pub task_watch: Mutex<TaskWatch>,
    /// Files Cirrus was opened with ("Upload with Cirrus"), waiting for a destination.
    pub launch: Mutex<LaunchFiles>,
    /// The login autostart entry this user's session reads (`None` without a home folder).
    pub autostart_entry: Option<PathBuf>,
}

/// The folder the last upload went to, so the next "Upload with Cirrus" offers it first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LastFolder {
    /// The account uploaded to.
    pub account_id: String,
    /// The remote folder.
    pub uri: String,
}

/// Locks a std mutex, recovering the data if a panicking thread poisoned it.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl AppState {
    /// Opens the core in `data_dir` and applies the saved settings to the transfer hub.
    pub fn open(data_dir: PathBuf) -> CmdResult<Self> {
        let cirrus = Arc::new(Cirrus::open(data_dir)?);
        let settings = Settings::load(cirrus.data_dir())?;
        let config = EngineConfig {
            parallel_files: settings.parallel_transfers as usize,
            upload_limit: kbps_to_bytes(settings.upload_limit_kbps),
            download_limit: kbps_to_bytes(settings.download_limit_kbps),
            ..EngineConfig::default()
        };
        let hub = Arc::new(TransferHub::new(cirrus.clone(), config));
        Ok(AppState {
            cirrus,
            hub,
            listings: Default::default(),
            settings: Mutex::new(settings),
            dropped: Mutex::new(Vec::new()),
            plans: Mutex::new(HashMap::new()),
            sandbox: Default::default(),
            task_watch: Default::default(),
            launch: Default::default(),
            autostart_entry: crate::autostart::default_path(),
        })
    }

    fn last_folder_path(&self) -> PathBuf {
        self.cirrus.data_dir().join("last-upload-folder.json")
    }

    /// The folder the last upload went to, if it was recorded.
    pub fn last_upload_folder(&self) -> Option<LastFolder> {
        let bytes = std::fs::read(self.last_folder_path()).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Records where an upload went. Failing to record it only loses a default, so it is
    /// logged rather than reported.
    pub fn remember_upload_folder(&self, folder: &LastFolder) {
        let written = serde_json::to_vec(folder)
            .map_err(std::io::Error::other)
            .and_then(|json| std::fs::write(self.last_folder_path(), json));
        if let Err(e) = written {
            tracing::debug!("last upload folder not saved: {e}");
        }
    }

    /// The signed-in provider of an account.
    pub async fn provider(&self, account_id: &str) -> CmdResult<Arc<dyn Provider>> {
        Ok(self.cirrus.provider(account_id).await?)
    }

    /// Forgets cached listings of an account after a change to its files.
    pub async fn invalidate(&self, account_id: &str) {
        self.listings.lock().await.invalidate_account(account_id);
    }

    /// At start: transfers left unfinished by the last run (quit, crash, logout) carry on.
    /// Accounts that cannot sign in yet are logged and left for later.
    pub async fn resume_transfers(&self) {
        for (account, err) in self.hub.resume_unfinished().await {
            tracing::warn!(
                "transfers of account {account} cannot resume yet: {}",
                err.message()
            );
        }
    }

    /// A snapshot of the settings.
    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }
}

/// KiB/s (None = unlimited) to the engine's bytes/s (0 = unlimited).
pub fn kbps_to_bytes(kbps: Option<u64>) -> u64 {
    kbps.map(|k| k.saturating_mul(1024)).unwrap_or(0)
}
