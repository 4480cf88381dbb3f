//! cirrus-sandbox: a local server that speaks the Cloudreve v4 (4.18) HTTP API closely enough
//! that a client written against real Cloudreve works against it unchanged.
//!
//! Start one with [`Sandbox::start`]; the API lives at `base_url() + "/api/v4"`, or at
//! `base_url() + "/api/v3"` with [`Api::V3`] (Cloudreve 3.8.3, see [`v3`]). With
//! [`Api::Pan123`] it speaks the 123pan Open Platform instead (see [`pan123`]): the API host
//! is `base_url()` and the upload host [`Sandbox::pan123_upload_url`].

pub mod app;
pub mod auth;
pub mod binding;
pub mod crypto;
pub mod demo_media;
pub mod envelope;
pub mod faults;
pub mod ids;
pub mod pan123;
pub mod policies;
pub mod policy;
pub mod routes;
pub mod seed;
pub mod seed_versions;
pub mod store;
pub mod tasks;
pub mod timefmt;
pub mod uri;
pub mod v3;
pub mod views;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use rand::RngCore;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::app::{App, Settings};
use crate::crypto::UrlSigner;
use crate::ids::IdCodec;
use crate::policies::{PolicySettings, Registry};
use crate::policy::{LocalDriver, Policy, PolicyKind};
use crate::store::{NodeKind, Store};

/// Which Cloudreve API a sandbox speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Api {
    /// Cloudreve 4 (`/api/v4`, bearer tokens).
    #[default]
    V4,
    /// Cloudreve 3.8.3 (`/api/v3`, cookie session).
    V3,
    /// 123pan Open Platform (`/api/v1`, `/api/v2`, `/upload/v2` on an API host and an
    /// upload host; client-credential access tokens).
    Pan123,
}

impl std::str::FromStr for Api {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "v4" | "4" => Ok(Api::V4),
            "v3" | "3" => Ok(Api::V3),
            "pan123" | "123pan" | "123" => Ok(Api::Pan123),
            _ => Err(format!("unknown API {s:?} (v3|v4|pan123)")),
        }
    }
}

impl std::fmt::Display for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Api::V4 => "v4",
            Api::V3 => "v3",
            Api::Pan123 => "pan123",
        })
    }
}

/// How to run a sandbox.
#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// API served on `base_url()` (v4 by default).
    pub api: Api,
    /// Directory for blobs; `None` → a temp dir owned (and removed) by the [`Sandbox`].
    pub data_dir: Option<PathBuf>,
    /// Port on 127.0.0.1; 0 picks a random free port.
    pub port: u16,
    /// Access-token lifetime (Cloudreve default 3600 s).
    pub access_ttl: Duration,
    /// Refresh-token lifetime (Cloudreve default 14 days).
    pub refresh_ttl: Duration,
    /// Upload-session lifetime (Cloudreve default 86 400 s).
    pub upload_session_ttl: Duration,
    /// Chunk size of the local policy (Cloudreve default 25 MiB).
    pub chunk_size: u64,
    /// `chunk_concurrency` reported by the policy.
    pub chunk_concurrency: u32,
    /// Whether the local policy offers client-side AES-256-CTR encryption.
    pub encryption: bool,
    /// Quota of every user in bytes.
    pub user_quota: u64,
    /// Require a captcha on password login.
    pub login_captcha: bool,
    /// Create the demo users and demo tree.
    pub seed_demo: bool,
    /// Also seed the showcase (photos, PDF, video, a large folder) for the demo user; off by
    /// default so tests see only the small demo tree.
    pub demo_media: bool,
    /// Fault injection of this run (none by default).
    pub faults: faults::FaultConfig,
    /// Artificial delay between background task steps, so progress can be watched.
    pub task_step_delay: Duration,
    /// Storage policy of users and folders without their own (`local` by default). The
    /// chunk size, concurrency and encryption settings above apply to every policy.
    pub policy: PolicyKind,
    /// Folders a recursive search may walk before it stops and reports
    /// `recursion_limit_reached` (Cloudreve's `max_recursive_searched_folder`, 65 535).
    pub max_search_folders: usize,
    /// Versions kept per file when content is replaced (Cloudreve's `version_retention_max`;
    /// 1 = retention off, the default).
    pub max_versions: usize,
    /// A simulated line in front of every listener (round trip per request, one shared
    /// bandwidth budget per direction); off by default.
    pub link: faults::LinkProfile,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            api: Api::V4,
            data_dir: None,
            port: 0,
            access_ttl: Duration::from_secs(3600),
            refresh_ttl: Duration::from_secs(14 * 24 * 3600),
            upload_session_ttl: Duration::from_secs(86_400),
            chunk_size: 26_214_400,
            chunk_concurrency: 1,
            encryption: false,
            user_quota: 1 << 30,
            login_captcha: false,
            seed_demo: true,
            demo_media: false,
            faults: faults::FaultConfig::default(),
            task_step_delay: Duration::ZERO,
            policy: PolicyKind::Local,
            max_search_folders: 65_535,
            max_versions: 1,
            link: faults::LinkProfile::default(),
        }
    }
}

