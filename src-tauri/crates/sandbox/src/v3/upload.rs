//! Uploads as 3.8.3 hands them out: `PUT /file/upload` (camelCase credential, `policy_id`
//! checked, no overwrite), in-order chunks with exact lengths for the local policy, the
//! provider flows through the shared policy stores, cancel, and `PUT /file/update/:id`.

use std::collections::BTreeSet;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::explorer::{UPLOAD_META, create_directory, is_placeholder};
use super::{E3, J3, Login, R3, V3, V3Ref, err, legal_name, param_err, split_path};
use crate::envelope::Success;
use crate::ids::Kind;
use crate::policy::{Policy, PolicyKind};
use crate::store::{Id, NodeKind, Store, UploadSession};

impl V3 {
    /// The policy uploads below `segs` get. Kinds 3.8.3 does not have (relay, KS3, OBS) fall
    /// back to the local policy.
    pub fn policy_for(&self, store: &Store, uid: Id, segs: &[String]) -> &Policy {
        let p = self.app.upload_policy(store, uid, segs);
        match p.kind {
            PolicyKind::Relay | PolicyKind::Ks3 | PolicyKind::Obs => &self.app.policy,
            _ => p,
        }
    }

    /// `PolicySummary` of a listing.
    pub fn policy_summary(&self, p: &Policy) -> Value {
        json!({
            "id": self.app.ids.encode(Kind::Policy, p.id),
            "name": p.name,
            "type": p.kind.type_name(),
            "max_size": p.max_size(),
            "file_type": null,
        })
    }

    /// The placeholder file of upload session `sid` owned by `uid`.
    fn placeholder_of(&self, store: &Store, uid: Id, sid: &str) -> Option<Id> {
        if let Some(s) = store.uploads.get(sid) {
            return (s.owner == uid).then_some(s.file_id);
        }
        store
            .nodes
            .values()
            .find(|n| {
                n.owner == uid && n.metadata.get(UPLOAD_META).map(String::as_str) == Some(sid)
            })
            .map(|n| n.id)
    }
}

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(default)]
    path: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    name: String,
    #[serde(default)]
    policy_id: String,
    #[serde(default)]
    last_modified: i64,
    #[serde(default)]
    mime_type: String,
}

/// Map the provider fields of a shared session start onto v3's `UploadCredential`.
fn credential_json(sid: &str, chunk_size: u64, expires: i64, extra: Map<String, Value>) -> Value {
    let mut v = json!({"sessionID": sid, "chunkSize": chunk_size, "expires": expires});
    for (k, x) in extra {
        let key = match k.as_str() {
            "upload_urls" => "uploadURLs",
            "upload_id" => "uploadID",
            "credential" => "credential",
            "completeURL" | "complete_url" => "completeURL",
            "upload_policy" => "policy",
            "callback" => "callback",
            "path" => "path",
            "ak" => "ak",
            "keyTime" => "keyTime",
            _ => continue,
        };
        if !(x.is_null() || x.as_str() == Some("")) {
            v[key] = x;
        }
    }
    v
}

/// `PUT /file/upload` `{path, size, name, policy_id, last_modified, mime_type}`
pub async fn create(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<CreateBody>) -> R3 {
    if b.path.is_empty() {
        return Err(param_err("Path cannot be empty"));
    }
    if b.name.is_empty() {
        return Err(param_err("Name cannot be empty"));
    }
    if b.policy_id.is_empty() {
        return Err(param_err("PolicyID cannot be empty"));
    }
    let app = &v3.app;
    let pid = app
        .ids
        .decode(Kind::Policy, &b.policy_id)
        .ok_or_else(|| err(40035, ""))?;
    let now = app.now();
    let segs = split_path(&b.path).unwrap_or_default();
    let session_id = uuid::Uuid::new_v4().to_string();
    let blob = uuid::Uuid::new_v4().simple().to_string();
    let ttl = chrono::Duration::from_std(app.settings.upload_session_ttl).unwrap_or_default();
    let expires = now + ttl;
    let callback_secret = super::rand_string(32);
    let policy = {
        let mut store = app.store();
        let policy = v3.policy_for(&store, uid, &segs);
        if policy.id != pid {
            return Err(err(
                40006,
                "存储策略发生变化，请刷新文件列表并重新添加此任务",
            ));
        }
        if policy.max_size() > 0 && b.size > policy.max_size() {
            return Err(err(40049, "File is too large"));
        }
        if !legal_name(&b.name) {
            return Err(err(40052, "Invalid object name"));
        }
        let u = &store.users[&uid];
        if u.quota.saturating_sub(u.used) < b.size {
            return Err(err(40051, "Insufficient capacity"));
        }
        check_free(&mut store, &v3, uid, &segs, &b.name, now)?;
        policy
    };
    let chunk_size = policy.session_chunk_size();
    // The driver's Token: provider side first, as 3.8.3 does before the placeholder.
    let new_session = crate::policies::NewSession {
        session_id: &session_id,
        blob: &blob,
        size: b.size,
        chunk_size,
        expires: expires.timestamp(),
        callback_secret: &callback_secret,
        mime_type: &b.mime_type,
    };
    let extra = if policy.kind == PolicyKind::Cos {
        // 3.8.3's COS driver hands out a signed form-upload policy, not multipart parts.
        crate::policies::record_session(app, policy, &new_session);
        crate::policies::s3::cos_form::begin(app, &new_session, policy.max_size())
    } else {
        crate::policies::begin_upload(app, policy, new_session)
            .await
            .map_err(E3::from)?
    };
    let placed = (|| -> Result<(), E3> {
        let mut store = app.store();
        check_free(&mut store, &v3, uid, &segs, &b.name, now)?;
        let parent = create_directory(&mut store, uid, &b.path)?;
        let file = store.insert_node(uid, parent, &b.name, NodeKind::File, now);
        let entity = store.new_entity(
            file,
            b.size,
            blob.clone(),
            None,
            Some(session_id.clone()),
            now,
        );
        store
            .nodes
            .get_mut(&file)
            .expect("file")
            .metadata
            .insert(UPLOAD_META.into(), session_id.clone());
        store.uploads.insert(
            session_id.clone(),
            UploadSession {
                id: session_id.clone(),
                owner: uid,
                file_id: file,
                entity_id: entity,
                size: b.size,
                chunk_size,
                received: BTreeSet::new(),
                expires_at: expires,
                last_modified: (b.last_modified > 0)
                    .then(|| Utc.timestamp_millis_opt(b.last_modified).single())
                    .flatten(),
                metadata: Default::default(),
                new_file: true,
                blob: blob.clone(),
                lock_token: uuid::Uuid::new_v4().to_string(),
                callback_secret: callback_secret.clone(),
            },
        );
        Ok(())
    })();
    if let Err(e) = placed {
        crate::policies::cancel_upload(app, &session_id).await;
        app.collect_garbage(vec![blob]);
        return Err(e);
    }
    Ok(Success::data(credential_json(
        &session_id,
        chunk_size,
        expires.timestamp(),
        extra,
    )))
}

