//! The Kodo store's HTTP side: resumable-upload v2 parts, completion (followed by the put
//! policy's callback to the master), abort, and private downloads. Errors are
//! `{"error": "…"}` with Qiniu's statuses (401 bad token, 612 no such upload, 579 callback
//! failed).

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use futures::TryStreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{BUCKET, MIN_PART, QiniuStore, lock, part_key};
use crate::policies::blobserve;
use crate::policy::StorageDriver;

type StoreRef = Arc<QiniuStore>;

/// The store's router.
pub fn router(store: StoreRef) -> Router {
    Router::new()
        .route(
            "/buckets/{bucket}/objects/{key}/uploads/{id}",
            put(|| async { error(StatusCode::METHOD_NOT_ALLOWED, "method not allowed") })
                .post(complete)
                .delete(abort),
        )
        .route(
            "/buckets/{bucket}/objects/{key}/uploads/{id}/{part}",
            put(upload_part),
        )
        .route("/{key}", get(download).head(download))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such entry") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(store)
}

fn error(status: StatusCode, msg: &str) -> Response {
    (status, axum::Json(json!({ "error": msg }))).into_response()
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST)
}

/// `UpToken` check: valid signature, not expired, scope naming this object. Returns the put
/// policy and the object key.
fn authorize(
    st: &QiniuStore,
    headers: &HeaderMap,
    bucket: &str,
    encoded_key: &str,
) -> Result<(Value, String), (StatusCode, &'static str)> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("UpToken "))
        .ok_or((StatusCode::UNAUTHORIZED, "bad token"))?;
    let policy = st
        .check_token(token, chrono::Utc::now().timestamp())
        .ok_or((StatusCode::UNAUTHORIZED, "bad token"))?;
    let key = URL_SAFE
        .decode(encoded_key)
        .ok()
        .and_then(|k| String::from_utf8(k).ok())
        .ok_or((StatusCode::BAD_REQUEST, "invalid key"))?;
    if bucket != BUCKET || policy["scope"].as_str() != Some(&format!("{BUCKET}:{key}")) {
        return Err((StatusCode::FORBIDDEN, "key doesn't match with scope"));
    }
    Ok((policy, key))
}

fn no_such_upload() -> Response {
    error(status(612), "no such uploadId")
}

/// `PUT {uploadUrl}/{partNumber}`: store one part, answer its etag.
async fn upload_part(
    State(st): State<StoreRef>,
    Path((bucket, key, id, part)): Path<(String, String, String, u64)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err((code, msg)) = authorize(&st, &headers, &bucket, &key) {
        return error(code, msg);
    }
    if !(1..=10_000).contains(&part) {
        return error(StatusCode::BAD_REQUEST, "invalid part number");
    }
    if !lock(&st.uploads).contains_key(&id) {
        return no_such_upload();
    }
    let etag = URL_SAFE.encode(&Sha256::digest(&body)[..20]);
    if let Err(e) = st.blobs.put(part_key(&id, part), body).await {
        tracing::warn!("qiniu part write failed: {e}");
        return error(StatusCode::INTERNAL_SERVER_ERROR, "write failed");
    }
    match lock(&st.uploads).get_mut(&id) {
        Some(u) => {
            u.parts.insert(part, etag.clone());
        }
        None => return no_such_upload(),
    }
    (StatusCode::OK, axum::Json(json!({ "etag": etag }))).into_response()
}

