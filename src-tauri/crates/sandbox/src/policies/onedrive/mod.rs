//! The `onedrive` policy: a Microsoft Graph–style upload-session service on its own listener.
//!
//! The master creates an upload session (the driver's `CreateUploadSession`) and hands its URL
//! to the client as `upload_urls[0]`; the client `PUT`s fragments in order with
//! `Content-Range: bytes a-b/total` (see [`server`]) and then calls
//! `POST /api/v4/callback/onedrive/{session}/{secret}`, where the master checks the stored
//! item's size (`CompleteUpload`). Downloads are pre-authenticated URLs on the same listener,
//! like Graph's `@microsoft.graph.downloadUrl`.
//!
//! A fragment whose body is cut off keeps what arrived, as real OneDrive sometimes does, so
//! `nextExpectedRanges` can start in the middle of a fragment. Under fault injection this
//! happens only with `FaultConfig::drops_reach_handler` (otherwise the fault layer swallows
//! a dropped body before the handler sees any of it).

pub mod server;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::task::AbortHandle;

use super::NewSession;
use crate::app::App;
use crate::crypto::UrlSigner;
use crate::envelope::ApiError;
use crate::faults::{FaultLayer, Faults};
use crate::policy::LocalDriver;

/// Granularity OneDrive wants fragments in (320 KiB).
pub const FRAGMENT_ALIGN: u64 = 320 << 10;

/// Cloudreve's OneDrive driver chunk size when the policy sets none (50 MiB).
pub const DEFAULT_CHUNK: u64 = 50 << 20;

/// The session chunk size for a configured `chunk_size`: the driver default for 0, else
/// rounded up to a multiple of [`FRAGMENT_ALIGN`].
pub fn chunk_size_for(configured: u64) -> u64 {
    if configured == 0 {
        DEFAULT_CHUNK
    } else {
        configured.div_ceil(FRAGMENT_ALIGN) * FRAGMENT_ALIGN
    }
}

/// One upload session on the drive.
#[derive(Debug, Clone)]
pub struct DriveSession {
    /// Item path (the Cloudreve blob key).
    pub blob: String,
    /// Total size, fixed by the first fragment's `Content-Range`.
    pub total: Option<u64>,
    /// Bytes committed so far (the start of the next expected range).
    pub next: u64,
    /// `expirationDateTime`.
    pub expires: DateTime<Utc>,
}

impl DriveSession {
    /// The `nextExpectedRanges` value (`"N-M"` once the total is known, else `"N-"`).
    pub fn next_range(&self) -> String {
        match self.total {
            Some(t) if t > 0 => format!("{}-{}", self.next, t - 1),
            _ => format!("{}-", self.next),
        }
    }

    /// The status object Graph answers with while the session is open.
    pub fn status_json(&self) -> Value {
        json!({
            "expirationDateTime": self.expires.to_rfc3339_opts(SecondsFormat::Millis, true),
            "nextExpectedRanges": [self.next_range()],
        })
    }
}

/// The drive: open upload sessions, completed items and their bytes.
pub struct OneDriveStore {
    base_url: OnceLock<String>,
    signer: UrlSigner,
    sessions: Mutex<HashMap<String, DriveSession>>,
    items: Mutex<HashMap<String, u64>>,
    /// Item bytes, keyed by blob.
    pub blobs: LocalDriver,
    partial_fragments: std::sync::atomic::AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl OneDriveStore {
    /// A drive storing item bytes under `root`.
    pub fn new(root: PathBuf) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            base_url: OnceLock::new(),
            signer: UrlSigner::random(),
            sessions: Mutex::default(),
            items: Mutex::default(),
            blobs: LocalDriver::new(root)?,
            partial_fragments: Default::default(),
        }))
    }

    /// Counts a fragment of which only a prefix arrived (and was kept).
    pub fn note_partial_fragment(&self) {
        self.partial_fragments
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Fragments of which only a prefix arrived and was kept.
    pub fn partial_fragments(&self) -> u64 {
        self.partial_fragments
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `http://127.0.0.1:PORT` of the drive.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or_default()
    }

    /// Open an upload session for `blob`; returns its upload URL.
    pub async fn create_session(
        &self,
        blob: &str,
        expires: DateTime<Utc>,
    ) -> std::io::Result<(String, String)> {
        use crate::policy::StorageDriver;
        // Fragments are written in place; the item only "exists" once complete.
        self.blobs.prepare(blob.to_string(), 0).await?;
        let token = format!(
            "{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        lock(&self.sessions).insert(
            token.clone(),
            DriveSession {
                blob: blob.to_string(),
                total: None,
                next: 0,
                expires,
            },
        );
        let url = format!("{}/rup/{token}", self.base_url());
        Ok((token, url))
    }

    /// A live session by token.
    pub fn session(&self, token: &str) -> Option<DriveSession> {
        lock(&self.sessions)
            .get(token)
            .filter(|s| s.expires > Utc::now())
            .cloned()
    }

    /// Delete an upload session (cancel); true if it existed.
    pub fn delete_session(&self, token: &str) -> bool {
        lock(&self.sessions).remove(token).is_some()
    }

    /// Number of open upload sessions.
    pub fn open_sessions(&self) -> usize {
        lock(&self.sessions).len()
    }

    /// Size of a completed item (`None` while it is still being uploaded or unknown).
    pub fn item_size(&self, blob: &str) -> Option<u64> {
        lock(&self.items).get(blob).copied()
    }

    /// Record bytes seeded or written outside an upload session as a complete item.
    pub fn record_item(&self, blob: &str, size: u64) {
        lock(&self.items).insert(blob.to_string(), size);
    }

    fn download_path(blob: &str) -> String {
        format!("/dl/{blob}")
    }

    /// A pre-authenticated download URL valid until `expires` (Unix seconds).
    pub fn download_url(&self, blob: &str, expires: i64) -> String {
        let path = Self::download_path(blob);
        let sign = self.signer.sign(&path, expires);
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("tempauth", &sign)
            .finish();
        format!("{}{path}?{q}", self.base_url())
    }
}

