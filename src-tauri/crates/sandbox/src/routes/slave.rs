//! Routes of the slave node (`/api/v4/slave/…` on the node's own listener). Every route
//! checks the node credential like Cloudreve's `SignRequired`: `PUT`/`POST` carry
//! `Authorization: Bearer Cr …` over path + `X-Cr-*` headers (+ body, except for chunk
//! uploads); other methods carry `?sign=` over the path. Failures are HTTP 200 envelopes.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use bytes::Bytes;
use chrono::Utc;
use serde::Deserialize;
use serde_json::Value;

use super::upload::{declared_length, read_exact};
use crate::binding::go_json;
use crate::envelope::{ApiError, ApiResult, Success};
use crate::policies::blobserve;
use crate::policies::remote::{NodeSession, SIGNATURE_TTL, SlaveNode, WireSession};
use crate::policy::StorageDriver;

type NodeRef = Arc<SlaveNode>;

/// The node's router.
pub fn router(node: NodeRef) -> Router {
    Router::new()
        .route("/api/v4/slave/upload", put(create_session))
        .route(
            "/api/v4/slave/upload/{id}",
            post(chunk).delete(delete_session),
        )
        .route(
            "/api/v4/slave/file/content/{node}/{src}/{speed}/{name}",
            get(content).head(content),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "404 page not found") })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(node)
}

fn decoded_path(uri: &Uri) -> String {
    percent_encoding::percent_decode_str(uri.path())
        .decode_utf8_lossy()
        .into_owned()
}

/// `CheckURI`: `sign` query parameter over the path.
fn check_uri(node: &SlaveNode, uri: &Uri, query: Option<&str>) -> Result<(), ApiError> {
    let sign = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "sign")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    node.auth
        .check(&decoded_path(uri), &sign, Utc::now().timestamp())
}

#[derive(Deserialize)]
struct CreateBody {
    session: WireSession,
}

/// `PUT /api/v4/slave/upload`: the master registers a session.
async fn create_session(
    State(node): State<NodeRef>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    node.auth
        .check_request(&decoded_path(&uri), &headers, &body, Utc::now().timestamp())?;
    // The node binds the (signed) body with Gin too.
    let b: CreateBody = go_json::from_slice(&body)?;
    let s = b.session;
    let expires = chrono::DateTime::parse_from_rfc3339(&s.Props.ExpireAt)
        .map(|t| t.timestamp())
        .map_err(|_| ApiError::binding("Invalid parameters."))?;
    // The node's local policy pre-allocates, so chunks may arrive in any order.
    node.blobs
        .prepare(s.Props.SavePath.clone(), s.Props.Size)
        .await
        .map_err(|_| ApiError::io_failed("Failed to create placeholder file"))?;
    node.sessions().insert(
        s.Props.UploadSessionID.clone(),
        NodeSession {
            wire: s,
            expires,
            received: Default::default(),
        },
    );
    Ok(Success::empty())
}

/// `DELETE /api/v4/slave/upload/{id}?sign=…`: drop a session and its blob.
async fn delete_session(
    State(node): State<NodeRef>,
    Path(id): Path<String>,
    uri: Uri,
    RawQuery(q): RawQuery,
) -> ApiResult {
    check_uri(&node, &uri, q.as_deref())?;
    let s = node.sessions().remove(&id);
    if let Some(s) = s {
        let _ = node.blobs.delete(s.wire.Props.SavePath).await;
    }
    Ok(Success::empty())
}

