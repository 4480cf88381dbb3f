//! Download sessions (`PUT /file/download/:id` → a relative signed URL), the download route
//! with Range support, and source links (`/f/:id/:name`).

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::json;

use super::explorer::is_placeholder;
use super::user::SOURCE_BATCH;
use super::{DOWNLOAD_TTL_SECS, DownloadSession, E3, J3, Login, Q3, R3, V3, V3Ref, err};
use crate::crypto::SignError;
use crate::envelope::Success;
use crate::ids::Kind;
use crate::store::Id;

fn download_path(sid: &str) -> String {
    format!("/api/v3/file/download/{sid}")
}

impl V3 {
    /// A download URL of file `file` (`Source` with `isDownload`): relative and signed for
    /// local blobs, the provider's URL for unencrypted blobs on other policies.
    pub fn download_url(&self, file: Id) -> Result<String, E3> {
        let app = &self.app;
        let expires = app.now().timestamp() + DOWNLOAD_TTL_SECS;
        let (entity, blob, plain, name) = {
            let store = app.store();
            let n = store.node(file);
            let e = n.primary.ok_or_else(|| err(40016, "Object not exist"))?;
            let ent = store
                .entities
                .get(&e)
                .ok_or_else(|| err(40016, "Object not exist"))?;
            (e, ent.blob.clone(), ent.key.is_none(), n.name.clone())
        };
        if plain && let Some(u) = crate::policies::source_url(app, &blob, &name, true, expires) {
            return Ok(u);
        }
        let sid = super::rand_string(16);
        self.state().downloads.insert(
            sid.clone(),
            DownloadSession {
                file,
                entity,
                expires,
            },
        );
        let path = download_path(&sid);
        let sign = app.signer.sign(&path, expires);
        let q: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("sign", &sign)
            .finish();
        Ok(format!("{path}?{q}"))
    }
}

/// `PUT /file/download/:id`
pub async fn create(State(v3): State<V3Ref>, Login(uid): Login, Path(id): Path<String>) -> R3 {
    let raw = v3
        .app
        .ids
        .decode(Kind::File, &id)
        .ok_or_else(|| err(40001, "Failed to parse object ID"))?;
    let file = {
        let store = v3.app.store();
        v3.owned_file(&store, uid, raw)
            .filter(|f| !is_placeholder(store.node(*f)))
            .ok_or_else(|| err(40016, "Object not exist"))?
    };
    Ok(Success::data(v3.download_url(file)?))
}

#[derive(Deserialize)]
pub struct SignQuery {
    #[serde(default)]
    sign: String,
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
        "pdf" => "application/pdf",
        "mp4" => "video/mp4",
        "mp3" => "audio/mpeg",
        "zip" => "application/zip",
        _ => "application/octet-stream",
    }
}

