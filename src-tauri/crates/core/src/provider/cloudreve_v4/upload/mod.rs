//! Uploads: session creation, then per-storage-policy chunk transport. `local` covers the
//! local policy and every relay policy (data goes through Cloudreve); the storage transports
//! shared with the v3 provider live in [`crate::provider::store_upload`]: `remote` (slave
//! nodes), `s3` (S3, KS3, COS, OBS, OSS), `onedrive`, `qiniu` (resumable upload v2 parts,
//! completed through the store's callback) and `upyun` (the whole file in one form POST, so
//! its sessions get `chunk_size` 0). This module is their [`UploadHost`].
//!
//! Client-side encryption is policy-agnostic: when the session carries encryption metadata
//! (and the policy does not relay), the engine encrypts the chunks before any transport sees
//! them.

mod local;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Method;
use serde_json::json;

use async_trait::async_trait;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::model::{Entry, ListOptions, RemoteRef};
use crate::provider::store_upload::{
    UploadHost, completed_entry, confirm_completed, onedrive, qiniu, remote, s3,
    single_chunk_entry, upyun,
};
use crate::provider::upload_types::{
    ChunkData, ChunkReceipt, ChunkReceipts, EncryptionParams, UploadRequest, UploadSession,
};

use super::CloudreveV4;
use super::api::Body;
use super::uri::CloudreveUri;
use super::wire::UploadSessionWire;

pub use crate::provider::store_upload::PolicyState;

/// The v4 side of the shared storage transports.
#[async_trait]
impl UploadHost for CloudreveV4 {
    fn http(&self) -> &reqwest::Client {
        self.api.http()
    }

    /// `GET /callback/{type}/{session}/{secret}` (S3, KS3, COS) or
    /// `POST /callback/onedrive/{session}/{secret}`.
    async fn client_callback(&self, session: &UploadSession, state: &PolicyState) -> Result<()> {
        let method = if state.kind == "onedrive" {
            Method::POST
        } else {
            Method::GET
        };
        let path = format!(
            "callback/{}/{}/{}",
            state.kind, session.id, state.callback_secret
        );
        self.api
            .envelope(
                method,
                &path,
                &[],
                Body::None,
                Some(crate::net::CONTROL_TIMEOUT),
            )
            .await?
            .into_data()
            .map(|_| ())
    }

    async fn uploaded_file(
        &self,
        session: &UploadSession,
        _state: &PolicyState,
    ) -> Result<Option<Entry>> {
        let entry = self.stat_impl(&session.target).await?;
        Ok((!entry.uploading).then_some(entry))
    }
}

/// Multipart parts an S3-family upload keeps in flight at least.
pub const S3_PARTS_IN_FLIGHT: u32 = 4;

/// How chunks travel for a given policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// `POST /api/v4/file/upload/{id}/{index}` (local policy or relay).
    Local,
    /// `POST {upload_urls[0]}?chunk={index}` to a slave node.
    Remote,
    /// Presigned `UploadPart` PUTs, then `CompleteMultipartUpload`.
    S3(s3::Completion),
    /// Ordered `Content-Range` PUTs to a Graph upload session.
    OneDrive,
    /// `UpToken` part PUTs, then the part list (the store calls Cloudreve back).
    Qiniu,
    /// One `multipart/form-data` POST of the whole file (the service notifies Cloudreve).
    Upyun,
}

fn transport(p: &PolicyState) -> Option<Transport> {
    if p.relay || p.kind == "local" {
        Some(Transport::Local)
    } else if p.kind == "remote" {
        Some(Transport::Remote)
    } else if p.kind == "onedrive" {
        Some(Transport::OneDrive)
    } else if p.kind == "qiniu" {
        Some(Transport::Qiniu)
    } else if p.kind == "upyun" {
        Some(Transport::Upyun)
    } else {
        s3::Completion::of(&p.kind).map(Transport::S3)
    }
}

fn policy_state(session: &UploadSession) -> Result<PolicyState> {
    serde_json::from_value(session.policy.clone()).map_err(|e| {
        Error::invalid(format!(
            "This upload session was not created by the Cloudreve v4 provider: {e}"
        ))
    })
}

