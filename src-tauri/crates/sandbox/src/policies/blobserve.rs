//! Serving a stored blob over HTTP with single-range support, for provider download URLs
//! (slave content route, OneDrive download URLs).

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::policy::StorageDriver;

/// Parse `bytes=a-b` / `bytes=a-` / `bytes=-n` against `size`; `Some(None)` = unsatisfiable.
pub fn parse_range(h: &str, size: u64) -> Option<Option<(u64, u64)>> {
    let (a, b) = h.strip_prefix("bytes=")?.trim().split_once('-')?;
    if h.contains(',') {
        return None;
    }
    let r = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        (n > 0 && size > 0).then(|| (size.saturating_sub(n), size - 1))
    } else {
        let start: u64 = a.parse().ok()?;
        let end = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse().ok()?
        };
        (start < size && end >= start).then(|| (start, end.min(size - 1)))
    };
    Some(r)
}

/// Stream `blob` (of `size` bytes) honouring a `Range` request header.
pub async fn serve(
    driver: &dyn StorageDriver,
    blob: &str,
    size: u64,
    req: &HeaderMap,
    disposition: Option<String>,
) -> Response {
    let mut h = HeaderMap::new();
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Some(d) = disposition.and_then(|d| HeaderValue::from_str(&d).ok()) {
        h.insert(header::CONTENT_DISPOSITION, d);
    }
    let range = req
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| parse_range(r, size));
    let (status, start, len) = match range {
        None => (StatusCode::OK, 0, size),
        Some(None) => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            return (StatusCode::RANGE_NOT_SATISFIABLE, h).into_response();
        }
        Some(Some((a, b))) => {
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {a}-{b}/{size}")) {
                h.insert(header::CONTENT_RANGE, v);
            }
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
    };
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    match driver.read_range(blob.to_string(), start, len).await {
        Ok(s) => (status, h, Body::from_stream(s)).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "Entity data does not exist.").into_response(),
    }
}