/// `GenericAfterUpload`'s clash check: a finished file is 40004, a file still being uploaded
/// 40054. A placeholder whose session is gone is collected first (Cloudreve's cron job).
fn check_free(
    store: &mut Store,
    v3: &V3,
    uid: Id,
    segs: &[String],
    name: &str,
    now: chrono::DateTime<Utc>,
) -> Result<(), E3> {
    let Some(folder) = v3.folder_at(store, uid, &format!("/{}", segs.join("/"))) else {
        return Ok(());
    };
    let Some(f) = store.children[&folder].files.get(name).copied() else {
        if store.children[&folder].folders.contains_key(name) {
            return Err(err(40004, "Object existed"));
        }
        return Ok(());
    };
    let n = store.node(f);
    if !is_placeholder(n) {
        return Err(err(40004, "Object existed"));
    }
    let sid = n.metadata[UPLOAD_META].clone();
    let live = store.uploads.get(&sid).is_some_and(|s| s.expires_at > now);
    if live {
        return Err(err(40054, "Upload session existed"));
    }
    store.uploads.remove(&sid);
    let garbage = store.purge(f);
    v3.app.collect_garbage(garbage);
    Ok(())
}

/// `POST /file/upload/:sessionId/:index`: local policy only; chunks in order from 0, each
/// with exactly the expected `Content-Length`; re-sending a chunk drops the later ones.
pub async fn chunk(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    Path((sid, index)): Path<(String, String)>,
    headers: HeaderMap,
    body: Body,
) -> R3 {
    let index: i64 = index.parse().map_err(|_| param_err("Parameter error"))?;
    if index < 0 {
        return Err(param_err("Index too short"));
    }
    let index = index as u64;
    let app = &v3.app;
    let now = app.now();
    let policy = app.session_policy(&sid);
    let (offset, expected, blob, last) = {
        let store = app.store();
        let s = store
            .uploads
            .get(&sid)
            .filter(|s| s.expires_at > now && s.owner == uid)
            .ok_or_else(|| err(40011, ""))?;
        if policy.kind != PolicyKind::Local {
            return Err(err(40006, ""));
        }
        if s.chunk_size == 0 && index > 0 {
            return Err(err(40012, "Chunk index cannot be greater than 0"));
        }
        let received = (s.received.len() as u64)
            .saturating_mul(s.chunk_size)
            .min(s.size);
        let offset = index.saturating_mul(s.chunk_size);
        if received < offset {
            return Err(err(40012, "Chunk must be uploaded in order"));
        }
        let last = s.chunk_size == 0 || (index + 1).saturating_mul(s.chunk_size) >= s.size;
        let expected = if last { s.size - offset } else { s.chunk_size };
        (offset, expected, s.blob.clone(), last)
    };
    let declared = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok());
    if declared != Some(expected) {
        return Err(err(
            40013,
            format!("Invalid Content-Length (expected: {expected})"),
        ));
    }
    let truncate = |store: &mut Store, upto: u64| {
        if let Some(s) = store.uploads.get_mut(&sid) {
            s.received = (0..upto).collect();
        }
    };
    let (data, complete) = crate::routes::upload::read_prefix(body, expected).await;
    if !complete {
        truncate(&mut app.store(), index);
        return Err(err(40002, "Failed to read file data"));
    }
    if !data.is_empty() && policy.driver.write_at(blob, offset, data).await.is_err() {
        truncate(&mut app.store(), index);
        return Err(err(40002, "Failed to read file data"));
    }
    {
        let mut store = app.store();
        if !store.uploads.contains_key(&sid) {
            return Err(err(40011, ""));
        }
        truncate(&mut store, index + 1);
        *store.received_chunk_bytes.entry(sid.clone()).or_default() += expected;
    }
    if last {
        crate::routes::upload::complete_session(app, &sid).map_err(E3::from)?;
        app.policies.forget_session(&sid);
    }
    Ok(Success::empty())
}

