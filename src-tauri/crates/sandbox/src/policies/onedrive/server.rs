//! The drive's HTTP side: upload-session URLs (`PUT` fragments, `GET` status, `DELETE`) and
//! pre-authenticated downloads, answering like Microsoft Graph (errors are
//! `{"error":{"code","message","innererror"?}}`).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{OneDriveStore, lock};
use crate::faults::FaultTarget;
use crate::policies::blobserve;
use crate::policy::StorageDriver;
use crate::routes::upload::{declared_length, read_prefix};

type StoreRef = Arc<OneDriveStore>;

/// Fault classes on the drive: fragment `PUT`s are parts, downloads are downloads, status
/// queries and deletes only see `drop_rate`.
pub fn classify(method: &Method, path: &str) -> FaultTarget {
    if path.starts_with("/dl/") {
        if *method == Method::GET {
            FaultTarget::Download
        } else {
            FaultTarget::Other
        }
    } else if *method == Method::PUT {
        FaultTarget::Part
    } else {
        FaultTarget::Other
    }
}

/// The drive's router.
pub fn router(store: StoreRef) -> Router {
    Router::new()
        .route(
            "/rup/{token}",
            get(status).put(fragment).delete(delete_session),
        )
        .route("/dl/{blob}", get(download).head(download))
        .fallback(|| async {
            graph_error(
                StatusCode::NOT_FOUND,
                "itemNotFound",
                "Item not found",
                None,
            )
        })
        .layer(axum::extract::DefaultBodyLimit::disable())
        .with_state(store)
}

/// A Graph error response.
pub fn graph_error(status: StatusCode, code: &str, message: &str, inner: Option<&str>) -> Response {
    let mut e = json!({"code": code, "message": message});
    if let Some(i) = inner {
        e["innererror"] = json!({"code": i});
    }
    (status, axum::Json(json!({ "error": e }))).into_response()
}

fn session_gone() -> Response {
    graph_error(
        StatusCode::NOT_FOUND,
        "itemNotFound",
        "The upload session was not found or has expired.",
        None,
    )
}

/// Parse `bytes a-b/total`.
fn content_range(h: &HeaderMap) -> Option<(u64, u64, u64)> {
    let v = h.get(header::CONTENT_RANGE)?.to_str().ok()?;
    let (range, total) = v.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (a, b) = range.split_once('-')?;
    let (a, b, total): (u64, u64, u64) = (a.parse().ok()?, b.parse().ok()?, total.parse().ok()?);
    (a <= b && b < total).then_some((a, b, total))
}

/// `GET {uploadUrl}`: the session status, used by clients to resume.
async fn status(State(store): State<StoreRef>, Path(token): Path<String>) -> Response {
    match store.session(&token) {
        Some(s) => (StatusCode::OK, axum::Json(s.status_json())).into_response(),
        None => session_gone(),
    }
}

/// `DELETE {uploadUrl}`: cancel the session.
async fn delete_session(State(store): State<StoreRef>, Path(token): Path<String>) -> Response {
    if store.delete_session(&token) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        session_gone()
    }
}

/// `PUT {uploadUrl}` with `Content-Range`: fragments must continue exactly where the
/// committed bytes end; the last one completes the item (201 with the driveItem).
async fn fragment(
    State(store): State<StoreRef>,
    Path(token): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(s) = store.session(&token) else {
        return session_gone();
    };
    let Some((a, b, total)) = content_range(&headers) else {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Invalid Content-Range header value.",
            None,
        );
    };
    let len = b - a + 1;
    if declared_length(&headers) != Some(len) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "The Content-Range header length does not match the provided number of bytes.",
            None,
        );
    }
    if s.total.is_some_and(|t| t != total) {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "Declared total size for the upload session does not match.",
            None,
        );
    }
    if let Some(r) = order_error(a, s.next) {
        return r;
    }
    // A fragment cut off on the wire keeps what arrived: the session then expects the rest,
    // from the middle of the fragment (`nextExpectedRanges`).
    let (data, complete) = read_prefix(body, len).await;
    let b = if complete {
        b
    } else if data.is_empty() {
        return graph_error(
            StatusCode::BAD_REQUEST,
            "invalidRequest",
            "The request body is shorter than the Content-Range.",
            None,
        );
    } else {
        store.note_partial_fragment();
        a + data.len() as u64 - 1
    };
    // A concurrent fragment may have committed the same range while this body was read.
    if let Some(r) = store.session(&token).and_then(|s| order_error(a, s.next)) {
        return r;
    }
    if let Err(e) = store.blobs.write_at(s.blob.clone(), a, data).await {
        tracing::warn!("onedrive fragment write failed: {e}");
        return graph_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "generalException",
            "Failed to store the fragment.",
            None,
        );
    }
    let mut sessions = lock(&store.sessions);
    let Some(live) = sessions.get_mut(&token) else {
        return session_gone();
    };
    live.total = Some(total);
    live.next = b + 1;
    if live.next < total {
        return (StatusCode::ACCEPTED, axum::Json(live.status_json())).into_response();
    }
    let done = sessions.remove(&token).expect("session present");
    drop(sessions);
    store.record_item(&done.blob, total);
    (
        StatusCode::CREATED,
        axum::Json(item_json(&done.blob, total)),
    )
        .into_response()
}

/// 416 for a fragment that does not start at the next expected byte.
fn order_error(start: u64, next: u64) -> Option<Response> {
    use std::cmp::Ordering::*;
    match start.cmp(&next) {
        Equal => None,
        Less => Some(graph_error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "invalidRange",
            "Uploaded fragment overlaps with existing data.",
            Some("fragmentOverlap"),
        )),
        Greater => Some(graph_error(
            StatusCode::RANGE_NOT_SATISFIABLE,
            "invalidRange",
            "Uploaded fragment is out of order.",
            None,
        )),
    }
}

/// The driveItem returned when an upload completes.
fn item_json(blob: &str, size: u64) -> Value {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    json!({
        "id": blob.to_uppercase(),
        "name": blob,
        "size": size,
        "createdDateTime": now,
        "lastModifiedDateTime": now,
        "file": {"mimeType": "application/octet-stream"},
    })
}

/// `GET /dl/{blob}?tempauth=…`: the pre-authenticated download URL, with `Range` support.
async fn download(
    State(store): State<StoreRef>,
    Path(blob): Path<String>,
    method: Method,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> Response {
    let auth = url::form_urlencoded::parse(q.unwrap_or_default().as_bytes())
        .find(|(k, _)| k == "tempauth")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let path = OneDriveStore::download_path(&blob);
    if store
        .signer
        .verify(&path, &auth, Utc::now().timestamp())
        .is_err()
    {
        return graph_error(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "The download URL is invalid or has expired.",
            None,
        );
    }
    let Some(size) = store.item_size(&blob) else {
        return graph_error(
            StatusCode::NOT_FOUND,
            "itemNotFound",
            "Item not found",
            None,
        );
    };
    let resp = blobserve::serve(&store.blobs, &blob, size, &headers, None).await;
    if method == Method::HEAD {
        let (parts, _) = resp.into_parts();
        return Response::from_parts(parts, Body::empty());
    }
    resp
}