/// Demo credentials seeded when [`SandboxConfig::seed_demo`] is on.
pub mod demo {
    /// E-mail of the demo user.
    pub const EMAIL: &str = "demo@cirrus.local";
    /// Password of the demo user.
    pub const PASSWORD: &str = "cirrus-demo";
    /// E-mail of the demo user with two-factor authentication.
    pub const TOTP_EMAIL: &str = "2fa@cirrus.local";
    /// Password of the 2FA demo user.
    pub const TOTP_PASSWORD: &str = "cirrus-2fa";
    /// Fixed base32 TOTP secret of the 2FA demo user.
    pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

    /// Client id of the demo 123pan developer application (owned by the demo user).
    pub const PAN123_CLIENT_ID: &str = "cirrus-demo-client";
    /// Client secret of the demo 123pan developer application.
    pub const PAN123_CLIENT_SECRET: &str = "cirrus-demo-secret";

    /// Current 6-digit TOTP code for a base32 `secret`.
    pub fn totp_code(secret: &str) -> String {
        crate::auth::totp_code(secret)
    }
}

/// A running sandbox server. Dropping it stops the server.
pub struct Sandbox {
    app: Arc<App>,
    api: Api,
    v3: Option<v3::V3Ref>,
    pan123: Option<pan123::P123>,
    pan123_upload: Option<(String, tokio::task::AbortHandle)>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _tempdir: Option<tempfile::TempDir>,
}

