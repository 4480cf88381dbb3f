//! Every storage policy besides `local`: which policy an upload gets (per user / per folder,
//! chosen by the server as in Cloudreve), the per-session provider state, and the extra
//! listeners standing in for slave nodes and storage services.
//!
//! Shared handlers call in through a few hooks: [`begin_upload`] when a session is created,
//! [`App::blob_driver`] to reach an entity's bytes, [`source_url`] for direct download URLs.

pub mod blobserve;
pub mod crsign;
pub mod listen;
pub mod onedrive;
pub mod qiniu;
pub mod remote;
pub mod s3;
pub mod upyun;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::{Map, Value};
use tokio::task::AbortHandle;

use crate::app::App;
use crate::envelope::ApiError;
use crate::faults::Faults;
use crate::policy::{LocalDriver, Policy, PolicyKind, StorageDriver, StoreDriver};
use crate::store::{Id, Store};

/// Settings every policy is created with (from `SandboxConfig`).
#[derive(Debug, Clone)]
pub struct PolicySettings {
    /// Policy used when neither the folder nor the user has one.
    pub default_kind: PolicyKind,
    /// Chunk size (0 = one request).
    pub chunk_size: u64,
    /// `chunk_concurrency` reported to clients.
    pub chunk_concurrency: u32,
    /// Encryption for policies that support it (local, remote: client side; relay: server).
    pub encryption: bool,
}

/// Provider state of one upload session of a non-local policy.
#[derive(Debug, Clone, Default)]
pub struct ProviderSession {
    /// Policy the session was created for.
    pub policy_id: u64,
    /// Provider multipart upload id (S3 family) or upload-session token (OneDrive).
    pub upload_id: String,
    /// Blob key of the session (the provider's object key), for aborting on cancel.
    pub blob: String,
}

/// The non-local policies and the services behind them.
pub struct Registry {
    policies: Vec<Policy>,
    default_kind: Mutex<PolicyKind>,
    users: Mutex<HashMap<Id, PolicyKind>>,
    folders: Mutex<HashMap<Id, PolicyKind>>,
    blobs: Mutex<HashMap<String, u64>>,
    sessions: Mutex<HashMap<String, ProviderSession>>,
    site_url: OnceLock<String>,
    /// The slave node behind the `remote` policy.
    pub slave: Arc<remote::SlaveNode>,
    /// The object store behind the S3-family policies.
    pub s3: Arc<s3::S3Store>,
    /// The drive behind the `onedrive` policy.
    pub onedrive: Arc<onedrive::OneDriveStore>,
    /// The Kodo store behind the `qiniu` policy.
    pub qiniu: Arc<qiniu::QiniuStore>,
    /// The USS service behind the `upyun` policy.
    pub upyun: Arc<upyun::UpyunStore>,
    /// Client for master → node / storage calls.
    pub http: reqwest::Client,
    tasks: Mutex<Vec<AbortHandle>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    /// Create the policies and start their listeners (each on a random 127.0.0.1 port),
    /// with fault injection of their own that never fires.
    pub async fn start(settings: &PolicySettings, data_dir: &Path) -> anyhow::Result<Registry> {
        Self::start_with_faults(settings, data_dir, Arc::default()).await
    }

    /// Like [`Registry::start`], with every listener under the sandbox's shared `faults`, so
    /// injected failures, drops and simulated restarts reach storage connections too.
    pub async fn start_with_faults(
        settings: &PolicySettings,
        data_dir: &Path,
        faults: Arc<Faults>,
    ) -> anyhow::Result<Registry> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let mut tasks = Vec::new();
        let slave = remote::SlaveNode::new(data_dir.join("slave"), http.clone())?;
        tasks.push(remote::serve_with_faults(slave.clone(), faults.clone()).await?);
        let s3 = s3::S3Store::new(data_dir.join("s3"), http.clone())?;
        tasks.push(s3::serve_with_faults(s3.clone(), faults.clone()).await?);
        let od = onedrive::OneDriveStore::new(data_dir.join("onedrive"))?;
        tasks.push(onedrive::serve(od.clone(), faults.clone()).await?);
        let qn = qiniu::QiniuStore::new(data_dir.join("qiniu"), http.clone())?;
        tasks.push(qiniu::serve(qn.clone(), faults.clone()).await?);
        let up = upyun::UpyunStore::new(data_dir.join("upyun"), http.clone())?;
        tasks.push(upyun::serve(up.clone(), faults).await?);

