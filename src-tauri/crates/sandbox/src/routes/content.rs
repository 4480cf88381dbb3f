//! Download URLs (`POST /file/url`) and the signed content route with Range support and
//! on-the-fly decryption.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::{fs_user, request_base};
use crate::app::AppRef;
use crate::auth::Caller;
use crate::binding::{GinJson, GinQuery};
use crate::crypto::SignError;
use crate::envelope::{ApiError, Success};
use crate::ids::Kind;
use crate::timefmt::go_time;
use crate::uri::{CrUri, escape_segment};

#[derive(Deserialize)]
pub struct UrlBody {
    #[serde(default)]
    uris: Vec<String>,
    #[serde(default)]
    download: bool,
    #[serde(default)]
    redirect: bool,
    #[serde(default)]
    entity: Option<String>,
    #[serde(default)]
    skip_error: bool,
    #[serde(default)]
    archive: bool,
}

pub(crate) fn content_path(entity: &str, name: &str) -> String {
    format!("/api/v4/file/content/{entity}/0/{name}")
}

/// `POST /file/url`
pub async fn urls(
    State(app): State<AppRef>,
    caller: Caller,
    headers: HeaderMap,
    GinJson(b): GinJson<UrlBody>,
) -> Result<Response, ApiError> {
    if b.uris.is_empty() {
        return Err(ApiError::binding("Uris cannot be empty"));
    }
    if b.archive {
        return Err(ApiError::new(
            40007,
            "Group not allowed to download archive",
        ));
    }
    let base = request_base(&headers, "http://127.0.0.1");
    let expiry =
        app.now() + chrono::Duration::from_std(app.settings.entity_url_ttl).unwrap_or_default();
    let mut out = Vec::new();
    let mut failures = Vec::new();
    {
        let mut store = app.store();
        for raw in &b.uris {
            let res = (|| -> Result<String, ApiError> {
                let uri = CrUri::parse(raw)?;
                let id = if uri.fs == crate::uri::Fs::Share {
                    // Counts one share download per URL request.
                    super::share::resolve_download(&app, &mut store, &uri)?
                } else {
                    let uid = fs_user(&app, caller, &uri)?;
                    store
                        .resolve(uid, &uri)?
                        .ok_or_else(ApiError::entity_not_exist)?
                };
                let n = store.node(id);
                if n.is_folder() {
                    return Err(ApiError::entity_not_exist());
                }
                let eid = match b
                    .entity
                    .as_deref()
                    .filter(|s| !s.is_empty() && b.uris.len() == 1)
                {
                    Some(h) => {
                        let e = app.ids.require(Kind::Entity, h)?;
                        if !n.entities.contains(&e) {
                            return Err(ApiError::entity_not_exist());
                        }
                        e
                    }
                    None => n.primary.ok_or_else(ApiError::entity_not_exist)?,
                };
                let ehash = app.ids.encode(Kind::Entity, eid);
                let name = store.display_name(n);
                // Unencrypted blobs on provider policies are fetched from the provider.
                if let Some(e) = store.entities.get(&eid).filter(|e| e.key.is_none())
                    && let Some(u) = crate::policies::source_url(
                        &app,
                        &e.blob,
                        &name,
                        b.download,
                        expiry.timestamp(),
                    )
                {
                    return Ok(u);
                }
                let sign = app
                    .signer
                    .sign(&content_path(&ehash, &name), expiry.timestamp());
                let mut q = url::form_urlencoded::Serializer::new(String::new());
                if b.download {
                    q.append_pair("download", "true");
                }
                q.append_pair("sign", &sign);
                Ok(format!(
                    "{base}{}?{}",
                    content_path(&ehash, &escape_segment(&name)),
                    q.finish()
                ))
            })();
            match res {
                Ok(u) => out.push(json!({"url": u})),
                Err(e) => {
                    out.push(json!({"url": ""}));
                    let key = CrUri::parse(raw)
                        .map(|u| u.to_string())
                        .unwrap_or_else(|_| raw.clone());
                    failures.push((key, e));
                }
            }
        }
    }
    if !b.skip_error {
        ApiError::aggregate(failures)?;
    }
    if b.redirect && b.uris.len() == 1 {
        let u = out[0]["url"].as_str().unwrap_or("").to_string();
        return Ok(Redirect::to(&u).into_response());
    }
    Ok(Success::data(json!({"urls": out, "expires": go_time(expiry)})).into_response())
}

