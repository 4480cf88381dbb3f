//! The `qiniu` policy: a Qiniu Kodo–style resumable upload (v2) service on its own listener.
//!
//! The master writes a put policy into an upload token (`UpToken`), initiates the multipart
//! upload and hands out `upload_urls[0] = {host}/buckets/{bucket}/objects/{b64 key}/uploads/{id}`
//! plus the token as `credential`. The client `PUT`s `{url}/{partNumber}` (answer
//! `{"etag","md5"}`), then `POST`s `{url}` with `{"parts":[{"etag","partNumber"}]}`; the store
//! assembles the object, POSTs the put policy's callback to the master and answers the client
//! with the master's response (or 579 when the callback failed). See [`server`].
//!
//! Simplification: tokens, callback signatures (`QBox ak:sign`) and private download URLs are
//! HMAC-SHA256 where Qiniu uses HMAC-SHA1, and the callback signature also covers the body.

pub mod server;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use tokio::task::AbortHandle;

use super::NewSession;
use crate::app::App;
use crate::envelope::ApiError;
use crate::faults::{FaultLayer, Faults};
use crate::policy::{LocalDriver, StorageDriver};

/// Bucket name in upload URLs and put-policy scopes.
pub const BUCKET: &str = "cirrus";

/// Smallest non-final part Qiniu accepts (1 MiB).
pub const MIN_PART: u64 = 1 << 20;

/// Callback body of Cloudreve's Qiniu driver (`$(fsize)` etc. are magic variables).
pub const CALLBACK_BODY: &str =
    r#"{"size":$(fsize),"pic_info":"$(imageInfo.width),$(imageInfo.height)"}"#;

/// An initiated multipart upload.
#[derive(Debug, Clone)]
pub struct MultipartUpload {
    /// Object key.
    pub key: String,
    /// Uploaded parts: number → etag.
    pub parts: BTreeMap<u64, String>,
}

/// The Kodo store: credentials, multipart uploads and objects.
pub struct QiniuStore {
    /// Access key (first field of tokens and `QBox` signatures).
    pub access_key: String,
    secret_key: Vec<u8>,
    base_url: OnceLock<String>,
    uploads: Mutex<HashMap<String, MultipartUpload>>,
    /// Object bytes and parts, keyed by object key / `{upload}.{part}`.
    pub blobs: LocalDriver,
    http: reqwest::Client,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl QiniuStore {
    /// A store under `root` with random credentials.
    pub fn new(root: PathBuf, http: reqwest::Client) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            access_key: format!("QN{}", uuid::Uuid::new_v4().simple()),
            secret_key: uuid::Uuid::new_v4().as_bytes().to_vec(),
            base_url: OnceLock::new(),
            uploads: Mutex::default(),
            blobs: LocalDriver::new(root)?,
            http,
        }))
    }

    /// `http://127.0.0.1:PORT` of the store.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or_default()
    }

    fn sign(&self, data: &[u8]) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret_key).expect("any key length");
        m.update(data);
        URL_SAFE.encode(m.finalize().into_bytes())
    }

    fn verify(&self, data: &[u8], sign: &str) -> bool {
        let Ok(given) = URL_SAFE.decode(sign) else {
            return false;
        };
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret_key).expect("any key length");
        m.update(data);
        m.verify_slice(&given).is_ok()
    }

    /// `ak:sign:encodedPolicy` for a put policy.
    pub fn upload_token(&self, policy: &Value) -> String {
        let encoded = URL_SAFE.encode(policy.to_string());
        format!(
            "{}:{}:{encoded}",
            self.access_key,
            self.sign(encoded.as_bytes())
        )
    }

    /// The put policy of a valid, unexpired token.
    pub fn check_token(&self, token: &str, now: i64) -> Option<Value> {
        let mut it = token.splitn(3, ':');
        let (ak, sign, encoded) = (it.next()?, it.next()?, it.next()?);
        if ak != self.access_key || !self.verify(encoded.as_bytes(), sign) {
            return None;
        }
        let policy: Value = serde_json::from_slice(&URL_SAFE.decode(encoded).ok()?).ok()?;
        (policy["deadline"].as_i64()? > now).then_some(policy)
    }

    /// `QBox ak:sign` over a callback's path and body.
    pub fn callback_auth(&self, path: &str, body: &[u8]) -> String {
        let data = [path.as_bytes(), b"\n", body].concat();
        format!("QBox {}:{}", self.access_key, self.sign(&data))
    }

    /// The master's `VerifyCallback`.
    pub fn verify_callback(&self, auth: &str, path: &str, body: &[u8]) -> bool {
        let Some((ak, sign)) = auth.strip_prefix("QBox ").and_then(|s| s.split_once(':')) else {
            return false;
        };
        let data = [path.as_bytes(), b"\n", body].concat();
        ak == self.access_key && self.verify(&data, sign)
    }

    /// `InitParts`: a new multipart upload of `key`.
    pub fn init_parts(&self, key: &str) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        lock(&self.uploads).insert(
            id.clone(),
            MultipartUpload {
                key: key.to_string(),
                parts: BTreeMap::new(),
            },
        );
        id
    }

    /// The upload URL of `key` / `upload_id`.
    pub fn upload_url(&self, key: &str, upload_id: &str) -> String {
        format!(
            "{}/buckets/{BUCKET}/objects/{}/uploads/{upload_id}",
            self.base_url(),
            URL_SAFE.encode(key)
        )
    }

    /// Abort an upload and drop its parts (true if it existed).
    pub async fn abort(&self, upload_id: &str) -> bool {
        let Some(u) = lock(&self.uploads).remove(upload_id) else {
            return false;
        };
        for n in u.parts.keys() {
            let _ = self.blobs.delete(part_key(upload_id, *n)).await;
        }
        true
    }

    /// A private download URL (`MakePrivateURL`), optionally with `attname`.
    pub fn private_url(&self, key: &str, attname: Option<&str>, deadline: i64) -> String {
        let mut base = format!("{}/{}", self.base_url(), crate::uri::escape_segment(key));
        if let Some(a) = attname {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("attname", a)
                .finish();
            base = format!("{base}?{q}");
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        let to_sign = format!("{base}{sep}e={deadline}");
        let token = format!("{}:{}", self.access_key, self.sign(to_sign.as_bytes()));
        format!("{to_sign}&token={token}")
    }
}