/// `POST /api/v4/slave/upload/{id}?chunk=N`: store one chunk; the last outstanding chunk
/// triggers the callback to the master, whose answer becomes this response.
async fn chunk(
    State(node): State<NodeRef>,
    Path(id): Path<String>,
    uri: Uri,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let now = Utc::now().timestamp();
    // Chunk bodies are not part of the signed content.
    node.auth
        .check_request(&decoded_path(&uri), &headers, b"", now)?;
    // strconv.Atoi errors are ignored by the real node: a bad value means chunk 0.
    let index: i64 = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "chunk")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let (size, chunk_size, blob) = {
        let sessions = node.sessions();
        let s = sessions
            .get(&id)
            .filter(|s| s.expires > now)
            .ok_or_else(|| ApiError::new(40011, ""))?;
        (
            s.wire.Props.Size,
            s.wire.ChunkSize,
            s.wire.Props.SavePath.clone(),
        )
    };
    let (size_i, cs) = (size as i64, chunk_size as i64);
    let last = cs == 0 || (index + 1).saturating_mul(cs) >= size_i;
    let expected = if last { size_i - index * cs } else { cs };
    if index < 0 || expected < 0 || declared_length(&headers) != Some(expected as u64) {
        return Err(ApiError::new(
            40013,
            format!("Invalid Content-Length (expected: {expected})"),
        ));
    }
    let data = read_exact(body, expected as u64).await?;
    if !data.is_empty() {
        node.blobs
            .write_at(blob, (index * cs) as u64, data)
            .await
            .map_err(|_| ApiError::io_failed("Failed to upload file"))?;
    }
    let callback = {
        let mut sessions = node.sessions();
        let Some(s) = sessions.get_mut(&id) else {
            return Err(ApiError::new(40011, ""));
        };
        s.received.insert(index as u64);
        let need = if size == 0 || chunk_size == 0 {
            1
        } else {
            size.div_ceil(chunk_size)
        };
        if (s.received.len() as u64) < need {
            return Ok(Success::empty());
        }
        s.wire.Callback.clone()
    };
    call_master(&node, &callback, now).await?;
    node.sessions().remove(&id);
    Ok(Success::empty())
}

/// The local driver's `CompleteUpload` on a node: POST the master callback, signed with the
/// node key, and adopt the master's error if it reports one.
async fn call_master(node: &SlaveNode, callback: &str, now: i64) -> Result<(), ApiError> {
    let path = url::Url::parse(callback)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let cred = node
        .auth
        .credential(&path, &HeaderMap::new(), b"", now + SIGNATURE_TTL);
    let resp = node
        .http
        .post(callback)
        .header("Authorization", cred)
        .timeout(std::time::Duration::from_secs(20))
        .send()
        .await
        .map_err(|_| ApiError::new(50007, "Slave cannot send callback request"))?;
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.map_err(|_| {
        ApiError::new(
            50007,
            format!("Slave cannot parse callback response from master (StatusCode={status})."),
        )
    })?;
    match v["code"].as_i64() {
        Some(0) => Ok(()),
        Some(c) => Err(ApiError::new(
            c as i32,
            v["msg"].as_str().unwrap_or_default(),
        )),
        None => Err(ApiError::new(
            50007,
            format!("Slave cannot parse callback response from master (StatusCode={status})."),
        )),
    }
}

/// `GET /api/v4/slave/file/content/{node}/{src}/{speed}/{name}?sign=…`
async fn content(
    State(node): State<NodeRef>,
    Path((_node, src, _speed, name)): Path<(String, String, String, String)>,
    method: Method,
    uri: Uri,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = check_uri(&node, &uri, q.as_deref()) {
        return e.into_response();
    }
    let Some(blob) = URL_SAFE
        .decode(src.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
    else {
        return ApiError::binding("Invalid parameters.").into_response();
    };
    let size = match node.blobs.len(&blob).await {
        Ok(n) => n,
        Err(_) => return (StatusCode::NOT_FOUND, "Entity data does not exist.").into_response(),
    };
    let download = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .any(|(k, v)| k == "download" && v == "true");
    let disp = download.then(|| {
        let e = crate::uri::escape_segment(&name);
        format!("attachment; filename=\"{e}\"; filename*=UTF-8''{e}")
    });
    let resp = blobserve::serve(&node.blobs, &blob, size, &headers, disp).await;
    if method == Method::HEAD {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}