fn decode_encryption(w: &super::wire::EncryptMetaWire) -> Result<EncryptionParams> {
    if w.algorithm != "aes-256-ctr" {
        return Err(Error::protocol(format!(
            "Unsupported encryption algorithm {}",
            w.algorithm
        )));
    }
    let key = w
        .key_plain_text
        .as_deref()
        .and_then(|k| STANDARD.decode(k).ok());
    let iv = w.iv.as_deref().and_then(|k| STANDARD.decode(k).ok());
    match (
        key.and_then(|k| <[u8; 32]>::try_from(k).ok()),
        iv.and_then(|i| <[u8; 16]>::try_from(i).ok()),
    ) {
        (Some(key), Some(iv)) => Ok(EncryptionParams { key, iv }),
        _ => Err(Error::protocol(
            "The server sent invalid encryption parameters.",
        )),
    }
}

/// `PUT /file/upload`.
pub(super) async fn begin(
    p: &CloudreveV4,
    req: &UploadRequest,
    target: &RemoteRef,
) -> Result<UploadSession> {
    let parent = CloudreveUri::parse(req.parent.as_str())?.to_uri_string();
    let cached = p.policy_hints.get(&parent);
    let from_cache = cached.is_some();
    let policy_id = match cached {
        Some(id) => id,
        None => policy_of(p, &parent).await?,
    };
    let w = match create_session(p, req, target, policy_id.as_deref()).await {
        // A remembered policy the server no longer decodes (40001): look it up again, once.
        Err(e) if from_cache && e.server_code() == Some(40001) => {
            p.policy_hints.forget(&parent);
            let fresh = policy_of(p, &parent).await?;
            create_session(p, req, target, fresh.as_deref()).await?
        }
        other => other?,
    };
    let policy = w.storage_policy.clone().unwrap_or_default();
    let state = PolicyState {
        kind: policy.kind.clone(),
        relay: policy.relay,
        size: req.size,
        upload_urls: w.upload_urls.clone().unwrap_or_default(),
        credential: w.credential.clone(),
        complete_url: w.complete_url.clone(),
        upload_id: w.upload_id.clone(),
        callback_secret: w.callback_secret.clone(),
        upload_policy: w.upload_policy.clone(),
        mime_type: w.mime_type.clone(),
        // Cloudreve 4 uploads COS in S3-style parts, never as a signed form.
        cos_form: None,
    };
    let transport = transport(&state);
    let session = UploadSession {
        id: w.session_id.clone(),
        target: if w.uri.is_empty() {
            target.clone()
        } else {
            RemoteRef::new(w.uri.clone())
        },
        // The form API takes the whole file in one request, whatever the policy's chunk size.
        chunk_size: if transport == Some(Transport::Upyun) {
            0
        } else {
            w.chunk_size
        },
        chunk_concurrency: match transport {
            // Graph upload sessions take byte ranges strictly in order; one form POST.
            Some(Transport::OneDrive | Transport::Upyun) => 1,
            // Parts of a multipart upload are independent objects until completion, and
            // each part waits a round trip for its answer: a few in flight keep the line
            // busy whatever the policy's setting (which is about Cloudreve's own server).
            Some(Transport::S3(_)) => policy
                .chunk_concurrency
                .unwrap_or(1)
                .max(S3_PARTS_IN_FLIGHT),
            _ => policy.chunk_concurrency.unwrap_or(1).max(1),
        },
        expires_at: w.expires,
        encryption: match &w.encrypt_metadata {
            Some(m) if !state.relay => Some(decode_encryption(m)?),
            _ => None,
        },
        policy: serde_json::to_value(&state)?,
        complete: false,
    };
    if transport == Some(Transport::OneDrive) && req.size == 0 {
        let _ = cancel(p, &session).await;
        return Err(Error::with_message(
            ErrorKind::Unsupported,
            "OneDrive storage cannot take empty files from clients (no byte range to send).",
        ));
    }
    if transport.is_none() {
        // Do not leave a locked placeholder behind for a policy we cannot feed.
        let _ = cancel(p, &session).await;
        return Err(Error::unsupported(&format!(
            "uploads to \"{}\" storage policies (yet)",
            state.kind
        )));
    }
    Ok(session)
}