#[derive(Deserialize)]
pub struct ContentQuery {
    sign: Option<String>,
    download: Option<String>,
}

fn mime_of(name: &str) -> &'static str {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "txt" | "md" | "log" => "text/plain; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "json" => "application/json",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "svg" => "image/svg+xml",
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// Parse a single `bytes=` range against `size`. `Err(())` = unsatisfiable.
pub(crate) fn parse_range(h: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = h.strip_prefix("bytes=")?;
    if spec.contains(',') {
        // Multipart ranges are not emulated; serve the whole entity.
        return None;
    }
    let (a, b) = spec.trim().split_once('-')?;
    let range = if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        if n == 0 {
            return Some(Err(()));
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let start: u64 = a.parse().ok()?;
        let end: u64 = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse().ok()?
        };
        if start >= size || end < start {
            return Some(Err(()));
        }
        (start, end.min(size - 1))
    };
    if size == 0 {
        return Some(Err(()));
    }
    Some(Ok(range))
}

fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, text).into_response()
}

/// `GET|HEAD /file/content/{entity}/{speed}/{name}?sign=…`
pub async fn serve(
    State(app): State<AppRef>,
    Path((entity, _speed, name)): Path<(String, String, String)>,
    GinQuery(q): GinQuery<ContentQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let sign = q.sign.unwrap_or_default();
    match app
        .signer
        .verify(&content_path(&entity, &name), &sign, app.now().timestamp())
    {
        Ok(()) => {}
        Err(SignError::Expired) => return Err(ApiError::new(40005, "Signature expired")),
        Err(SignError::Invalid) => return Err(ApiError::new(40071, "Invalid signature")),
    }
    let eid = app.ids.require(Kind::Entity, &entity)?;
    let (size, blob, key) = {
        let store = app.store();
        match store.entities.get(&eid) {
            Some(e) => (e.size, e.blob.clone(), e.key.clone()),
            None => return Ok(plain(StatusCode::NOT_FOUND, "Entity data does not exist.")),
        }
    };
    let etag = format!("\"{entity}\"");
    let mut h = HeaderMap::new();
    let set = |h: &mut HeaderMap, k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(&mut h, header::ETAG, &etag);
    set(&mut h, header::ACCEPT_RANGES, "bytes");
    set(&mut h, header::CONTENT_TYPE, mime_of(&name));
    set(&mut h, header::CONTENT_SECURITY_POLICY, "sandbox");
    set(&mut h, header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    set(
        &mut h,
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        "Content-Range, Accept-Ranges, Content-Length, Content-Disposition, ETag",
    );
    set(&mut h, header::CACHE_CONTROL, "public, max-age=31536000");
    if q.download.as_deref() == Some("true") {
        let disp = if name.is_ascii() {
            format!("attachment; filename=\"{}\"", name.replace('"', "\\\""))
        } else {
            let e = escape_segment(&name);
            format!("attachment; filename=\"{e}\"; filename*=UTF-8''{e}")
        };
        set(&mut h, header::CONTENT_DISPOSITION, &disp);
    }
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        == Some(etag.as_str())
    {
        return Ok((StatusCode::NOT_MODIFIED, h).into_response());
    }
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v == etag);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok)
        .and_then(|r| parse_range(r, size));
    let (status, start, len) = match range {
        None => (StatusCode::OK, 0, size),
        Some(Err(())) => {
            set(&mut h, header::CONTENT_RANGE, &format!("bytes */{size}"));
            return Ok((StatusCode::RANGE_NOT_SATISFIABLE, h, "invalid range").into_response());
        }
        Some(Ok((a, b))) => {
            set(
                &mut h,
                header::CONTENT_RANGE,
                &format!("bytes {a}-{b}/{size}"),
            );
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
    };
    set(&mut h, header::CONTENT_LENGTH, &len.to_string());
    let stream = match app
        .blob_driver(&blob)
        .read_range(blob.clone(), start, len)
        .await
    {
        Ok(s) => s,
        Err(_) => return Ok(plain(StatusCode::NOT_FOUND, "Entity data does not exist.")),
    };
    let body = match key {
        None => Body::from_stream(stream),
        Some(k) => {
            let mut ks = k.stream_at(start);
            Body::from_stream(stream.map(move |chunk| {
                chunk.map(|b| {
                    let mut v = b.to_vec();
                    ks.apply(&mut v);
                    bytes::Bytes::from(v)
                })
            }))
        }
    };
    Ok((status, h, body).into_response())
}
