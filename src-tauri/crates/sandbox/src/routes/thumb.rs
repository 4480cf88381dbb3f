//! `GET /file/thumb`: thumbnails generated on request for photos, as Cloudreve's built-in
//! generator does (the request waits for it), stored as a content blob and handed out as a
//! signed content URL. Anything that cannot be thumbnailed gets `thumb:disabled` and 40077.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use axum::extract::State;
use axum::http::HeaderMap;
use futures::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::{fs_user, parse_uri, request_base};
use crate::app::{App, AppRef};
use crate::auth::Caller;
use crate::binding::GinQuery;
use crate::envelope::{ApiError, ApiResult, Success};
use crate::ids::Kind;
use crate::store::{Entity, Id};
use crate::timefmt::go_time;
use crate::uri::escape_segment;

/// Largest thumbnail, as the site's `explorer` section announces (`thumbnail_width/height`).
pub const THUMB_MAX: (u32, u32) = (400, 300);
/// Extensions the generator accepts (also the site's `thumb` section).
pub const THUMB_EXTS: &[&str] = &["jpg", "jpeg", "png", "gif", "webp"];
/// Bigger sources are refused rather than decoded (the real generator has a size cap too).
const MAX_SOURCE: u64 = 64 << 20;
const DISABLED: &str = "thumb:disabled";

/// Source blob → thumbnail entity. Blob keys are UUIDs, unique across sandboxes in a process,
/// so one process-wide map serves every running sandbox.
fn generated() -> &'static Mutex<HashMap<String, Id>> {
    static MAP: OnceLock<Mutex<HashMap<String, Id>>> = OnceLock::new();
    MAP.get_or_init(Default::default)
}

/// The file's current content, copied out of the store lock.
struct Source {
    blob: String,
    size: u64,
    encrypted: bool,
}

#[derive(Deserialize)]
pub struct ThumbQuery {
    uri: Option<String>,
}

fn no_thumb() -> ApiError {
    ApiError::entity_not_exist()
}

/// A JPEG of at most [`THUMB_MAX`] for an image, or `None` when it cannot be decoded.
pub fn make_thumbnail(data: &[u8]) -> Option<Vec<u8>> {
    let img = image::load_from_memory(data).ok()?;
    let small = img.thumbnail(THUMB_MAX.0, THUMB_MAX.1).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 82)
        .encode_image(&small)
        .ok()?;
    Some(out)
}

fn mark_disabled(app: &App, id: Id, key: &str) {
    if let Some(n) = app.store().nodes.get_mut(&id) {
        n.metadata.insert(key.to_string(), String::new());
    }
}

/// `GET /file/thumb?uri=`
pub async fn thumb(
    State(app): State<AppRef>,
    caller: Caller,
    headers: HeaderMap,
    GinQuery(q): GinQuery<ThumbQuery>,
) -> ApiResult {
    let uri = parse_uri(q.uri.as_deref(), "Uri")?;
    let uid = fs_user(&app, caller, &uri)?;
    let id = app
        .store()
        .resolve(uid, &uri)?
        .ok_or_else(ApiError::path_not_exist)?;
    let thumb_entity = thumbnail_entity(&app, id, DISABLED)
        .await?
        .ok_or_else(no_thumb)?;
    let name = {
        let store = app.store();
        store.display_name(store.node(id))
    };
    let base = request_base(&headers, "http://127.0.0.1");
    let expiry =
        app.now() + chrono::Duration::from_std(app.settings.entity_url_ttl).unwrap_or_default();
    let ehash = app.ids.encode(Kind::Entity, thumb_entity);
    let thumb_name = format!("{name}.jpg");
    let path = super::content::content_path(&ehash, &thumb_name);
    let sign = app.signer.sign(&path, expiry.timestamp());
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("sign", &sign);
    let url = format!(
        "{base}{}?{}",
        super::content::content_path(&ehash, &escape_segment(&thumb_name)),
        query.finish()
    );
    Ok(Success::data(
        json!({"url": url, "expires": go_time(expiry)}),
    ))
}

/// The thumbnail entity of file `id` (made on first request and kept), or `None` when it has
/// none: folders, empty or uploading files, unsupported or undecodable content, encrypted
/// blobs. A file that cannot have one is marked with `disabled_key` (each protocol has its own
/// metadata key) so it is not tried again.
pub async fn thumbnail_entity(
    app: &App,
    id: Id,
    disabled_key: &str,
) -> Result<Option<Id>, ApiError> {
    let (name, source) = {
        let store = app.store();
        let n = store.node(id);
        if n.is_folder() || n.metadata.contains_key(disabled_key) {
            return Ok(None);
        }
        let source = n
            .primary
            .and_then(|e| store.entities.get(&e))
            .filter(|e| e.size > 0 && e.pending_session.is_none())
            .map(|e| Source {
                blob: e.blob.clone(),
                size: e.size,
                encrypted: e.key.is_some(),
            });
        let Some(source) = source else {
            return Ok(None);
        };
        (store.display_name(n), source)
    };
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e.to_lowercase())
        .unwrap_or_default();
    let cached = generated()
        .lock()
        .expect("thumbs")
        .get(&source.blob)
        .copied();
    let thumb_entity = match cached.filter(|t| app.store().entities.contains_key(t)) {
        Some(t) => t,
        None => {
            // Encrypted blobs are never thumbnailed (the server only holds ciphertext).
            if !THUMB_EXTS.contains(&ext.as_str()) || source.encrypted || source.size > MAX_SOURCE {
                mark_disabled(app, id, disabled_key);
                return Ok(None);
            }
            let jpeg = match read_blob(app, &source).await {
                // Decoding a photo takes tens of milliseconds: keep it off the reactor.
                Some(data) => tokio::task::spawn_blocking(move || make_thumbnail(&data))
                    .await
                    .ok()
                    .flatten(),
                None => None,
            };
            let Some(jpeg) = jpeg else {
                mark_disabled(app, id, disabled_key);
                return Ok(None);
            };
            store_thumbnail(app, id, &source, jpeg)?
        }
    };
    Ok(Some(thumb_entity))
}

async fn read_blob(app: &App, e: &Source) -> Option<Vec<u8>> {
    let mut stream = app
        .blob_driver(&e.blob)
        .read_range(e.blob.clone(), 0, e.size)
        .await
        .ok()?;
    let mut data = Vec::with_capacity(e.size as usize);
    while let Some(chunk) = stream.next().await {
        data.extend_from_slice(&chunk.ok()?);
    }
    Some(data)
}

/// Keep the thumbnail as an entity of its own (not one of the file's versions).
fn store_thumbnail(app: &App, file: Id, source: &Source, jpeg: Vec<u8>) -> Result<Id, ApiError> {
    let blob = format!("thumb-{}", uuid::Uuid::new_v4().simple());
    app.policy
        .driver
        .put_blocking(&blob, &jpeg)
        .map_err(|e| ApiError::new(500, format!("storing thumbnail: {e}")))?;
    let now = app.now();
    let mut store = app.store();
    let owner = store.node(file).owner;
    let id = store.new_id();
    store.entities.insert(
        id,
        Entity {
            id,
            size: jpeg.len() as u64,
            blob,
            created_at: now,
            created_by: owner,
            key: None,
            refs: 1,
            pending_session: None,
        },
    );
    generated()
        .lock()
        .expect("thumbs")
        .insert(source.blob.clone(), id);
    Ok(id)
}
