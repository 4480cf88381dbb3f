//! Uploads: sessions (every policy; provider specifics in [`crate::policies`]), chunks for
//! local and relay policies, cancel, and `PUT /file/content`.

use std::collections::{BTreeMap, BTreeSet};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use bytes::{Bytes, BytesMut};
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use serde_json::json;

use super::file::validate_metadata;
use super::{fs_user, lock_conflict, parse_uri};
use crate::app::AppRef;
use crate::auth::Caller;
use crate::binding::{GinJson, GinQuery};
use crate::crypto::EncryptionKey;
use crate::envelope::{ApiError, ApiResult, Success};
use crate::ids::Kind;
use crate::store::{Id, NodeKind, Store, UploadSession, validate_name};
use crate::uri::Fs;

const UPLOAD_META: &str = "sys:upload_session_id";

#[derive(Deserialize)]
pub struct CreateSessionBody {
    uri: Option<String>,
    #[serde(default)]
    size: i64,
    #[serde(default)]
    last_modified: Option<i64>,
    #[serde(default)]
    policy_id: Option<String>,
    #[serde(default)]
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    entity_type: Option<String>,
    #[serde(default)]
    encryption_supported: Option<Vec<String>>,
    #[serde(default)]
    previous: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
}

/// Declared body length: `Content-Length`, or `X-Expected-Entity-Length` for chunked bodies.
/// Like Go's `Request.ContentLength`, a request with neither a length nor a chunked body has
/// length 0.
pub(crate) fn declared_length(h: &HeaderMap) -> Option<u64> {
    let explicit = ["content-length", "x-expected-entity-length"]
        .iter()
        .find_map(|k| {
            h.get(*k)
                .and_then(|v| v.to_str().ok())
                .and_then(|s| s.parse().ok())
        });
    match explicit {
        Some(n) => Some(n),
        None if !h.contains_key("transfer-encoding") => Some(0),
        None => None,
    }
}

/// Read exactly `len` bytes of `body` (extra bytes are ignored, like Go's LimitReader).
pub(crate) async fn read_exact(body: Body, len: u64) -> Result<Bytes, ApiError> {
    let (buf, complete) = read_prefix(body, len).await;
    if !complete {
        return Err(ApiError::io_failed("Failed to upload file"));
    }
    Ok(buf)
}