        let mut policies = Vec::new();
        let mut next_id = 2u64;
        let mut add = |kind: PolicyKind, encryption: bool, driver: Box<dyn StorageDriver>| {
            policies.push(Policy::new(
                next_id,
                kind,
                settings.chunk_size,
                settings.chunk_concurrency,
                encryption,
                driver,
            ));
            next_id += 1;
        };
        add(
            PolicyKind::Relay,
            settings.encryption,
            Box::new(LocalDriver::new(data_dir.join("relay"))?),
        );
        add(
            PolicyKind::Remote,
            settings.encryption,
            Box::new(StoreDriver::new("remote", slave.clone())),
        );
        // Client-side encryption is offered on local/remote only by default: objects uploaded
        // straight to a provider are served by the provider. Like Cloudreve's per-policy
        // switch, `Sandbox::set_policy_encryption` turns it on for any of them; encrypted
        // blobs are then served (decrypted) by the content route.
        for kind in [
            PolicyKind::S3,
            PolicyKind::Ks3,
            PolicyKind::Cos,
            PolicyKind::Oss,
            PolicyKind::Obs,
        ] {
            add(kind, false, Box::new(s3.driver()?));
        }
        add(
            PolicyKind::OneDrive,
            false,
            Box::new(onedrive::OneDriveDriver(od.clone())),
        );
        add(
            PolicyKind::Qiniu,
            false,
            Box::new(StoreDriver::new("qiniu", qn.clone())),
        );
        add(
            PolicyKind::Upyun,
            false,
            Box::new(StoreDriver::new("upyun", up.clone())),
        );
        let reg = Registry {
            policies,
            default_kind: Mutex::new(settings.default_kind),
            users: Mutex::default(),
            folders: Mutex::default(),
            blobs: Mutex::default(),
            sessions: Mutex::default(),
            site_url: OnceLock::new(),
            slave,
            s3,
            onedrive: od,
            qiniu: qn,
            upyun: up,
            http,
            tasks: Mutex::new(tasks),
        };
        if settings.default_kind != PolicyKind::Local
            && reg.by_kind(settings.default_kind).is_none()
        {
            anyhow::bail!("policy {} is not available", settings.default_kind);
        }
        Ok(reg)
    }

    /// Record the master's base URL (callbacks go there); set once the master is bound.
    pub fn set_site_url(&self, url: String) {
        let _ = self.site_url.set(url);
    }

    /// The master's base URL, e.g. `http://127.0.0.1:5212`.
    pub fn site_url(&self) -> &str {
        self.site_url
            .get()
            .map(String::as_str)
            .unwrap_or("http://127.0.0.1")
    }

    /// Stop every listener.
    pub fn stop(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    /// The non-local policy of `kind`, if this sandbox offers it.
    pub fn by_kind(&self, kind: PolicyKind) -> Option<&Policy> {
        self.policies.iter().find(|p| p.kind == kind)
    }

    /// Kinds selectable right now (including `local`).
    pub fn available(&self) -> Vec<PolicyKind> {
        std::iter::once(PolicyKind::Local)
            .chain(self.policies.iter().map(|p| p.kind))
            .collect()
    }

    fn ensure_available(&self, kind: PolicyKind) -> anyhow::Result<()> {
        if kind == PolicyKind::Local || self.by_kind(kind).is_some() {
            Ok(())
        } else {
            anyhow::bail!("policy {kind} is not available in this sandbox")
        }
    }

    /// Policy for users without their own.
    pub fn set_default(&self, kind: PolicyKind) -> anyhow::Result<()> {
        self.ensure_available(kind)?;
        *lock(&self.default_kind) = kind;
        Ok(())
    }

    /// Give user `uid` its own policy (like assigning a group with that policy).
    pub fn set_user(&self, uid: Id, kind: PolicyKind) -> anyhow::Result<()> {
        self.ensure_available(kind)?;
        lock(&self.users).insert(uid, kind);
        Ok(())
    }

    /// Uploads into `folder` (and below) use `kind`.
    pub fn set_folder(&self, folder: Id, kind: PolicyKind) -> anyhow::Result<()> {
        self.ensure_available(kind)?;
        lock(&self.folders).insert(folder, kind);
        Ok(())
    }

    /// Remember which policy stores `blob`.
    pub fn record_blob(&self, blob: &str, policy_id: u64) {
        lock(&self.blobs).insert(blob.to_string(), policy_id);
    }

    /// The policy id storing `blob` (1 = local when unknown).
    pub fn blob_policy(&self, blob: &str) -> u64 {
        lock(&self.blobs).get(blob).copied().unwrap_or(1)
    }

    /// Attach provider state to an upload session.
    pub fn record_session(&self, session_id: &str, s: ProviderSession) {
        lock(&self.sessions).insert(session_id.to_string(), s);
    }

    /// Provider state of an upload session (`None` for local sessions).
    pub fn session(&self, session_id: &str) -> Option<ProviderSession> {
        lock(&self.sessions).get(session_id).cloned()
    }

    /// Forget a finished or cancelled session.
    pub fn forget_session(&self, session_id: &str) {
        lock(&self.sessions).remove(session_id);
    }

    fn policy_by_id(&self, id: u64) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }
}

