//! The `remote` policy: a slave node listening on its own port. The master registers each
//! upload session with the node (signed `PUT /api/v4/slave/upload`), hands the client the
//! node's upload URL plus a `Bearer Cr` credential signed over the URL path, and the node
//! calls the master back (`POST /api/v4/callback/remote/{session}/{secret}`, signed with the
//! node key) inside the request carrying the last chunk.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use tokio::task::AbortHandle;

use super::NewSession;
use super::crsign::HmacAuth;
use crate::app::App;
use crate::envelope::ApiError;
use crate::faults::{FaultLayer, Faults};
use crate::policy::LocalDriver;
use crate::uri::escape_segment;

/// Cloudreve's default slave `SignatureTTL` (seconds) for node → master requests.
pub const SIGNATURE_TTL: i64 = 600;

/// Node id reported in slave content URLs.
pub const NODE_ID: u64 = 2;

/// Upload session as the master registers it on the node (subset of `fs.UploadSession`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct WireSession {
    /// Session properties.
    pub Props: WireProps,
    /// Chunk size (0 = one chunk).
    pub ChunkSize: u64,
    /// Master callback URL.
    pub Callback: String,
}

/// `fs.UploadProps` fields the node needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct WireProps {
    /// Upload session id.
    pub UploadSessionID: String,
    /// Plaintext size.
    pub Size: u64,
    /// Where the node stores the blob.
    pub SavePath: String,
    /// Session expiry (RFC 3339).
    pub ExpireAt: String,
}

/// A session the node knows about.
pub struct NodeSession {
    /// What the master sent.
    pub wire: WireSession,
    /// Expiry in Unix seconds.
    pub expires: i64,
    /// Chunk indices received so far.
    pub received: BTreeSet<u64>,
}

/// The slave node: its key, sessions and blob store.
pub struct SlaveNode {
    /// HMAC with the node's slave key (shared with the master).
    pub auth: HmacAuth,
    base_url: OnceLock<String>,
    /// Live upload sessions by id.
    pub sessions: Mutex<HashMap<String, NodeSession>>,
    /// The node's own blob store (its local policy).
    pub blobs: LocalDriver,
    /// Client for callbacks to the master.
    pub http: reqwest::Client,
}

impl SlaveNode {
    /// A node storing blobs under `dir`, with a random slave key.
    pub fn new(dir: PathBuf, http: reqwest::Client) -> std::io::Result<Arc<Self>> {
        let mut key = vec![0u8; 32];
        rand::rng().fill_bytes(&mut key);
        // The real slave key is a printable string; keep it printable.
        let key = URL_SAFE.encode(key);
        Ok(Arc::new(Self {
            auth: HmacAuth::new(key),
            base_url: OnceLock::new(),
            sessions: Mutex::default(),
            blobs: LocalDriver::new(dir)?,
            http,
        }))
    }

    /// `http://127.0.0.1:PORT` of the node.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or_default()
    }

    /// Lock the session table.
    pub fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, NodeSession>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Bind the node on a random port and serve it in the background (no faults).
pub async fn serve(node: Arc<SlaveNode>) -> anyhow::Result<AbortHandle> {
    serve_with_faults(node, Arc::default()).await
}

/// Bind the node on a random port and serve it under `faults`, classified like the master's
/// API (slave chunk uploads are `Chunk`, slave downloads `Download`).
pub async fn serve_with_faults(
    node: Arc<SlaveNode>,
    faults: Arc<Faults>,
) -> anyhow::Result<AbortHandle> {
    let listener = super::listen::bind().await?;
    let _ = node
        .base_url
        .set(format!("http://{}", listener.local_addr()?));
    let router = crate::routes::slave::router(node);
    let layer = FaultLayer::new(faults.clone());
    Ok(super::listen::spawn(
        listener,
        router,
        faults,
        layer,
        "slave node",
    ))
}

