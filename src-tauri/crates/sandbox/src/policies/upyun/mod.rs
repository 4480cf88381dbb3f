//! The `upyun` policy: an Upyun USS–style form API on its own listener.
//!
//! The master hands out `upload_urls[0] = {api}/{bucket}`, the base64 form policy as
//! `upload_policy` and `UPYUN operator:signature` over `POST&/{bucket}&{policy}` as
//! `credential`. The client POSTs one `multipart/form-data` request (`policy`,
//! `authorization`, optional `content-type`, `file` last); the store saves the object, POSTs
//! the policy's `notify-url` (`/api/v4/callback/upyun/{session}/{secret}`, form-encoded,
//! signed over `POST&path&date&content-md5`) and answers the client with its own upload
//! result. See [`server`].
//!
//! Simplifications: signatures are HMAC-SHA256 (Upyun: HMAC-SHA1 keyed with the MD5 of the
//! password), the `Content-MD5` header carries a hex SHA-256 of the body, and the notify call
//! is made before the upload is answered (Upyun sends it asynchronously) so completion is
//! deterministic.

pub mod form;
pub mod server;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::task::AbortHandle;

use super::NewSession;
use crate::app::App;
use crate::envelope::ApiError;
use crate::faults::{FaultLayer, Faults};
use crate::policy::LocalDriver;

/// Bucket (service) name.
pub const BUCKET: &str = "cirrus";

/// The USS service: operator credentials and objects.
pub struct UpyunStore {
    /// Operator name (first field of `UPYUN op:sig`).
    pub operator: String,
    password: Vec<u8>,
    base_url: OnceLock<String>,
    /// Object bytes by key.
    pub blobs: LocalDriver,
    http: reqwest::Client,
}

impl UpyunStore {
    /// A service storing objects under `root`, with random credentials.
    pub fn new(root: PathBuf, http: reqwest::Client) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            operator: format!("op{}", uuid::Uuid::new_v4().simple()),
            password: uuid::Uuid::new_v4().as_bytes().to_vec(),
            base_url: OnceLock::new(),
            blobs: LocalDriver::new(root)?,
            http,
        }))
    }

    /// `http://127.0.0.1:PORT` of the service.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or_default()
    }

    fn mac(&self, data: &str) -> Hmac<Sha256> {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.password).expect("any key length");
        m.update(data.as_bytes());
        m
    }

    /// `UPYUN operator:signature` over `elements` joined with `&`.
    pub fn sign(&self, elements: &[&str]) -> String {
        let sig = self.mac(&elements.join("&")).finalize().into_bytes();
        format!("UPYUN {}:{}", self.operator, STANDARD.encode(sig))
    }

    /// Constant-time check of an `UPYUN operator:signature` value.
    pub fn check(&self, auth: &str, elements: &[&str]) -> bool {
        let Some((op, sig)) = auth.strip_prefix("UPYUN ").and_then(|s| s.split_once(':')) else {
            return false;
        };
        let Ok(sig) = STANDARD.decode(sig) else {
            return false;
        };
        op == self.operator && self.mac(&elements.join("&")).verify_slice(&sig).is_ok()
    }

    /// The body digest sent as `Content-MD5` (hex SHA-256 here, see the module docs).
    pub fn digest(body: &[u8]) -> String {
        Sha256::digest(body)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// A private download URL with an `_upt` token valid until `expires`.
    pub fn download_url(&self, key: &str, expires: i64) -> String {
        let path = format!("/{}", crate::uri::escape_segment(key));
        format!(
            "{}{path}?_upt={}",
            self.base_url(),
            self.upt(&path, expires)
        )
    }

    fn upt(&self, path: &str, expires: i64) -> String {
        let sig = self
            .mac(&format!("{expires}&{path}"))
            .finalize()
            .into_bytes();
        let hex: String = sig[..4].iter().map(|b| format!("{b:02x}")).collect();
        format!("{hex}{expires}")
    }
}

/// Bind the service on a random port and serve it under fault injection (form uploads are
/// `Part`, downloads `Download`).
pub async fn serve(store: Arc<UpyunStore>, faults: Arc<Faults>) -> anyhow::Result<AbortHandle> {
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
        "upyun",
    ))
}

/// Master side of a new `upyun` session (the driver's `Token`).
pub async fn begin(app: &Arc<App>, s: &NewSession<'_>) -> Result<Map<String, Value>, ApiError> {
    let st = &app.policies.upyun;
    let notify = format!(
        "{}/api/v4/callback/upyun/{}/{}",
        app.policies.site_url(),
        s.session_id,
        s.callback_secret
    );
    let policy = json!({
        "bucket": BUCKET,
        "save-key": s.blob,
        "expiration": s.expires,
        "notify-url": notify,
        "content-length": s.size,
        "content-length-range": format!("0,{}", s.size),
    });
    let encoded = STANDARD.encode(policy.to_string());
    let credential = st.sign(&["POST", &format!("/{BUCKET}"), &encoded]);
    let mime = if s.mime_type.is_empty() {
        "application/octet-stream"
    } else {
        s.mime_type
    };
    let mut m = Map::new();
    m.insert(
        "upload_urls".into(),
        json!([format!("{}/{BUCKET}", st.base_url())]),
    );
    m.insert("upload_policy".into(), json!(encoded));
    m.insert("credential".into(), json!(credential));
    m.insert("mime_type".into(), json!(mime));
    Ok(m)
}

/// The driver's `Source`: a private URL with an `_upt` token.
pub fn source_url(app: &App, blob: &str, expires: i64) -> String {
    app.policies.upyun.download_url(blob, expires)
}

/// The master's `UpyunCallbackAuth`: body digest, then the signature over
/// `POST&path&date&content-md5`.
pub fn verify_callback(
    st: &UpyunStore,
    path: &str,
    headers: &http::HeaderMap,
    body: &[u8],
) -> bool {
    let get = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let md5 = get("content-md5");
    md5 == UpyunStore::digest(body)
        && st.check(get("authorization"), &["POST", path, get("date"), md5])
}

impl crate::policy::HasBlobs for UpyunStore {
    fn blobs(&self) -> &LocalDriver {
        &self.blobs
    }
}