fn part_key(upload_id: &str, n: u64) -> String {
    format!("{upload_id}.part-{n}")
}

/// Bind the store on a random port and serve it under fault injection.
pub async fn serve(store: Arc<QiniuStore>, faults: Arc<Faults>) -> anyhow::Result<AbortHandle> {
    let listener = super::listen::bind().await?;
    let _ = store
        .base_url
        .set(format!("http://{}", listener.local_addr()?));
    let layer = FaultLayer::with_classifier(faults.clone(), super::listen::classify_storage);
    Ok(super::listen::spawn(
        listener,
        server::router(store),
        faults,
        layer,
        "qiniu",
    ))
}

/// Master side of a new `qiniu` session (the driver's `Token`).
pub async fn begin(app: &Arc<App>, s: &NewSession<'_>) -> Result<Map<String, Value>, ApiError> {
    let st = &app.policies.qiniu;
    let callback = format!(
        "{}/api/v4/callback/qiniu/{}/{}",
        app.policies.site_url(),
        s.session_id,
        s.callback_secret
    );
    let policy = json!({
        "scope": format!("{BUCKET}:{}", s.blob),
        "deadline": s.expires,
        "callbackUrl": callback,
        "callbackBody": CALLBACK_BODY,
        "callbackBodyType": "application/json",
        "saveKey": s.blob,
        "forceSaveKey": true,
        "fsizeLimit": s.size,
    });
    let token = st.upload_token(&policy);
    let upload_id = st.init_parts(s.blob);
    if let Some(mut p) = app.policies.session(s.session_id) {
        p.upload_id = upload_id.clone();
        app.policies.record_session(s.session_id, p);
    }
    let mime = if s.mime_type.is_empty() {
        "application/octet-stream"
    } else {
        s.mime_type
    };
    let mut m = Map::new();
    m.insert("upload_id".into(), json!(upload_id));
    m.insert(
        "upload_urls".into(),
        json!([st.upload_url(s.blob, &upload_id)]),
    );
    m.insert("credential".into(), json!(token));
    m.insert("mime_type".into(), json!(mime));
    Ok(m)
}

/// The driver's `Source`: a private URL on the store.
pub fn source_url(app: &App, blob: &str, name: &str, download: bool, expires: i64) -> String {
    app.policies
        .qiniu
        .private_url(blob, download.then_some(name), expires)
}

impl crate::policy::HasBlobs for QiniuStore {
    fn blobs(&self) -> &LocalDriver {
        &self.blobs
    }
}