/// The remote driver's `CancelToken`: a signed `DELETE /api/v4/slave/upload/{id}` on the node.
pub async fn cancel(app: &App, session_id: &str) -> anyhow::Result<()> {
    let node = &app.policies.slave;
    let path = format!("/api/v4/slave/upload/{session_id}");
    let sign = node.auth.sign(&path, app.now().timestamp() + SIGNATURE_TTL);
    let q: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("sign", &sign)
        .finish();
    let r = app
        .policies
        .http
        .delete(format!("{}{path}?{q}", node.base_url()))
        .send()
        .await?;
    let v: Value = r.json().await?;
    anyhow::ensure!(v["code"].as_i64() == Some(0), "node answered {v}");
    Ok(())
}

/// Master side of a new `remote` session: register it on the node, sign the upload URL.
pub async fn begin(app: &Arc<App>, s: &NewSession<'_>) -> Result<Map<String, Value>, ApiError> {
    let node = &app.policies.slave;
    let callback = format!(
        "{}/api/v4/callback/remote/{}/{}",
        app.policies.site_url(),
        s.session_id,
        s.callback_secret
    );
    let expire_at = chrono::DateTime::from_timestamp(s.expires, 0)
        .unwrap_or_default()
        .to_rfc3339();
    let body = serde_json::to_vec(&json!({
        "session": WireSession {
            Props: WireProps {
                UploadSessionID: s.session_id.to_string(),
                Size: s.size,
                SavePath: s.blob.to_string(),
                ExpireAt: expire_at,
            },
            ChunkSize: s.chunk_size,
            Callback: callback,
        },
        "overwrite": false,
    }))
    .map_err(|_| ApiError::untyped())?;
    let path = "/api/v4/slave/upload";
    let now = app.now().timestamp();
    let cred = node
        .auth
        .credential(path, &HeaderMap::new(), &body, now + SIGNATURE_TTL);
    let resp: Value = app
        .policies
        .http
        .put(format!("{}{path}", node.base_url()))
        .header("Authorization", cred)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .map_err(|e| ApiError::new(50007, format!("Failed to reach slave node: {e}")))?
        .json()
        .await
        .map_err(|_| ApiError::new(50007, "Invalid response from slave node"))?;
    if resp["code"].as_i64() != Some(0) {
        return Err(ApiError::new(
            resp["code"].as_i64().unwrap_or(-1) as i32,
            resp["msg"].as_str().unwrap_or_default(),
        ));
    }
    // GetUploadURL: a POST request to the URL, signed over its path with no headers/body.
    let upload_path = format!("/api/v4/slave/upload/{}", s.session_id);
    let credential = node
        .auth
        .credential(&upload_path, &HeaderMap::new(), b"", s.expires);
    let mut m = Map::new();
    m.insert(
        "upload_urls".into(),
        json!([format!("{}{upload_path}", node.base_url())]),
    );
    m.insert("credential".into(), json!(credential));
    Ok(m)
}

/// Path of a node content URL (`SlaveFileContentUrl`).
pub fn content_path(blob: &str, name: &str) -> String {
    format!(
        "/api/v4/slave/file/content/{NODE_ID}/{}/0/{}",
        URL_SAFE.encode(blob),
        escape_segment(name)
    )
}

/// A signed node content URL for `blob` (the master's `Source` for remote policies).
pub fn source_url(app: &App, blob: &str, name: &str, download: bool, expires: i64) -> String {
    let node = &app.policies.slave;
    let path = content_path(blob, name);
    // SignURI signs the (decoded) path only.
    let decoded = percent_encoding::percent_decode_str(&path).decode_utf8_lossy();
    let sign = node.auth.sign(&decoded, expires);
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if download {
        q.append_pair("download", "true");
    }
    q.append_pair("sign", &sign);
    format!("{}{path}?{}", node.base_url(), q.finish())
}

impl crate::policy::HasBlobs for SlaveNode {
    fn blobs(&self) -> &LocalDriver {
        &self.blobs
    }
}