impl Sandbox {
    /// Bind 127.0.0.1:`port`, seed, and serve in the background.
    pub async fn start(config: SandboxConfig) -> anyhow::Result<Sandbox> {
        let (tempdir, data_dir) = match &config.data_dir {
            Some(d) => (None, d.clone()),
            None => {
                let t = tempfile::Builder::new()
                    .prefix("cirrus-sandbox-")
                    .tempdir()?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let driver = LocalDriver::new(data_dir.join("blobs")).context("creating blob dir")?;
        let faults = Arc::new(faults::Faults::new(config.faults.clone()));
        faults.link().set_profile(config.link);
        let policies = Registry::start_with_faults(
            &PolicySettings {
                default_kind: config.policy,
                chunk_size: config.chunk_size,
                chunk_concurrency: config.chunk_concurrency,
                encryption: config.encryption,
            },
            &data_dir,
            faults.clone(),
        )
        .await?;
        let mut jwt_secret = vec![0u8; 32];
        rand::rng().fill_bytes(&mut jwt_secret);
        let app = Arc::new(App {
            store: Mutex::new(Store::default()),
            ids: IdCodec::new(),
            policy: Policy::new(
                1,
                PolicyKind::Local,
                config.chunk_size,
                config.chunk_concurrency,
                config.encryption,
                Box::new(driver),
            ),
            policies,
            signer: UrlSigner::random(),
            jwt_secret,
            site_id: uuid::Uuid::new_v4().to_string(),
            settings: Settings {
                access_ttl: config.access_ttl,
                refresh_ttl: config.refresh_ttl,
                upload_session_ttl: config.upload_session_ttl,
                user_quota: config.user_quota,
                login_captcha: config.login_captcha,
                max_edit_size: 52_428_800,
                entity_url_ttl: Duration::from_secs(3600),
                max_search_folders: config.max_search_folders,
            },
            tasks: tasks::Tasks::new(config.task_step_delay),
            faults,
        });
        app.store().max_versions = config.max_versions;
        let mut demo_uid = None;
        if config.seed_demo {
            let now = Utc::now();
            let demo_id =
                app.store()
                    .add_user(demo::EMAIL, demo::PASSWORD, None, config.user_quota, now);
            app.store().add_user(
                demo::TOTP_EMAIL,
                demo::TOTP_PASSWORD,
                Some(demo::TOTP_SECRET),
                config.user_quota,
                now,
            );
            app.seed_demo_tree(demo_id)?;
            app.seed_demo_versions(demo_id)?;
            if config.demo_media {
                app.seed_demo_media(demo_id)?;
            }
            demo_uid = Some(demo_id);
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
            .await
            .with_context(|| format!("binding 127.0.0.1:{}", config.port))?;
        let addr = listener.local_addr()?;
        app.policies.set_site_url(format!("http://{addr}"));
        // Every request passes the fault layer; connections can be cut via the listener.
        let mut pan = None;
        let mut pan_upload = None;
        let (router, v3) = match config.api {
            // Cloudreve is a Go/Gin server: it routes on the decoded path.
            Api::V4 => (
                binding::go_path::route_decoded(
                    routes::router(app.clone()).layer(faults::FaultLayer::new(app.faults.clone())),
                ),
                None,
            ),
            Api::V3 => {
                let (r, v3) = v3::router(app.clone());
                let layer = faults::FaultLayer::with_classifier(app.faults.clone(), v3::classify);
                (binding::go_path::route_decoded(r.layer(layer)), Some(v3))
            }
            Api::Pan123 => {
                let p = pan123::Pan123::new(app.clone());
                if let Some(uid) = demo_uid {
                    p.add_client(demo::PAN123_CLIENT_ID, demo::PAN123_CLIENT_SECRET, uid);
                }
                p.index_all().await?;
                let (api, up) = pan123::routers(p.clone());
                let upl = policies::listen::bind().await?;
                let up_url = format!("http://{}", upl.local_addr()?);
                p.set_upload_host(up_url.clone());
                let abort = policies::listen::spawn(
                    upl,
                    up,
                    app.faults.clone(),
                    faults::FaultLayer::with_classifier(app.faults.clone(), pan123::classify),
                    "123pan upload host",
                );
                pan_upload = Some((up_url, abort));
                pan = Some(p);
                let layer =
                    faults::FaultLayer::with_classifier(app.faults.clone(), pan123::classify);
                (api.layer(layer), None)
            }
        };
        let router = router.into_make_service_with_connect_info::<faults::ConnHandle>();
        let listener = faults::FaultListener::new(listener, app.faults.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = rx.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("sandbox server error: {e}");
            }
        });
        Ok(Sandbox {
            app,
            api: config.api,
            v3,
            pan123: pan,
            pan123_upload: pan_upload,
            addr,
            shutdown: Some(tx),
            task: Some(task),
            _tempdir: tempdir,
        })
    }

    /// `http://127.0.0.1:PORT` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The API this sandbox speaks.
    pub fn api(&self) -> Api {
        self.api
    }

    /// v3 only: whether a download session serves a single request (the group option
    /// "one-time download"; off by default, as in the default groups).
    pub fn set_one_time_download(&self, on: bool) {
        if let Some(v3) = &self.v3 {
            v3.state().one_time_download = on;
        }
    }

    /// 123pan only: `http://127.0.0.1:PORT` of the upload host (also the download CDN).
    pub fn pan123_upload_url(&self) -> Option<String> {
        self.pan123_upload.as_ref().map(|(u, _)| u.clone())
    }

    /// 123pan only: the server state (knobs, counters, tokens).
    pub fn pan123(&self) -> Option<&pan123::P123> {
        self.pan123.as_ref()
    }

    /// 123pan only: counters (requests and 429s per endpoint, slices, instant uploads).
    pub fn pan123_stats(&self) -> pan123::Stats {
        self.pan123
            .as_ref()
            .map(|p| p.state().stats.clone())
            .unwrap_or_default()
    }

    /// 123pan only: turn the per-endpoint QPS limiter (code 429) on or off (on by default).
    pub fn set_pan123_qps_limit(&self, on: bool) {
        if let Some(p) = &self.pan123 {
            let mut st = p.state();
            st.knobs.qps_enabled = on;
            st.buckets.clear();
        }
    }

    /// 123pan only: lifetime of access tokens issued from now on (30 days by default).
    pub fn set_pan123_token_ttl(&self, ttl: Duration) {
        if let Some(p) = &self.pan123 {
            p.state().knobs.token_ttl = ttl;
        }
    }

    /// 123pan only: lifetime of `download_info` URLs issued from now on (600 s by default).
    pub fn set_pan123_download_ttl(&self, ttl: Duration) {
        if let Some(p) = &self.pan123 {
            p.state().knobs.download_ttl = ttl;
        }
    }

    /// 123pan only: how many times `upload_complete` answers "not yet" before finishing.
    pub fn set_pan123_complete_polls(&self, n: u32) {
        if let Some(p) = &self.pan123 {
            p.state().knobs.complete_polls = n;
        }
    }

    /// 123pan only: `sliceSize` handed out by V2 create from now on (16 MiB by default).
    pub fn set_pan123_slice_size(&self, bytes: u64) {
        if let Some(p) = &self.pan123 {
            p.state().knobs.slice_size = bytes.max(1);
        }
    }

    /// 123pan only: daily download traffic per user (0 = unlimited); beyond it 5113.
    pub fn set_pan123_traffic_quota(&self, bytes: u64) {
        if let Some(p) = &self.pan123 {
            p.state().knobs.traffic_quota = bytes;
        }
    }

    /// 123pan only: register another developer application for user `email`.
    pub fn add_pan123_client(
        &self,
        email: &str,
        client_id: &str,
        secret: &str,
    ) -> anyhow::Result<()> {
        let p = self.pan123.as_ref().context("not a 123pan sandbox")?;
        let uid = self
            .app
            .store()
            .user_by_email(email)
            .map(|u| u.id)
            .with_context(|| format!("no user {email}"))?;
        p.add_client(client_id, secret, uid);
        Ok(())
    }

    /// 123pan only: the public id (int64) of the file or folder at `path` of `email`.
    pub fn pan123_file_id(&self, email: &str, path: &str) -> Option<i64> {
        let store = self.app.store();
        let uid = store.user_by_email(email)?.id;
        let root = store.users[&uid].root;
        let segs: Vec<String> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let id = store.walk(root, &segs).ok()?;
        Some(if id == root { 0 } else { id as i64 })
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Register an extra user (optionally with a base32 TOTP secret).
    pub fn add_user(&self, email: &str, password: &str, totp_secret: Option<&str>) {
        let quota = self.app.settings.user_quota;
        self.app
            .store()
            .add_user(email, password, totp_secret, quota, Utc::now());
    }

    /// Create `count` empty files `file-00001.txt`… under `folder_path` (created if missing).
    pub fn seed_files(&self, email: &str, folder_path: &str, count: usize) {
        let now = Utc::now();
        let mut store = self.app.store();
        let Some(uid) = store.user_by_email(email).map(|u| u.id) else {
            return;
        };
        let root = store.users[&uid].root;
        let segs: Vec<String> = folder_path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let Ok(folder) = store.ensure_folders(uid, root, &segs, now) else {
            return;
        };
        let width = count.to_string().len().max(5);
        for i in 1..=count {
            let name = format!("file-{i:0width$}.txt");
            if store.child(folder, &name).is_none() {
                store.insert_node(uid, folder, &name, NodeKind::File, now);
            }
        }
    }

    /// Replace the fault settings at runtime; counters and seeded sequences restart.
    pub fn set_faults(&self, config: faults::FaultConfig) {
        self.app.faults.set_config(config);
    }

    /// Counters of injected faults since the last [`Sandbox::set_faults`].
    pub fn fault_stats(&self) -> faults::FaultStats {
        self.app.faults.stats()
    }

    /// Simulate a server restart: state is kept, every open connection is cut.
    pub fn restart_connections(&self) {
        self.app.faults.restart_connections();
    }

    /// The shared fault state, for extra listeners that reuse [`faults::FaultLayer`].
    pub fn faults(&self) -> Arc<faults::Faults> {
        self.app.faults.clone()
    }

    /// Change the artificial delay between background task steps.
    pub fn set_task_step_delay(&self, d: Duration) {
        self.app.tasks.set_step_delay(d);
    }

    /// Store a file of `size` deterministic bytes derived from `seed` at `path` (folders are
    /// created) and return the SHA-256 hex of its content, so downloads can be checked.
    pub fn seed_file_with_content(
        &self,
        email: &str,
        path: &str,
        size: u64,
        seed: u64,
    ) -> anyhow::Result<String> {
        let uid = self
            .app
            .store()
            .user_by_email(email)
            .map(|u| u.id)
            .ok_or_else(|| anyhow::anyhow!("no user {email}"))?;
        let hash = self.app.seed_sized_file(uid, path, size, seed)?;
        if let Some(p) = &self.pan123 {
            let data = seed::seeded_bytes(size, seed);
            let mut store = self.app.store();
            let root = store.users[&uid].root;
            let segs: Vec<String> = path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            if let Ok(file) = store.walk(root, &segs) {
                p.index_content(&mut store, file, &data);
            }
        }
        Ok(hash)
    }

    /// Upload sessions that have not completed, been cancelled or expired. On 123pan: V2
    /// uploads holding slices that are not complete (a `preuploadID` nothing was sent to
    /// holds nothing).
    pub fn active_upload_sessions(&self) -> usize {
        let now = Utc::now();
        let pan123 = self.pan123.as_ref().map_or(0, |p| {
            p.state()
                .preuploads
                .values()
                .filter(|u| u.done.is_none() && u.expires > now && !u.received.is_empty())
                .count()
        });
        pan123
            + self
                .app
                .store()
                .uploads
                .values()
                .filter(|s| s.expires_at > now)
                .count()
    }

    /// Expires every unfinished upload session now, as if the client had been away past
    /// their lifetime (123pan has no call that abandons one; the server forgets it).
    pub fn expire_upload_sessions(&self) {
        let past = Utc::now() - chrono::Duration::seconds(1);
        if let Some(p) = &self.pan123 {
            p.state().preuploads.retain(|_, u| u.done.is_some());
        }
        for s in self.app.store().uploads.values_mut() {
            s.expires_at = past;
        }
    }

    /// Chunk bytes the chunk endpoint (local and relay policies) stored per upload session
    /// id, counting every re-sent chunk again. Sessions stay listed after they end.
    pub fn received_chunk_bytes(&self) -> std::collections::HashMap<String, u64> {
        self.app.store().received_chunk_bytes.clone()
    }

    /// OneDrive fragments cut off on the wire of which the drive kept the arrived prefix.
    pub fn onedrive_partial_fragments(&self) -> u64 {
        self.app.policies.onedrive.partial_fragments()
    }

    /// Change the local policy's maximum file size (0 = unlimited) at runtime.
    pub fn set_max_file_size(&self, bytes: u64) {
        self.app.policy.max_size.store(bytes, Ordering::Relaxed);
    }

    /// Policy for users and folders without their own.
    pub fn set_default_policy(&self, kind: PolicyKind) -> anyhow::Result<()> {
        self.app.policies.set_default(kind)
    }

    /// Give the user `email` its own storage policy (as assigning a group would).
    pub fn set_user_policy(&self, email: &str, kind: PolicyKind) -> anyhow::Result<()> {
        let uid = self
            .app
            .store()
            .user_by_email(email)
            .map(|u| u.id)
            .with_context(|| format!("no user {email}"))?;
        self.app.policies.set_user(uid, kind)
    }

    /// Uploads into `folder_path` of `email` (created if missing) and below use `kind`.
    pub fn set_folder_policy(
        &self,
        email: &str,
        folder_path: &str,
        kind: PolicyKind,
    ) -> anyhow::Result<()> {
        let folder = {
            let mut store = self.app.store();
            let uid = store
                .user_by_email(email)
                .map(|u| u.id)
                .with_context(|| format!("no user {email}"))?;
            let root = store.users[&uid].root;
            let segs: Vec<String> = folder_path
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
            store
                .ensure_folders(uid, root, &segs, Utc::now())
                .map_err(|e| anyhow::anyhow!("{}", e.msg))?
        };
        self.app.policies.set_folder(folder, kind)
    }

    /// Change a policy's chunk size (0 = one request) and `chunk_concurrency` at runtime.
    pub fn set_policy_chunking(
        &self,
        kind: PolicyKind,
        chunk_size: u64,
        chunk_concurrency: u32,
    ) -> anyhow::Result<()> {
        let p = self
            .app
            .policy_of_kind(kind)
            .with_context(|| format!("policy {kind} is not available"))?;
        p.chunk_size.store(chunk_size, Ordering::Relaxed);
        p.chunk_concurrency
            .store(chunk_concurrency as u64, Ordering::Relaxed);
        Ok(())
    }

    /// Switch a policy's file encryption on or off at runtime, as Cloudreve's per-policy
    /// setting does: new upload sessions offer client-side encryption (relay policies:
    /// server-side), whatever the policy type. Downloads of encrypted blobs then go through
    /// the content route, which decrypts.
    pub fn set_policy_encryption(&self, kind: PolicyKind, on: bool) -> anyhow::Result<()> {
        let p = self
            .app
            .policy_of_kind(kind)
            .with_context(|| format!("policy {kind} is not available"))?;
        p.encryption.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Policy kinds this sandbox can hand out.
    pub fn available_policies(&self) -> Vec<PolicyKind> {
        self.app.policies.available()
    }

    /// Stop serving and wait for the server task to finish.
    pub async fn shutdown(mut self) {
        self.app.policies.stop();
        if let Some((_, a)) = &self.pan123_upload {
            a.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            // Graceful shutdown waits for open connections; don't hang on idle keep-alives.
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.app.policies.stop();
        if let Some((_, a)) = &self.pan123_upload {
            a.abort();
        }
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