/// Bind the drive on a random port and serve it under fault injection.
pub async fn serve(store: Arc<OneDriveStore>, faults: Arc<Faults>) -> anyhow::Result<AbortHandle> {
    let listener = super::listen::bind().await?;
    let _ = store
        .base_url
        .set(format!("http://{}", listener.local_addr()?));
    let layer = FaultLayer::with_classifier(faults.clone(), server::classify);
    Ok(super::listen::spawn(
        listener,
        server::router(store),
        faults,
        layer,
        "onedrive",
    ))
}

/// Master side of a new `onedrive` session (the driver's `Token`).
pub async fn begin(app: &Arc<App>, s: &NewSession<'_>) -> Result<Map<String, Value>, ApiError> {
    let od = &app.policies.onedrive;
    let expires = DateTime::from_timestamp(s.expires, 0).unwrap_or_else(Utc::now);
    let (token, url) = od.create_session(s.blob, expires).await.map_err(|e| {
        tracing::warn!("onedrive create session failed: {e}");
        ApiError::untyped()
    })?;
    if let Some(mut p) = app.policies.session(s.session_id) {
        p.upload_id = token;
        app.policies.record_session(s.session_id, p);
    }
    let mut m = Map::new();
    m.insert("upload_urls".into(), json!([url]));
    Ok(m)
}

/// The driver's `CompleteUpload`: the item must exist and have the declared size.
pub fn verify_size(app: &App, blob: &str, size: u64) -> Result<(), ApiError> {
    let Some(actual) = app.policies.onedrive.item_size(blob) else {
        // Graph answers 404 itemNotFound for an unfinished upload; Cloudreve wraps it.
        return Err(ApiError::new(
            -1,
            "failed to get uploaded file size: itemNotFound",
        ));
    };
    if actual != size {
        return Err(ApiError::new(
            40055,
            format!("File size not match, expected: {size}, actual: {actual}"),
        ));
    }
    Ok(())
}

/// The driver's `Source`: the item's pre-authenticated download URL.
pub fn source_url(app: &App, blob: &str, expires: i64) -> String {
    app.policies.onedrive.download_url(blob, expires)
}

/// The master's view of the drive's items: server-side reads, deletes and seeding.
pub struct OneDriveDriver(pub Arc<OneDriveStore>);

impl crate::policy::StorageDriver for OneDriveDriver {
    fn kind(&self) -> &'static str {
        "onedrive"
    }
    fn prepare(
        &self,
        key: String,
        size: u64,
    ) -> futures::future::BoxFuture<'_, std::io::Result<()>> {
        self.0.blobs.prepare(key, size)
    }
    fn write_at(
        &self,
        key: String,
        offset: u64,
        data: bytes::Bytes,
    ) -> futures::future::BoxFuture<'_, std::io::Result<()>> {
        self.0.blobs.write_at(key, offset, data)
    }
    fn put(
        &self,
        key: String,
        data: bytes::Bytes,
    ) -> futures::future::BoxFuture<'_, std::io::Result<()>> {
        Box::pin(async move {
            let n = data.len() as u64;
            self.0.blobs.put(key.clone(), data).await?;
            self.0.record_item(&key, n);
            Ok(())
        })
    }
    fn put_blocking(&self, key: &str, data: &[u8]) -> std::io::Result<()> {
        self.0.blobs.put_blocking(key, data)?;
        self.0.record_item(key, data.len() as u64);
        Ok(())
    }
    fn read_range(
        &self,
        key: String,
        offset: u64,
        len: u64,
    ) -> futures::future::BoxFuture<'_, std::io::Result<crate::policy::ByteStream>> {
        self.0.blobs.read_range(key, offset, len)
    }
    fn delete(&self, key: String) -> futures::future::BoxFuture<'_, std::io::Result<()>> {
        lock(&self.0.items).remove(&key);
        self.0.blobs.delete(key)
    }
}
