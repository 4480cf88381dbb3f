//! The S3 family (`s3`, `ks3`, `cos`, `obs`): a real S3 implementation (`s3s` + `s3s-fs`)
//! on its own listener, verifying SigV4 presigned URLs. The master creates the multipart
//! upload and presigns one `UploadPart` URL per chunk plus the `CompleteMultipartUpload`
//! URL; the client completes the upload itself. S3/KS3/COS clients then call
//! `GET /api/v4/callback/{type}/…`; for OBS the storage posts the callback given in the
//! `x-obs-callback` parameter of the complete URL, as Huawei OBS does.
//!
//! COS as Cloudreve 3.8.3 uses it takes one form `POST` instead (see [`cos_form`]).
//!
//! All variants sign with SigV4 here (real OSS/COS/OBS use their own schemes); what differs
//! per variant is how the upload is completed and who calls back.

pub mod cos_form;
pub mod oss;
pub mod sigv4;

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};
use tokio::task::AbortHandle;

use super::NewSession;
use crate::app::App;
use crate::envelope::ApiError;
use crate::faults::{FaultLayer, Faults};
use crate::policy::{LocalDriver, PolicyKind};
use sigv4::Presigner;

/// Bucket every S3-family policy stores into.
pub const BUCKET: &str = "cirrus";

/// The in-process object store and its credentials.
pub struct S3Store {
    /// Signs URLs for the master and its clients.
    pub presigner: Presigner,
    root: PathBuf,
    base_url: OnceLock<String>,
    service: s3s::service::S3Service,
    http: reqwest::Client,
    /// Key the store signs OSS callbacks with (see [`oss`]).
    oss_key: Vec<u8>,
}

impl S3Store {
    /// A store under `root` with random credentials.
    pub fn new(root: PathBuf, http: reqwest::Client) -> anyhow::Result<Arc<Self>> {
        std::fs::create_dir_all(root.join(BUCKET))?;
        let access_key = format!("CIRRUS{}", uuid::Uuid::new_v4().simple()).to_uppercase();
        let secret_key = uuid::Uuid::new_v4().simple().to_string();
        let fs = s3s_fs::FileSystem::new(&root).map_err(|e| anyhow::anyhow!("s3s-fs: {e:?}"))?;
        let mut b = s3s::service::S3ServiceBuilder::new(fs);
        b.set_auth(s3s::auth::SimpleAuth::from_single(
            access_key.clone(),
            secret_key.clone(),
        ));
        Ok(Arc::new(Self {
            presigner: Presigner {
                access_key,
                secret_key,
                region: "us-east-1".into(),
            },
            root,
            base_url: OnceLock::new(),
            service: b.build(),
            http,
            oss_key: uuid::Uuid::new_v4().as_bytes().to_vec(),
        }))
    }

    /// `http://127.0.0.1:PORT` of the store.
    pub fn base_url(&self) -> &str {
        self.base_url.get().map(String::as_str).unwrap_or_default()
    }

    /// The master's direct view of the bucket (server-side reads and deletes).
    pub fn driver(&self) -> std::io::Result<LocalDriver> {
        LocalDriver::new(self.root.join(BUCKET))
    }

    /// Presign `method` on object `key` for `ttl` seconds.
    pub fn presign(
        &self,
        method: &str,
        key: &str,
        params: &[(&str, String)],
        headers: &[(&str, String)],
        ttl: i64,
    ) -> String {
        self.presigner.presign(
            method,
            self.base_url(),
            &format!("/{BUCKET}/{key}"),
            params,
            headers,
            ttl,
        )
    }
}

impl S3Store {
    /// Whether multipart upload `id` is still open (s3s-fs keeps one info file per upload).
    fn upload_exists(&self, id: &str) -> bool {
        uuid::Uuid::parse_str(id)
            .is_ok_and(|u| self.root.join(format!(".upload-{u}.json")).exists())
    }
}

/// S3's answer for an aborted, completed or unknown upload id. s3s-fs itself says
/// AccessDenied (403) there; clients key their "start over" logic on 404 NoSuchUpload.
fn no_such_upload() -> Response {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchUpload</Code>\
        <Message>The specified upload does not exist. The upload ID may be invalid, or the \
        upload may have been aborted or completed.</Message></Error>";
    (
        StatusCode::NOT_FOUND,
        [(axum::http::header::CONTENT_TYPE, "application/xml")],
        xml,
    )
        .into_response()
}

/// Bind the store on a random port and serve it in the background (no faults).
pub async fn serve(store: Arc<S3Store>) -> anyhow::Result<AbortHandle> {
    serve_with_faults(store, Arc::default()).await
}