impl App {
    /// Policy `id` (1 is the local policy).
    pub fn policy_by_id(&self, id: u64) -> Option<&Policy> {
        if id == self.policy.id {
            Some(&self.policy)
        } else {
            self.policies.policy_by_id(id)
        }
    }

    /// The policy of `kind` (`local` is always there).
    pub fn policy_of_kind(&self, kind: PolicyKind) -> Option<&Policy> {
        if kind == PolicyKind::Local {
            Some(&self.policy)
        } else {
            self.policies.by_kind(kind)
        }
    }

    /// The policy an upload to `parent_segments` (below the user's root) gets: the nearest
    /// folder with a policy, else the user's, else the default.
    pub fn upload_policy(&self, store: &Store, uid: Id, parent_segments: &[String]) -> &Policy {
        let folders = lock(&self.policies.folders);
        let mut cur = store.users.get(&uid).map(|u| u.root);
        let mut chosen = cur.and_then(|c| folders.get(&c).copied());
        for seg in parent_segments {
            cur = cur.and_then(|c| store.child(c, seg));
            match cur {
                Some(c) => {
                    if let Some(k) = folders.get(&c) {
                        chosen = Some(*k);
                    }
                }
                None => break,
            }
        }
        drop(folders);
        let kind = chosen
            .or_else(|| lock(&self.policies.users).get(&uid).copied())
            .unwrap_or_else(|| *lock(&self.policies.default_kind));
        self.policy_of_kind(kind).unwrap_or(&self.policy)
    }

    /// The policy a session was created for.
    pub fn session_policy(&self, session_id: &str) -> &Policy {
        self.policies
            .session(session_id)
            .and_then(|s| self.policy_by_id(s.policy_id))
            .unwrap_or(&self.policy)
    }

    /// The driver holding `blob`.
    pub fn blob_driver(&self, blob: &str) -> &dyn StorageDriver {
        self.policy_by_id(self.policies.blob_policy(blob))
            .unwrap_or(&self.policy)
            .driver
            .as_ref()
    }
}

/// What a new session needs to hand to the provider.
pub struct NewSession<'a> {
    /// Cloudreve upload session id.
    pub session_id: &'a str,
    /// Blob key (the provider's object key / save path).
    pub blob: &'a str,
    /// Plaintext size.
    pub size: u64,
    /// Session chunk size.
    pub chunk_size: u64,
    /// Session expiry (Unix seconds).
    pub expires: i64,
    /// Callback secret of the session.
    pub callback_secret: &'a str,
    /// MIME type declared by the client.
    pub mime_type: &'a str,
}

/// Remember which policy a new session's blob lives on (not needed for the local policy).
pub fn record_session(app: &Arc<App>, policy: &Policy, s: &NewSession<'_>) {
    if policy.kind != PolicyKind::Local {
        app.policies.record_blob(s.blob, policy.id);
        app.policies.record_session(
            s.session_id,
            ProviderSession {
                policy_id: policy.id,
                blob: s.blob.to_string(),
                ..Default::default()
            },
        );
    }
}