/// `http.ServeContent` of entity `entity` named `name` (single ranges; 416 when none fits).
pub async fn serve_entity(
    v3: &V3,
    entity: Id,
    name: &str,
    modified: DateTime<Utc>,
    headers: &HeaderMap,
    mut h: HeaderMap,
) -> Response {
    let app = &v3.app;
    let (size, blob, key) = {
        let store = app.store();
        match store.entities.get(&entity) {
            Some(e) => (e.size, e.blob.clone(), e.key.clone()),
            None => {
                return E3::from(crate::envelope::ApiError::new(40016, "Object not exist"))
                    .into_response();
            }
        }
    };
    let mut set = |k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            h.insert(k, v);
        }
    };
    set(header::ACCEPT_RANGES, "bytes");
    set(header::CONTENT_TYPE, mime_of(name));
    set(
        header::LAST_MODIFIED,
        &modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
    );
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| crate::routes::content::parse_range(r, size));
    let (status, start, len) = match range {
        None => (StatusCode::OK, 0, size),
        Some(Err(())) => {
            set(header::CONTENT_RANGE, &format!("bytes */{size}"));
            return (
                StatusCode::RANGE_NOT_SATISFIABLE,
                h,
                "invalid range: failed to overlap\n",
            )
                .into_response();
        }
        Some(Ok((a, b))) => {
            set(header::CONTENT_RANGE, &format!("bytes {a}-{b}/{size}"));
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
    };
    set(header::CONTENT_LENGTH, &len.to_string());
    let stream = match app
        .blob_driver(&blob)
        .read_range(blob.clone(), start, len)
        .await
    {
        Ok(s) => s,
        Err(_) => {
            return E3::from(crate::envelope::ApiError::new(
                50004,
                "Failed to read file data",
            ))
            .into_response();
        }
    };
    let body = match key {
        None => Body::from_stream(stream),
        Some(k) => {
            use futures::StreamExt;
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
    (status, h, body).into_response()
}

/// `GET /file/download/:id?sign=`: no cookie needed; one-time sessions end here.
pub async fn serve(
    State(v3): State<V3Ref>,
    Path(sid): Path<String>,
    Q3(q): Q3<SignQuery>,
    headers: HeaderMap,
) -> Response {
    let now = v3.app.now().timestamp();
    match v3.app.signer.verify(&download_path(&sid), &q.sign, now) {
        Ok(()) => {}
        Err(SignError::Expired) => return err(40005, "signature expired").into_response(),
        Err(SignError::Invalid) => return err(40071, "invalid sign").into_response(),
    }
    let session = {
        let mut st = v3.state();
        let s = st.downloads.get(&sid).filter(|s| s.expires >= now).cloned();
        if s.is_some() && st.one_time_download {
            st.downloads.remove(&sid);
        }
        s
    };
    let Some(s) = session else {
        return err(404, "Download session not exist").into_response();
    };
    let (name, modified) = {
        let store = v3.app.store();
        match store.nodes.get(&s.file) {
            Some(n) => (n.name.clone(), n.updated_at),
            None => return err(404, "Download session not exist").into_response(),
        }
    };
    let mut h = HeaderMap::new();
    let escaped = percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{escaped}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    serve_entity(&v3, s.entity, &name, modified, &headers, h).await
}

#[derive(Deserialize)]
pub struct SourceBody {
    #[serde(default)]
    items: Vec<String>,
}

/// `POST /file/source` `{items}`: `[{url, name, parent}]`, unordered, without ids.
pub async fn source(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    headers: HeaderMap,
    J3(b): J3<SourceBody>,
) -> R3 {
    if b.items.len() > SOURCE_BATCH {
        return Err(err(40014, "Exceed aria2 batch size"));
    }
    let base = crate::routes::request_base(&headers, v3.app.policies.site_url());
    let store = v3.app.store();
    let mut out = Vec::new();
    for h in &b.items {
        let Some(f) = v3
            .app
            .ids
            .decode(Kind::File, h)
            .and_then(|id| v3.owned_file(&store, uid, id))
            .filter(|f| !is_placeholder(store.node(*f)))
        else {
            continue;
        };
        let n = store.node(f);
        let name = crate::uri::escape_segment(&n.name);
        out.push(json!({
            "url": format!("{base}/f/{}/{name}", v3.app.ids.encode(Kind::SourceLink, f)),
            "name": n.name,
            "parent": n.parent.unwrap_or(0),
        }));
    }
    Ok(Success::data(out))
}

/// `GET /f/:id/:name`: the file behind a source link, for anyone.
pub async fn source_link(
    State(v3): State<V3Ref>,
    Path((id, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let Some(raw) = v3.app.ids.decode(Kind::SourceLink, &id) else {
        return err(40001, "Failed to parse object ID").into_response();
    };
    let found = {
        let store = v3.app.store();
        store
            .nodes
            .get(&raw)
            .filter(|n| !n.is_folder() && !is_placeholder(n))
            .and_then(|n| n.primary.map(|e| (e, n.name.clone(), n.updated_at)))
    };
    let Some((entity, name, modified)) = found else {
        return err(404, "File not found").into_response();
    };
    serve_entity(&v3, entity, &name, modified, &headers, HeaderMap::new()).await
}
