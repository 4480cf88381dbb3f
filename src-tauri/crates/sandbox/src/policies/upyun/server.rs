//! The USS service's HTTP side: the form upload (`POST /{bucket}`) with its notify call to the
//! master, and private downloads (`GET /{key}?_upt=…`). Errors are
//! `{"code": <http>…, "message": "…"}` like Upyun's form API.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use super::{BUCKET, UpyunStore, form};
use crate::faults::FaultTarget;
use crate::policies::blobserve;
use crate::policy::StorageDriver;

type StoreRef = Arc<UpyunStore>;

/// Fault classes: the form upload is a part upload, reads are downloads.
pub fn classify(method: &Method, _path: &str) -> FaultTarget {
    match *method {
        Method::POST => FaultTarget::Part,
        Method::GET => FaultTarget::Download,
        _ => FaultTarget::Other,
    }
}

/// The service's router.
pub fn router(store: StoreRef) -> Router {
    Router::new()
        .route("/{seg}", get(download).head(download).post(upload))
        .fallback(|| async {
            fail(
                StatusCode::NOT_FOUND,
                40400001,
                "file or directory not found",
            )
        })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(store)
}

fn fail(status: StatusCode, code: u64, msg: &str) -> Response {
    (status, axum::Json(json!({"code": code, "message": msg}))).into_response()
}

fn text(f: &std::collections::HashMap<String, Vec<u8>>, k: &str) -> String {
    f.get(k)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_default()
}

/// `POST /{bucket}`: the form upload.
async fn upload(
    State(st): State<StoreRef>,
    Path(bucket): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let Some(fields) = form::boundary(ct).and_then(|b| form::parse(&body, &b)) else {
        return fail(StatusCode::BAD_REQUEST, 40000001, "form data is malformed");
    };
    let policy_b64 = text(&fields, "policy");
    let auth = text(&fields, "authorization");
    if bucket != BUCKET || !st.check(&auth, &["POST", &format!("/{bucket}"), &policy_b64]) {
        return fail(StatusCode::UNAUTHORIZED, 40100005, "signature error");
    }
    let Some(policy) = STANDARD
        .decode(&policy_b64)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return fail(StatusCode::BAD_REQUEST, 40000002, "policy is malformed");
    };
    if policy["expiration"].as_i64().unwrap_or(0) < chrono::Utc::now().timestamp() {
        return fail(
            StatusCode::UNAUTHORIZED,
            40100012,
            "authorization has expired",
        );
    }
    let Some(file) = fields.get("file") else {
        return fail(StatusCode::BAD_REQUEST, 40000003, "file is missing");
    };
    let max = policy["content-length-range"]
        .as_str()
        .and_then(|r| r.split_once(','))
        .and_then(|(_, b)| b.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    if file.len() as u64 > max {
        return fail(StatusCode::BAD_REQUEST, 40000010, "file size is too large");
    }
    let key = policy["save-key"].as_str().unwrap_or_default().to_string();
    if let Err(e) = st.blobs.put(key.clone(), Bytes::from(file.clone())).await {
        tracing::warn!("upyun write failed: {e}");
        return fail(
            StatusCode::INTERNAL_SERVER_ERROR,
            50000000,
            "internal error",
        );
    }
    let mime = fields
        .get("content-type")
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .unwrap_or_else(|| "application/octet-stream".into());
    let time = chrono::Utc::now().timestamp();
    let result = json!({
        "code": 200, "message": "ok", "url": format!("/{key}"), "time": time,
        "mimetype": mime, "file_size": file.len(),
    });
    if let Some(url) = policy["notify-url"].as_str() {
        notify(&st, url, &key, &mime, file.len(), time).await;
    }
    (StatusCode::OK, axum::Json(result)).into_response()
}

/// The notify call: form-encoded result, signed over `POST&path&date&content-md5`.
async fn notify(st: &UpyunStore, url: &str, key: &str, mime: &str, size: usize, time: i64) {
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code", "200")
        .append_pair("message", "ok")
        .append_pair("url", &format!("/{key}"))
        .append_pair("time", &time.to_string())
        .append_pair("mimetype", mime)
        .append_pair("file_size", &size.to_string())
        .finish();
    let path = url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let date = chrono::Utc::now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let md5 = UpyunStore::digest(body.as_bytes());
    let auth = st.sign(&["POST", &path, &date, &md5]);
    let r = st
        .http
        .post(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::DATE, date)
        .header("Content-MD5", md5)
        .header(header::AUTHORIZATION, auth)
        .body(body)
        .send()
        .await;
    if let Err(e) = r {
        tracing::warn!("upyun notify failed: {e}");
    }
}

/// `GET /{key}?_upt=…`: a token-protected download.
async fn download(
    State(st): State<StoreRef>,
    Path(key): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let upt = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "_upt")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let expires: i64 = upt.get(8..).and_then(|e| e.parse().ok()).unwrap_or(0);
    let path = uri.path();
    let valid =
        crate::policies::crsign::constant_time_eq(upt.as_bytes(), st.upt(path, expires).as_bytes());
    if !valid || expires < chrono::Utc::now().timestamp() {
        return fail(StatusCode::FORBIDDEN, 40300011, "token error");
    }
    let Ok(size) = st.blobs.len(&key).await else {
        return fail(
            StatusCode::NOT_FOUND,
            40400001,
            "file or directory not found",
        );
    };
    let resp = blobserve::serve(&st.blobs, &key, size, &headers, None).await;
    if method == Method::HEAD {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}