/// `DELETE /file/upload/:sessionId`: deletes the placeholder (and the provider session).
pub async fn cancel(State(v3): State<V3Ref>, Login(uid): Login, Path(sid): Path<String>) -> R3 {
    let file = {
        let store = v3.app.store();
        v3.placeholder_of(&store, uid, &sid)
            .ok_or_else(|| err(40011, ""))?
    };
    v3.delete_objects(uid, &[file], &[]).await;
    Ok(Success::empty())
}

/// `DELETE /file/upload`: every placeholder of the user.
pub async fn cancel_all(State(v3): State<V3Ref>, Login(uid): Login) -> R3 {
    let files: Vec<Id> = {
        let store = v3.app.store();
        store
            .nodes
            .values()
            .filter(|n| n.owner == uid && n.kind == NodeKind::File && is_placeholder(n))
            .map(|n| n.id)
            .collect()
    };
    v3.delete_objects(uid, &files, &[]).await;
    Ok(Success::empty())
}

/// `PUT /file/update/:id`: replace a file's bytes with the raw body (`Content-Length`).
pub async fn update_content(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> R3 {
    let app = &v3.app;
    let raw = app
        .ids
        .decode(Kind::File, &id)
        .ok_or_else(|| param_err("Failed to parse object ID"))?;
    let file = {
        let store = app.store();
        v3.owned_file(&store, uid, raw)
            .filter(|f| !is_placeholder(store.node(*f)))
            .ok_or_else(|| err(40016, "Object not exist"))?
    };
    let len = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or(0);
    {
        let store = app.store();
        let u = &store.users[&uid];
        let old = store.node(file).size;
        if len > old && u.quota.saturating_sub(u.used) < len - old {
            return Err(err(40051, "Insufficient capacity"));
        }
    }
    let data = crate::routes::upload::read_exact(body, len)
        .await
        .map_err(|_| err(40002, "Failed to read file data"))?;
    let blob = uuid::Uuid::new_v4().simple().to_string();
    app.policy
        .driver
        .put(blob.clone(), data)
        .await
        .map_err(|_| err(50004, "Failed to read file data"))?;
    let garbage = {
        let mut store = app.store();
        if !store.nodes.contains_key(&file) {
            drop(store);
            app.collect_garbage(vec![blob]);
            return Err(err(40016, "Object not exist"));
        }
        let now = app.now();
        let e = store.new_entity(file, len, blob, None, None, now);
        let g = store.promote_entity(file, e);
        store.nodes.get_mut(&file).expect("file").updated_at = now;
        g
    };
    app.collect_garbage(garbage);
    Ok(Success::empty())
}

/// `UseUploadSession(type)` + the driver's callback check, then the placeholder becomes the
/// file. Callback failures are HTTP 401 with an envelope, like Cloudreve's callback auth.
async fn finish_callback(v3: &V3, sid: &str, types: &[&str]) -> Response {
    let app = &v3.app;
    let ok = app.store().uploads.contains_key(sid)
        && types.contains(&app.session_policy(sid).kind.type_name());
    if !ok {
        return (
            StatusCode::UNAUTHORIZED,
            E3::from(crate::envelope::ApiError::new(
                40011,
                "Upload session does not exist or expired",
            )),
        )
            .into_response();
    }
    if let Err(e) = crate::policies::verify_stored(app, sid).await {
        return E3::from(e).into_response();
    }
    match crate::routes::upload::complete_session(app, sid) {
        Ok(()) => {
            app.policies.forget_session(sid);
            Success::empty().into_response()
        }
        Err(e) => E3::from(e).into_response(),
    }
}

/// `POST /callback/onedrive/finish/:sessionID` (sent by the client with `{}`).
pub async fn callback_onedrive(State(v3): State<V3Ref>, Path(sid): Path<String>) -> Response {
    finish_callback(&v3, &sid, &["onedrive"]).await
}

/// `GET /callback/s3/:sessionID` (sent by the client after completing the multipart upload).
pub async fn callback_s3(State(v3): State<V3Ref>, Path(sid): Path<String>) -> Response {
    finish_callback(&v3, &sid, &["s3"]).await
}

/// `GET /callback/cos/:sessionID` (sent by the client after its form upload).
pub async fn callback_cos(State(v3): State<V3Ref>, Path(sid): Path<String>) -> Response {
    finish_callback(&v3, &sid, &["cos"]).await
}