#[derive(Deserialize)]
struct CompleteBody {
    parts: Vec<CompletePart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CompletePart {
    etag: String,
    part_number: u64,
}

/// `POST {uploadUrl}`: assemble the listed parts, then call back the master.
async fn complete(
    State(st): State<StoreRef>,
    Path((bucket, key, id)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (policy, key) = match authorize(&st, &headers, &bucket, &key) {
        Ok(x) => x,
        Err((code, msg)) => return error(code, msg),
    };
    let Ok(req) = serde_json::from_slice::<CompleteBody>(&body) else {
        return error(StatusCode::BAD_REQUEST, "invalid JSON");
    };
    let Some(upload) = lock(&st.uploads).get(&id).cloned() else {
        return no_such_upload();
    };
    let ordered = req
        .parts
        .windows(2)
        .all(|w| w[0].part_number < w[1].part_number);
    let known = req
        .parts
        .iter()
        .all(|p| upload.parts.get(&p.part_number) == Some(&p.etag));
    if req.parts.is_empty() || !ordered || !known {
        return error(StatusCode::BAD_REQUEST, "invalid part list");
    }
    let mut sizes = Vec::new();
    for p in &req.parts {
        match st.blobs.len(&part_key(&id, p.part_number)).await {
            Ok(n) => sizes.push(n),
            Err(_) => return error(StatusCode::BAD_REQUEST, "invalid part list"),
        }
    }
    if sizes[..sizes.len() - 1].iter().any(|n| *n < MIN_PART) {
        return error(StatusCode::BAD_REQUEST, "part too small");
    }
    let total: u64 = sizes.iter().sum();
    if policy["fsizeLimit"].as_u64().is_some_and(|l| total > l) {
        return error(StatusCode::PAYLOAD_TOO_LARGE, "exceed FsizeLimit");
    }
    if let Err(e) = assemble(&st, &id, &key, &req.parts, &sizes).await {
        tracing::warn!("qiniu assemble failed: {e}");
        return error(StatusCode::INTERNAL_SERVER_ERROR, "write failed");
    }
    st.abort(&id).await;
    callback(&st, &policy, total).await
}

async fn assemble(
    st: &QiniuStore,
    id: &str,
    key: &str,
    parts: &[CompletePart],
    sizes: &[u64],
) -> std::io::Result<()> {
    st.blobs
        .prepare(key.to_string(), sizes.iter().sum())
        .await?;
    let mut offset = 0;
    for (p, n) in parts.iter().zip(sizes) {
        let s = st
            .blobs
            .read_range(part_key(id, p.part_number), 0, *n)
            .await?;
        let data: Vec<Bytes> = s.try_collect().await?;
        st.blobs
            .write_at(key.to_string(), offset, Bytes::from(data.concat()))
            .await?;
        offset += n;
    }
    Ok(())
}

/// POST the put policy's callback; the master's answer becomes the completion response.
async fn callback(st: &QiniuStore, policy: &Value, size: u64) -> Response {
    let url = policy["callbackUrl"].as_str().unwrap_or_default();
    let body = policy["callbackBody"]
        .as_str()
        .unwrap_or_default()
        .replace("$(fsize)", &size.to_string())
        .replace("$(imageInfo.width)", "")
        .replace("$(imageInfo.height)", "");
    let path = url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let auth = st.callback_auth(&path, body.as_bytes());
    let resp = st
        .http
        .post(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, auth)
        .body(body)
        .send()
        .await;
    match resp {
        Ok(r) if r.status().is_success() => {
            let bytes = r.bytes().await.unwrap_or_default();
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                bytes,
            )
                .into_response()
        }
        Ok(r) => {
            let text = r.text().await.unwrap_or_default();
            error(status(579), &format!("callback failed: {text}"))
        }
        Err(e) => error(status(579), &format!("callback failed: {e}")),
    }
}

/// `DELETE {uploadUrl}`: abort the upload.
async fn abort(
    State(st): State<StoreRef>,
    Path((bucket, key, id)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Err((code, msg)) = authorize(&st, &headers, &bucket, &key) {
        return error(code, msg);
    }
    if st.abort(&id).await {
        (StatusCode::OK, axum::Json(json!({}))).into_response()
    } else {
        no_such_upload()
    }
}

/// `GET /{key}?[attname=…&]e=…&token=ak:sign`: a private download URL.
async fn download(
    State(st): State<StoreRef>,
    Path(key): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let query = uri.query().unwrap_or_default();
    let Some((signed_q, token)) = query.rsplit_once("&token=") else {
        return error(StatusCode::UNAUTHORIZED, "download token not specified");
    };
    let to_sign = format!("{}{}?{signed_q}", st.base_url(), uri.path());
    let params: Vec<(String, String)> = url::form_urlencoded::parse(signed_q.as_bytes())
        .into_owned()
        .collect();
    let deadline: i64 = params
        .iter()
        .find(|(k, _)| k == "e")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let token = percent_encoding::percent_decode_str(token).decode_utf8_lossy();
    let valid = token
        .split_once(':')
        .is_some_and(|(ak, sign)| ak == st.access_key && st.verify(to_sign.as_bytes(), sign));
    if !valid || deadline < chrono::Utc::now().timestamp() {
        return error(StatusCode::UNAUTHORIZED, "token out of date or invalid");
    }
    let Ok(size) = st.blobs.len(&key).await else {
        return error(StatusCode::NOT_FOUND, "Document not found");
    };
    let disposition = params.iter().find(|(k, _)| k == "attname").map(|(_, v)| {
        let e = crate::uri::escape_segment(v);
        format!("attachment; filename=\"{e}\"; filename*=UTF-8''{e}")
    });
    let resp = blobserve::serve(&st.blobs, &key, size, &headers, disposition).await;
    if method == Method::HEAD {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_tampering() {
        let st = QiniuStore::new(
            std::env::temp_dir().join("cirrus-qiniu-unit"),
            reqwest::Client::new(),
        )
        .unwrap();
        let p = json!({"scope": "cirrus:k", "deadline": i64::MAX});
        let t = st.upload_token(&p);
        assert_eq!(st.check_token(&t, 0), Some(p));
        let bad = t.replacen(':', ":x", 1);
        assert!(st.check_token(&bad, 0).is_none());
        let auth = st.callback_auth("/cb", b"{}");
        assert!(st.verify_callback(&auth, "/cb", b"{}"));
        assert!(!st.verify_callback(&auth, "/cb", b"{ }"));
    }
}