/// Prepare the provider side of a new session and return the extra session fields
/// (`upload_urls`, `credential`, `completeURL`, `upload_id`). Chunk-endpoint policies just
/// pre-allocate the blob.
pub async fn begin_upload(
    app: &Arc<App>,
    policy: &Policy,
    s: NewSession<'_>,
) -> Result<Map<String, Value>, ApiError> {
    record_session(app, policy, &s);
    match policy.kind {
        PolicyKind::Local | PolicyKind::Relay => {
            policy
                .driver
                .prepare(s.blob.to_string(), s.size)
                .await
                .map_err(|e| {
                    tracing::warn!("prepare blob failed: {e}");
                    ApiError::io_failed("Failed to create placeholder file")
                })?;
            Ok(Map::new())
        }
        PolicyKind::Remote => remote::begin(app, &s).await,
        PolicyKind::OneDrive => onedrive::begin(app, &s).await,
        PolicyKind::Qiniu => qiniu::begin(app, &s).await,
        PolicyKind::Upyun => upyun::begin(app, &s).await,
        k @ (PolicyKind::S3
        | PolicyKind::Ks3
        | PolicyKind::Cos
        | PolicyKind::Oss
        | PolicyKind::Obs) => s3::begin(app, k, &s).await,
    }
}

/// A direct download URL for an unencrypted blob stored on a non-local policy (the real
/// server hands out provider URLs instead of proxying). `None` → use the content route.
pub fn source_url(
    app: &App,
    blob: &str,
    name: &str,
    download: bool,
    expires: i64,
) -> Option<String> {
    let policy = app.policy_by_id(app.policies.blob_policy(blob))?;
    match policy.kind {
        PolicyKind::Remote => Some(remote::source_url(app, blob, name, download, expires)),
        k if k.is_s3_family() => Some(s3::source_url(app, blob, name, download, expires)),
        PolicyKind::OneDrive => Some(onedrive::source_url(app, blob, expires)),
        PolicyKind::Qiniu => Some(qiniu::source_url(app, blob, name, download, expires)),
        PolicyKind::Upyun => Some(upyun::source_url(app, blob, expires)),
        _ => None,
    }
}

/// Provider-side check before a callback completes a session (object size for S3-family and
/// OneDrive, 40055 on mismatch).
pub async fn verify_stored(app: &Arc<App>, session_id: &str) -> Result<(), ApiError> {
    let kind = app.session_policy(session_id).kind;
    let (blob, size) = {
        let store = app.store();
        let s = store
            .uploads
            .get(session_id)
            .ok_or_else(ApiError::upload_session_expired)?;
        (s.blob.clone(), s.size)
    };
    match kind {
        PolicyKind::S3 | PolicyKind::Ks3 | PolicyKind::Cos => {
            s3::verify_size(app, &blob, size).await
        }
        PolicyKind::OneDrive => onedrive::verify_size(app, &blob, size),
        _ => Ok(()),
    }
}

/// The driver's `CancelToken` for a cancelled session: abort the S3 multipart upload, delete
/// the slave node's session or the OneDrive upload session. Failures are only logged, as
/// Cloudreve does; the provider state is forgotten either way.
pub async fn cancel_upload(app: &Arc<App>, session_id: &str) {
    let Some(p) = app.policies.session(session_id) else {
        return;
    };
    app.policies.forget_session(session_id);
    let Some(policy) = app.policy_by_id(p.policy_id) else {
        return;
    };
    let res = match policy.kind {
        k if k.is_s3_family() && !p.upload_id.is_empty() => {
            s3::abort(app, &p.blob, &p.upload_id).await
        }
        PolicyKind::Remote => remote::cancel(app, session_id).await,
        PolicyKind::OneDrive => {
            app.policies.onedrive.delete_session(&p.upload_id);
            Ok(())
        }
        PolicyKind::Qiniu => {
            app.policies.qiniu.abort(&p.upload_id).await;
            Ok(())
        }
        _ => Ok(()),
    };
    if let Err(e) = res {
        tracing::warn!("cancelling the provider upload of {session_id} failed: {e}");
    }
}