/// Bind the store on a random port and serve it under `faults`: part uploads are
/// [`FaultTarget::Part`](crate::faults::FaultTarget::Part), presigned downloads `Download`.
pub async fn serve_with_faults(
    store: Arc<S3Store>,
    faults: Arc<Faults>,
) -> anyhow::Result<AbortHandle> {
    let listener = super::listen::bind().await?;
    let _ = store
        .base_url
        .set(format!("http://{}", listener.local_addr()?));
    let router = Router::new()
        .fallback(entry)
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(store);
    let layer = FaultLayer::with_classifier(faults.clone(), super::listen::classify_storage);
    Ok(super::listen::spawn(listener, router, faults, layer, "s3"))
}

fn query_param(req: &Request, name: &str) -> Option<String> {
    url::form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Every request goes to s3s; a completed multipart upload carrying an OBS or OSS callback
/// policy is followed by the storage's own callback, whose answer becomes the response.
async fn entry(State(st): State<Arc<S3Store>>, req: Request) -> Response {
    if cos_form::is_form_upload(&req) {
        return cos_form::post_object(&st, req).await;
    }
    let completing =
        req.method() == axum::http::Method::POST && query_param(&req, "uploadId").is_some();
    let obs_callback = completing
        .then(|| query_param(&req, "x-obs-callback"))
        .flatten();
    let oss_callback = completing.then(|| oss::callback_of(&req)).flatten();
    let key = req
        .uri()
        .path()
        .trim_start_matches(&format!("/{BUCKET}/"))
        .to_string();
    if let Some(id) = query_param(&req, "uploadId")
        && !st.upload_exists(&id)
    {
        return no_such_upload();
    }
    let req = if completing && oss::wants_complete_all(&req) {
        match oss::fill_complete_all(&st, req, &key).await {
            Ok(r) => r,
            Err(resp) => return resp,
        }
    } else {
        req
    };
    let resp = match st.service.call(req.map(s3s::Body::http_body_unsync)).await {
        Ok(r) => r.map(axum::body::Body::new),
        Err(e) => {
            tracing::warn!("s3 service error: {e:?}");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if !resp.status().is_success() {
        return resp;
    }
    match (obs_callback, oss_callback) {
        (Some(cb), _) => storage_callback(&st, &cb, &key).await,
        (None, Some(cb)) => oss::callback(&st, &cb, &key).await,
        _ => resp,
    }
}

/// POST the callback described by a base64 JSON policy `{callbackUrl, callbackBody,
/// callbackBodyType}`, substituting `${key}`, `${fname}` and `${size}`.
async fn storage_callback(st: &S3Store, policy_b64: &str, key: &str) -> Response {
    let Some(policy) = STANDARD
        .decode(policy_b64)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return (StatusCode::BAD_REQUEST, "invalid callback policy").into_response();
    };
    let size = std::fs::metadata(st.root.join(BUCKET).join(key))
        .map(|m| m.len())
        .unwrap_or(0);
    let body = policy["callbackBody"]
        .as_str()
        .unwrap_or_default()
        .replace("${key}", &serde_json::to_string(key).unwrap_or_default())
        .replace("${fname}", &serde_json::to_string(key).unwrap_or_default())
        .replace("${size}", &size.to_string());
    let url = policy["callbackUrl"].as_str().unwrap_or_default();
    let ctype = policy["callbackBodyType"]
        .as_str()
        .unwrap_or("application/json")
        .to_string();
    deliver_callback(st, url, &[("content-type", ctype)], body).await
}

/// POST a storage callback to the master and turn its answer into the completion response:
/// 200 with the master's body, or 203 when the callback failed (the object stays stored).
async fn deliver_callback(
    st: &S3Store,
    url: &str,
    headers: &[(&str, String)],
    body: String,
) -> Response {
    let mut req = st.http.post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    match req.send().await {
        Ok(r) => {
            let status = r.status();
            let bytes = r.bytes().await.unwrap_or_default();
            if status.is_success() {
                (StatusCode::OK, bytes).into_response()
            } else {
                (StatusCode::NON_AUTHORITATIVE_INFORMATION, bytes).into_response()
            }
        }
        Err(_) => (StatusCode::NON_AUTHORITATIVE_INFORMATION, "callback failed").into_response(),
    }
}

fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let a = xml.find(&open)? + open.len();
    let b = xml[a..].find(&format!("</{tag}>"))? + a;
    Some(xml[a..b].to_string())
}

/// Master side of a new S3-family session (the driver's `Token`).
pub async fn begin(
    app: &Arc<App>,
    kind: PolicyKind,
    s: &NewSession<'_>,
) -> Result<Map<String, Value>, ApiError> {
    let st = &app.policies.s3;
    let ttl = (s.expires - app.now().timestamp()).max(1);
    let mime = if s.mime_type.is_empty() {
        "application/octet-stream".to_string()
    } else {
        s.mime_type.to_string()
    };
    let create = st.presign("POST", s.blob, &[("uploads", String::new())], &[], 300);
    let xml = app
        .policies
        .http
        .post(create)
        .header("Content-Type", mime)
        .send()
        .await
        .map_err(|_| ApiError::untyped())?
        .text()
        .await
        .unwrap_or_default();
    let upload_id = xml_value(&xml, "UploadId").ok_or_else(|| {
        tracing::warn!("CreateMultipartUpload failed: {xml}");
        ApiError::new(-1, "failed to create multipart upload")
    })?;
    let parts: Vec<u64> = if s.size == 0 {
        vec![0]
    } else {
        (0..s.size.div_ceil(s.chunk_size))
            .map(|i| s.chunk_size.min(s.size - i * s.chunk_size))
            .collect()
    };
    let urls: Vec<String> = parts
        .iter()
        .enumerate()
        .map(|(i, len)| {
            st.presign(
                "PUT",
                s.blob,
                &[
                    ("partNumber", (i + 1).to_string()),
                    ("uploadId", upload_id.clone()),
                ],
                &part_headers(kind, *len),
                ttl,
            )
        })
        .collect();
    let mut complete_params = vec![("uploadId", upload_id.clone())];
    if kind == PolicyKind::Obs {
        let cb = json!({
            "callbackUrl": format!(
                "{}/api/v4/callback/obs/{}/{}",
                app.policies.site_url(),
                s.session_id,
                s.callback_secret
            ),
            "callbackBody": r#"{"name":${key},"source_name":${fname},"size":${size}}"#,
            "callbackBodyType": "application/json",
        });
        complete_params.push(("x-obs-callback", STANDARD.encode(cb.to_string())));
    }
    let mut complete_headers = Vec::new();
    if kind == PolicyKind::Oss {
        let url = format!(
            "{}/api/v4/callback/oss/{}/{}",
            app.policies.site_url(),
            s.session_id,
            s.callback_secret
        );
        complete_params.push(("callback", oss::callback_param(&url)));
        complete_headers = oss::complete_headers();
    }
    let complete = st.presign("POST", s.blob, &complete_params, &complete_headers, ttl);
    if let Some(mut p) = app.policies.session(s.session_id) {
        p.upload_id = upload_id.clone();
        app.policies.record_session(s.session_id, p);
    }
    let mut m = Map::new();
    m.insert("upload_id".into(), json!(upload_id));
    m.insert("upload_urls".into(), json!(urls));
    m.insert("completeURL".into(), json!(complete));
    Ok(m)
}

/// Headers signed into a part URL. Part lengths are signed like the SDK's ContentLength (an
/// empty part's length cannot be misdeclared and clients often omit the header); the OSS
/// driver also signs the content type.
fn part_headers(kind: PolicyKind, len: u64) -> Vec<(&'static str, String)> {
    let mut h = Vec::new();
    if len > 0 {
        h.push(("content-length", len.to_string()));
    }
    if kind == PolicyKind::Oss {
        h.push(("content-type", "application/octet-stream".to_string()));
    }
    h
}

/// The S3 driver's `CompleteUpload`: the stored object must have the declared size.
pub async fn verify_size(app: &App, blob: &str, size: u64) -> Result<(), ApiError> {
    let url = app.policies.s3.presign("HEAD", blob, &[], &[], 300);
    let r = app
        .policies
        .http
        .head(url)
        .send()
        .await
        .map_err(|_| ApiError::untyped())?;
    if !r.status().is_success() {
        return Err(ApiError::untyped());
    }
    let actual: u64 = r
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if actual != size {
        return Err(ApiError::new(
            40055,
            format!("File size not match, expected: {size}, actual: {actual}"),
        ));
    }
    Ok(())
}

/// Presigned GET for downloads (the driver's `Source`).
pub fn source_url(app: &App, blob: &str, name: &str, download: bool, expires: i64) -> String {
    let mut params = Vec::new();
    if download {
        let e = crate::uri::escape_segment(name);
        params.push((
            "response-content-disposition",
            format!("attachment; filename=\"{e}\"; filename*=UTF-8''{e}"),
        ));
    }
    let ttl = (expires - app.now().timestamp()).max(1);
    app.policies.s3.presign("GET", blob, &params, &[], ttl)
}

/// The driver's `CancelToken`: `AbortMultipartUpload`, so the parts are dropped.
pub async fn abort(app: &App, blob: &str, upload_id: &str) -> anyhow::Result<()> {
    let url = app.policies.s3.presign(
        "DELETE",
        blob,
        &[("uploadId", upload_id.to_string())],
        &[],
        300,
    );
    let r = app.policies.http.delete(url).send().await?;
    anyhow::ensure!(r.status().is_success(), "abort answered {}", r.status());
    Ok(())
}