/// The storage policy id of `parent` from its listing (remembered per folder: many files go
/// to the same one). The server wants a decodable id, then uses the owner's policy anyway. A
/// missing parent is created by the upload itself.
async fn policy_of(p: &CloudreveV4, parent: &str) -> Result<Option<String>> {
    let _one_at_a_time = p.policy_hints.lookup_guard().await;
    if let Some(id) = p.policy_hints.get(parent) {
        return Ok(id);
    }
    let opts = ListOptions {
        page_size: Some(1),
        ..Default::default()
    };
    let id = match p.list_raw(parent, Some(&opts), None).await {
        Ok(l) => l.storage_policy.map(|s| s.id).filter(|s| !s.is_empty()),
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    p.policy_hints.remember(parent, id.clone());
    Ok(id)
}

/// `PUT /file/upload`.
async fn create_session(
    p: &CloudreveV4,
    req: &UploadRequest,
    target: &RemoteRef,
    policy_id: Option<&str>,
) -> Result<UploadSessionWire> {
    let mut body = json!({
        "uri": target.as_str(),
        "size": req.size,
        "entity_type": if req.overwrite { "version" } else { "" },
    });
    if let Some(id) = policy_id {
        body["policy_id"] = json!(id);
    }
    if let Some(ms) = req.modified_ms {
        body["last_modified"] = json!(ms);
    }
    if let Some(m) = &req.mime {
        body["mime_type"] = json!(m);
    }
    if req.want_client_encryption {
        body["encryption_supported"] = json!(["aes-256-ctr"]);
    }
    p.api
        .call(Method::PUT, "file/upload", &[], Body::Json(body))
        .await
}

/// Send one chunk with its exact length.
pub(super) async fn chunk(
    p: &CloudreveV4,
    session: &UploadSession,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let state = policy_state(session)?;
    let count = session.chunk_count(state.size);
    if index >= count {
        return Err(Error::invalid(format!(
            "Chunk {index} is out of range (the upload has {count} chunks)."
        )));
    }
    let expected = session.chunk_len(state.size, index);
    if data.len() != expected {
        return Err(Error::invalid(format!(
            "Chunk {index} must be exactly {expected} bytes, got {}.",
            data.len()
        )));
    }
    let sent = match transport(&state) {
        Some(Transport::Local) => local::upload_chunk(p, session, index, data).await,
        Some(Transport::Remote) => remote::upload_chunk(p, &state, index, data).await,
        Some(Transport::S3(_)) => return s3::upload_part(p, &state, index, data).await,
        Some(Transport::OneDrive) => {
            return onedrive::upload_chunk(p, session, &state, index, data).await;
        }
        // Both check the file themselves when the store says the upload is gone or refused.
        Some(Transport::Qiniu) => {
            return qiniu::upload_part(p, session, &state, index, data).await;
        }
        Some(Transport::Upyun) => return upyun::upload(p, session, &state, data).await,
        None => Err(Error::unsupported(&format!(
            "uploads to \"{}\" storage policies (yet)",
            state.kind
        ))),
    };
    match sent {
        Ok(()) => Ok(ChunkReceipt::default()),
        // The request carrying the last chunk completes the upload and closes the session.
        // If its answer was lost, the retry finds no session: the file tells whether it
        // completed.
        Err(e) if e.kind() == ErrorKind::UploadSessionExpired => {
            confirm_completed(p, session, &state, e)
                .await
                .map(|_| ChunkReceipt::default())
        }
        Err(e) => Err(e),
    }
}

/// Completes the upload the way the storage policy needs and returns the file.
/// Local/relay/remote uploads complete inside the last chunk's request, Upyun ones when the
/// service notifies Cloudreve; confirm and stat.
pub(super) async fn finish(
    p: &CloudreveV4,
    session: &UploadSession,
    receipts: &ChunkReceipts,
) -> Result<Entry> {
    let state = policy_state(session)?;
    match transport(&state) {
        Some(Transport::S3(how)) => s3::finish(p, session, &state, how, receipts).await,
        Some(Transport::OneDrive) => onedrive::finish(p, session, &state).await,
        Some(Transport::Qiniu) => qiniu::finish(p, session, &state, receipts).await,
        Some(Transport::Upyun) => upyun::finish(p, session, &state).await,
        // One chunk: the answer to it was the server completing the upload (it answers with an
        // error otherwise), so asking again would only cost a request per small file.
        _ if session.chunk_count(state.size) == 1 => {
            let name = CloudreveUri::parse(session.target.as_str())
                .map(|u| u.name().to_string())
                .unwrap_or_default();
            Ok(single_chunk_entry(session, name, state.size))
        }
        _ => completed_entry(p, session, &state).await,
    }
}

/// `DELETE /file/upload`; a session the server no longer knows counts as cancelled.
/// Qiniu multipart uploads are then aborted on the store too, best effort. Not before:
/// Cloudreve aborts them itself while cancelling, and fails the cancel when the store says
/// the upload is already gone.
pub(super) async fn cancel(p: &CloudreveV4, session: &UploadSession) -> Result<()> {
    let body = json!({ "id": session.id, "uri": session.target.as_str() });
    let result = match p
        .api
        .call_unit(Method::DELETE, "file/upload", &[], Body::Json(body))
        .await
    {
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        other => other,
    };
    if let Ok(state) = policy_state(session)
        && transport(&state) == Some(Transport::Qiniu)
    {
        qiniu::abort(p, &state).await;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transports_by_policy() {
        let mut s = PolicyState {
            kind: "local".into(),
            ..Default::default()
        };
        assert_eq!(transport(&s), Some(Transport::Local));
        s.kind = "s3".into();
        assert_eq!(
            transport(&s),
            Some(Transport::S3(s3::Completion::ClientCallback))
        );
        s.kind = "oss".into();
        assert_eq!(
            transport(&s),
            Some(Transport::S3(s3::Completion::StorageCallback))
        );
        s.kind = "onedrive".into();
        assert_eq!(transport(&s), Some(Transport::OneDrive));
        s.kind = "qiniu".into();
        assert_eq!(transport(&s), Some(Transport::Qiniu));
        s.kind = "upyun".into();
        assert_eq!(transport(&s), Some(Transport::Upyun));
        s.kind = "dropbox".into();
        assert_eq!(transport(&s), None);
        s.relay = true;
        assert_eq!(transport(&s), Some(Transport::Local));
        s = PolicyState {
            kind: "remote".into(),
            ..Default::default()
        };
        assert_eq!(transport(&s), Some(Transport::Remote));
    }

    #[test]
    fn stored_sessions_without_the_newer_fields_still_decode() {
        let s: PolicyState = serde_json::from_value(json!({
            "type": "s3", "size": 5, "upload_urls": ["u"], "upload_id": "x"
        }))
        .unwrap();
        assert_eq!(s.kind, "s3");
        assert_eq!(s.upload_policy, None);
        assert_eq!(s.mime_type, None);
        let back: PolicyState = serde_json::from_value(
            serde_json::to_value(PolicyState {
                kind: "upyun".into(),
                upload_policy: Some("cG9s".into()),
                mime_type: Some("text/plain".into()),
                ..Default::default()
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(back.upload_policy.as_deref(), Some("cG9s"));
        assert_eq!(back.mime_type.as_deref(), Some("text/plain"));
    }

    #[test]
    fn encryption_metadata_decodes() {
        let w: super::super::wire::EncryptMetaWire = serde_json::from_value(json!({
            "algorithm": "aes-256-ctr", "key": null,
            "key_plain_text": STANDARD.encode([1u8; 32]), "iv": STANDARD.encode([2u8; 16])
        }))
        .unwrap();
        let e = decode_encryption(&w).unwrap();
        assert_eq!(e.key, [1; 32]);
        assert_eq!(e.iv, [2; 16]);
    }
}