/// Up to `len` bytes of `body`, and whether all `len` arrived before it ended or failed.
pub(crate) async fn read_prefix(body: Body, len: u64) -> (Bytes, bool) {
    let mut buf = BytesMut::with_capacity(len.min(64 << 20) as usize);
    let mut stream = body.into_data_stream();
    while (buf.len() as u64) < len {
        match stream.next().await {
            Some(Ok(chunk)) => {
                let room = (len - buf.len() as u64) as usize;
                buf.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Some(Err(_)) | None => break,
        }
    }
    let complete = buf.len() as u64 == len;
    (buf.freeze(), complete)
}

/// Remove a session's pending entity (and the placeholder if nothing else remains).
fn discard_pending(store: &mut Store, file: Id, session_id: &str) -> Vec<String> {
    let mut garbage = Vec::new();
    let pending: Vec<Id> = store
        .node(file)
        .entities
        .iter()
        .copied()
        .filter(|e| {
            store
                .entities
                .get(e)
                .and_then(|x| x.pending_session.as_deref())
                == Some(session_id)
        })
        .collect();
    for e in pending {
        garbage.extend(store.release_entity(file, e));
    }
    store.uploads.remove(session_id);
    let n = store.nodes.get_mut(&file).expect("file");
    if n.metadata.get(UPLOAD_META).map(String::as_str) == Some(session_id) {
        n.metadata.remove(UPLOAD_META);
    }
    if n.entities.is_empty() && n.primary.is_none() {
        garbage.extend(store.purge(file));
    }
    garbage
}

/// `PUT /file/upload`: create an upload session and its placeholder.
pub async fn create(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<CreateSessionBody>,
) -> ApiResult {
    let uri = parse_uri(b.uri.as_deref(), "Uri")?;
    if b.size < 0 {
        return Err(ApiError::binding("Size must be at least 0"));
    }
    let size = b.size as u64;
    let entity_type = b.entity_type.unwrap_or_default();
    if !matches!(entity_type.as_str(), "" | "version" | "live_photo") {
        return Err(ApiError::binding("Invalid parameters."));
    }
    if let Some(pid) = b.policy_id.as_deref().filter(|s| !s.is_empty()) {
        app.ids.require(Kind::Policy, pid)?;
    }
    let uid = fs_user(&app, caller, &uri)?;
    if uri.fs != Fs::My {
        return Err(ApiError::not_supported());
    }
    if uri.is_root() {
        return Err(ApiError::object_existed());
    }
    let meta = b.metadata.unwrap_or_default();
    validate_metadata(&meta)?;
    let now = app.now();
    let name = uri.name().to_string();
    let session_id = uuid::Uuid::new_v4().to_string();
    let blob = uuid::Uuid::new_v4().simple().to_string();
    let garbage;
    let policy;
    let key;
    {
        let mut store = app.store();
        store.sweep_uploads(now);
        let root = store.users[&uid].root;
        let parent_segs = &uri.segments[..uri.segments.len() - 1];
        // The server picks the policy (folder, then user, then default); `policy_id` is ignored.
        policy = app.upload_policy(&store, uid, parent_segs);
        // Relay policies encrypt on the server; others only when the client offers it.
        key = (policy.encrypts()
            && (policy.kind == crate::policy::PolicyKind::Relay
                || b.encryption_supported
                    .as_ref()
                    .and_then(|v| v.first())
                    .map(String::as_str)
                    == Some("aes-256-ctr")))
        .then(EncryptionKey::generate);
        let existing = store
            .walk(root, parent_segs)
            .ok()
            .and_then(|p| store.child(p, &name));
        if let Some(e) = existing {
            if store.node(e).is_folder() || entity_type.is_empty() {
                return Err(ApiError::object_existed());
            }
            if let Some(s) = store.lock_of(e, now) {
                return Err(lock_conflict(&store.uri_of(e), &s.lock_token));
            }
            if let Some(prev) = b.previous.as_deref().filter(|s| !s.is_empty()) {
                let pid = app.ids.require(Kind::Entity, prev)?;
                if store.node(e).primary.unwrap_or(0) != pid {
                    return Err(ApiError::stale_version());
                }
            }
        } else if entity_type == "live_photo" {
            return Err(ApiError::path_not_exist());
        }
        validate_name(&name)?;
        if policy.max_size() > 0 && size > policy.max_size() {
            return Err(ApiError::too_large());
        }
        {
            let u = &store.users[&uid];
            if u.used.saturating_add(size) > u.quota {
                return Err(ApiError::insufficient_capacity());
            }
        }
        let parent = store.ensure_folders(uid, root, parent_segs, now)?;
        let (file, new_file) = match existing {
            Some(e) => (e, false),
            None => (
                store.insert_node(uid, parent, &name, NodeKind::File, now),
                true,
            ),
        };
        // Any older pending entity of this file is discarded.
        let stale: Vec<(Id, String)> = store
            .node(file)
            .entities
            .iter()
            .filter_map(|e| {
                store
                    .entities
                    .get(e)
                    .and_then(|x| x.pending_session.clone().map(|s| (*e, s)))
            })
            .collect();
        let mut g = Vec::new();
        for (e, s) in stale {
            g.extend(store.release_entity(file, e));
            store.uploads.remove(&s);
        }
        garbage = g;
        let entity = store.new_entity(
            file,
            size,
            blob.clone(),
            key.clone(),
            Some(session_id.clone()),
            now,
        );
        store
            .nodes
            .get_mut(&file)
            .expect("file")
            .metadata
            .insert(UPLOAD_META.into(), session_id.clone());
        let ttl = chrono::Duration::from_std(app.settings.upload_session_ttl).unwrap_or_default();
        let callback_secret: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(32)
            .map(char::from)
            .collect();
        store.uploads.insert(
            session_id.clone(),
            UploadSession {
                id: session_id.clone(),
                owner: uid,
                file_id: file,
                entity_id: entity,
                size,
                chunk_size: policy.session_chunk_size(),
                received: BTreeSet::new(),
                expires_at: now + ttl,
                last_modified: b
                    .last_modified
                    .and_then(|ms| Utc.timestamp_millis_opt(ms).single()),
                metadata: meta,
                new_file,
                blob: blob.clone(),
                lock_token: uuid::Uuid::new_v4().to_string(),
                callback_secret,
            },
        );
    }
    app.collect_garbage(garbage);
    let (chunk_size, expires, callback_secret) = {
        let store = app.store();
        let s = &store.uploads[&session_id];
        (
            s.chunk_size,
            s.expires_at.timestamp(),
            s.callback_secret.clone(),
        )
    };
    let new = crate::policies::NewSession {
        session_id: &session_id,
        blob: &blob,
        size,
        chunk_size,
        expires,
        callback_secret: &callback_secret,
        mime_type: b.mime_type.as_deref().unwrap_or_default(),
    };
    let extra = crate::policies::begin_upload(&app, policy, new).await;
    if let Err(e) = &extra {
        let mut store = app.store();
        let file = store.uploads.get(&session_id).map(|s| s.file_id);
        let g = file
            .map(|f| discard_pending(&mut store, f, &session_id))
            .unwrap_or_default();
        drop(store);
        app.collect_garbage(g);
        app.policies.forget_session(&session_id);
        return Err(e.clone());
    }
    let store = app.store();
    let s = &store.uploads[&session_id];
    let mut v = json!({
        "session_id": s.id,
        "upload_id": "",
        "chunk_size": s.chunk_size,
        "expires": s.expires_at.timestamp(),
        "storage_policy": policy.to_json(app.ids.encode(Kind::Policy, policy.id)),
        "uri": uri.to_string(),
        "callback_secret": s.callback_secret,
    });
    if let (Some(k), false) = (&key, policy.kind == crate::policy::PolicyKind::Relay) {
        v["encrypt_metadata"] = k.metadata_json();
    }
    for (k, x) in extra.unwrap_or_default() {
        v[k] = x;
    }
    Ok(Success::data(v))
}

/// `POST /file/upload/{session}/{index}`: write one chunk; the last missing chunk completes
/// the upload before the response is sent.
pub async fn chunk(
    State(app): State<AppRef>,
    caller: Caller,
    Path((session_id, index)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::binding("Invalid parameters."))?;
    let now = app.now();
    let policy = app.session_policy(&session_id);
    let (offset, expected, blob, server_key) = {
        let store = app.store();
        let s = store
            .uploads
            .get(&session_id)
            .filter(|s| s.expires_at > now && Some(s.owner) == caller.0)
            .ok_or_else(ApiError::upload_session_expired)?;
        if !policy.via_chunk_endpoint() {
            return Err(ApiError::new(40006, "Storage policy not supported"));
        }
        // Relay sessions are encrypted here, by the server.
        let server_key = (policy.kind == crate::policy::PolicyKind::Relay)
            .then(|| store.entities.get(&s.entity_id).and_then(|e| e.key.clone()))
            .flatten();
        if s.chunk_size == 0 && index > 0 {
            return Err(ApiError::new(40012, "Chunk index cannot be greater than 0"));
        }
        let offset = index.saturating_mul(s.chunk_size);
        if offset > 0 && offset >= s.size {
            return Err(ApiError::new(
                40012,
                "Chunk offset cannot be greater than file size",
            ));
        }
        let expected = if s.chunk_size == 0 {
            s.size
        } else {
            s.chunk_size.min(s.size - offset)
        };
        (offset, expected, s.blob.clone(), server_key)
    };
    if declared_length(&headers) != Some(expected) {
        return Err(ApiError::new(
            40013,
            format!("Invalid Content-Length (expected: {expected})"),
        ));
    }
    // Timings for profiling a client against a simulated line (`RUST_LOG=cirrus_sandbox=debug`).
    let started = std::time::Instant::now();
    let mut data = read_exact(body, expected).await?;
    let read_ms = started.elapsed().as_millis();
    if let Some(k) = &server_key {
        let mut v = data.to_vec();
        k.stream_at(offset).apply(&mut v);
        data = Bytes::from(v);
    }
    if !data.is_empty() {
        policy
            .driver
            .write_at(blob, offset, data)
            .await
            .map_err(|_| ApiError::io_failed("Failed to upload file"))?;
    }
    tracing::debug!(
        index,
        bytes = expected,
        read_ms,
        stored_ms = started.elapsed().as_millis() - read_ms,
        "chunk received"
    );
    {
        let mut store = app.store();
        let Some(s) = store.uploads.get_mut(&session_id) else {
            return Err(ApiError::upload_session_expired());
        };
        s.received.insert(index);
        let done = (s.received.len() as u64) >= s.chunk_count();
        *store
            .received_chunk_bytes
            .entry(session_id.clone())
            .or_default() += expected;
        if !done {
            return Ok(Success::empty());
        }
    }
    complete_session(&app, &session_id)?;
    app.policies.forget_session(&session_id);
    Ok(Success::empty())
}

/// Turn a session's pending entity into the file's current version (last chunk, or a
/// provider callback), release the lock and drop the session.
pub fn complete_session(app: &AppRef, session_id: &str) -> Result<(), ApiError> {
    let now = app.now();
    let garbage = {
        let mut store = app.store();
        let s = store
            .uploads
            .remove(session_id)
            .ok_or_else(ApiError::upload_session_expired)?;
        let g = store.promote_entity(s.file_id, s.entity_id);
        let n = store.nodes.get_mut(&s.file_id).expect("file");
        n.metadata.remove(UPLOAD_META);
        n.metadata.extend(s.metadata);
        n.updated_at = s.last_modified.unwrap_or(now);
        g
    };
    app.collect_garbage(garbage);
    Ok(())
}

#[derive(Deserialize)]
pub struct CancelBody {
    #[serde(default)]
    id: String,
    uri: Option<String>,
}

/// `DELETE /file/upload` `{id, uri}`
pub async fn cancel(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<CancelBody>,
) -> ApiResult {
    if b.id.is_empty() {
        return Err(ApiError::binding("ID cannot be empty"));
    }
    let uri = parse_uri(b.uri.as_deref(), "Uri")?;
    let uid = fs_user(&app, caller, &uri)?;
    let garbage = {
        let mut store = app.store();
        let file = store
            .resolve(uid, &uri)?
            .ok_or_else(ApiError::not_supported)?;
        match store.uploads.get(&b.id) {
            Some(s) if s.owner != uid || s.file_id != file => {
                return Err(ApiError::new(404, "Upload session not found"));
            }
            _ => {}
        }
        discard_pending(&mut store, file, &b.id)
    };
    crate::policies::cancel_upload(&app, &b.id).await;
    app.collect_garbage(garbage);
    Ok(Success::empty())
}

#[derive(Deserialize)]
pub struct PutContentQuery {
    uri: Option<String>,
    previous: Option<String>,
}

/// `PUT /file/content`: write a whole small file (new file or new version).
pub async fn put_content(
    State(app): State<AppRef>,
    caller: Caller,
    GinQuery(q): GinQuery<PutContentQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult {
    let uri = parse_uri(q.uri.as_deref(), "Uri")?;
    let uid = fs_user(&app, caller, &uri)?;
    if uri.fs != Fs::My || uri.is_root() {
        return Err(ApiError::not_supported());
    }
    let len = declared_length(&headers).unwrap_or(0);
    if len > app.settings.max_edit_size {
        return Err(ApiError::too_large());
    }
    let name = uri.name().to_string();
    validate_name(&name)?;
    let now = app.now();
    let check = |store: &Store| -> Result<Option<Id>, ApiError> {
        let root = store.users[&uid].root;
        let existing = store
            .walk(root, &uri.segments[..uri.segments.len() - 1])
            .ok()
            .and_then(|p| store.child(p, &name));
        if let Some(e) = existing {
            if store.node(e).is_folder() {
                return Err(ApiError::object_existed());
            }
            if let Some(s) = store.lock_of(e, now) {
                return Err(lock_conflict(&store.uri_of(e), &s.lock_token));
            }
            if let Some(prev) = q.previous.as_deref().filter(|s| !s.is_empty()) {
                let pid = app.ids.require(Kind::Entity, prev)?;
                if store.node(e).primary.unwrap_or(0) != pid {
                    return Err(ApiError::stale_version());
                }
            }
        }
        let u = &store.users[&uid];
        if u.used.saturating_add(len) > u.quota {
            return Err(ApiError::insufficient_capacity());
        }
        Ok(existing)
    };
    check(&app.store())?;
    let mut data = read_exact(body, len).await?.to_vec();
    // Server-originated writes are encrypted by the server on encrypting policies.
    let key = app.policy.encrypts().then(EncryptionKey::generate);
    if let Some(k) = &key {
        k.stream_at(0).apply(&mut data);
    }
    let blob = uuid::Uuid::new_v4().simple().to_string();
    app.policy
        .driver
        .put(blob.clone(), Bytes::from(data))
        .await
        .map_err(|_| ApiError::io_failed("Failed to upload file"))?;
    let (resp, garbage) = {
        let mut store = app.store();
        let existing = match check(&store) {
            Ok(e) => e,
            Err(e) => {
                drop(store);
                app.collect_garbage(vec![blob]);
                return Err(e);
            }
        };
        let file = match existing {
            Some(f) => f,
            None => {
                let root = store.users[&uid].root;
                let parent = store.ensure_folders(
                    uid,
                    root,
                    &uri.segments[..uri.segments.len() - 1],
                    now,
                )?;
                store.insert_node(uid, parent, &name, NodeKind::File, now)
            }
        };
        let entity = store.new_entity(file, len, blob, key, None, now);
        let g = store.promote_entity(file, entity);
        store.nodes.get_mut(&file).expect("file").updated_at = now;
        (app.file_json_at_home(&store, file, false), g)
    };
    app.collect_garbage(garbage);
    Ok(Success::data(resp))
}
