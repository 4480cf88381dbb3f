//! v3 uploads: `PUT /file/upload` (parent path, name and the user's policy id), then chunks
//! per storage policy, completed by the last chunk (local, slave node).
//!
//! Conflicts. v3 cannot overwrite on upload (a clash is 40004) and lets a file take a
//! folder's name. So, before any byte goes, the parent's listing decides: a folder of that
//! name is always a conflict; a file of that name is a conflict unless the request says
//! overwrite. Keep-both needs nothing special (the engine picks a free name on
//! `AlreadyExists`). Overwrite uploads the new content under a temporary name next to the
//! old file; only once the new file is complete is the old one renamed aside, the new one
//! renamed into place and the old one deleted. If the swap fails half way the old file is
//! put back. The remote file is never deleted before its replacement is complete, and a
//! failed or cancelled upload leaves the old file untouched.

use async_trait::async_trait;
use rand::Rng;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::model::{Entry, EntryKind};
use crate::provider::store_upload::{
    PolicyState, UploadHost, completed_entry, confirm_completed, cos_form, onedrive, qiniu, remote,
    s3, single_chunk_entry, upyun,
};
use crate::provider::upload_types::{
    ChunkData, ChunkReceipt, ChunkReceipts, UploadRequest, UploadSession,
};

use super::CloudreveV3;
use super::api::Body;
use super::codes::{CODE_POLICY_CHANGED, CODE_POLICY_NOT_ALLOWED};
use super::refs::{V3Ref, join};
use super::wire::UploadCredentialWire;

/// Characters Cloudreve 3 refuses in a name.
const FORBIDDEN: &[char] = &['\\', '/', ':', '*', '?', '"', '<', '>', '|'];

/// Cloudreve 3's name rules (`ValidateLegalName`): 1 to 255 bytes, none of
/// `\ / : * ? " < > |`, not ending in a space; and not a dot name.
pub fn check_name(name: &str) -> Result<()> {
    let refuse = |why: String| {
        Err(Error::with_message(
            ErrorKind::InvalidName,
            format!("The server does not accept the name \"{name}\": {why}"),
        ))
    };
    if name.is_empty() || name == "." || name == ".." {
        return refuse("it is empty or a dot name.".into());
    }
    if name.len() > 255 {
        return refuse(format!(
            "it is {} bytes long, and the limit is 255 bytes.",
            name.len()
        ));
    }
    if let Some(c) = name.chars().find(|c| FORBIDDEN.contains(c)) {
        return refuse(format!("it contains the character '{c}'."));
    }
    if name.ends_with(' ') {
        return refuse("it ends with a space.".into());
    }
    Ok(())
}

/// Provider-private part of an `UploadSession` (in `UploadSession::policy`): the storage
/// side (shared with the v4 provider's transports) plus where the file goes.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct V3UploadState {
    /// Marks sessions of this provider.
    pub v3: bool,
    /// Folder the file goes to.
    pub parent: String,
    /// Name the bytes are uploaded under.
    pub name: String,
    /// For an overwrite: the name the file must end up with (the old file's).
    #[serde(default)]
    pub replaces: Option<String>,
    /// Policy type, size, upload URLs, credentials.
    #[serde(flatten)]
    pub store: PolicyState,
}

fn state_of(s: &UploadSession) -> Result<V3UploadState> {
    serde_json::from_value::<V3UploadState>(s.policy.clone())
        .ok()
        .filter(|st| st.v3)
        .ok_or_else(|| {
            Error::invalid("This upload session was not created by the Cloudreve 3 provider.")
        })
}

/// How chunks travel for a policy type of Cloudreve 3.8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// `POST /api/v3/file/upload/{session}/{index}` with the cookie.
    Local,
    /// `POST {uploadURLs[0]}?chunk={index}` with the credential.
    Remote,
    /// Presigned part PUTs, then completion (S3: then our callback; OSS: the store's).
    S3(s3::Completion),
    /// Ordered `Content-Range` PUTs to a Graph upload session, then our callback.
    OneDrive,
    /// `UpToken` part PUTs, then the part list (the store calls back).
    Qiniu,
    /// One form POST of the whole file (the store calls back).
    Upyun,
    /// One signed form POST of the whole file, then our callback.
    CosForm,
}

fn transport(kind: &str) -> Option<Transport> {
    match kind {
        "local" => Some(Transport::Local),
        "remote" => Some(Transport::Remote),
        "s3" => Some(Transport::S3(s3::Completion::ClientCallback)),
        "oss" => Some(Transport::S3(s3::Completion::StorageCallback)),
        "onedrive" => Some(Transport::OneDrive),
        "qiniu" => Some(Transport::Qiniu),
        "upyun" => Some(Transport::Upyun),
        // 3.8 signs one form POST for COS (v4 uses S3-style parts instead).
        "cos" => Some(Transport::CosForm),
        _ => None,
    }
}

/// The v3 side of the shared storage transports.
#[async_trait]
impl UploadHost for CloudreveV3 {
    fn http(&self) -> &reqwest::Client {
        self.api.http()
    }

    /// `GET /callback/{s3|cos}/{session}` or `POST /callback/onedrive/finish/{session}` with
    /// `{}`. These routes need no cookie (and answer HTTP 401 with 40011 for a gone session).
    async fn client_callback(&self, session: &UploadSession, state: &PolicyState) -> Result<()> {
        let (method, path, body) = if state.kind == "onedrive" {
            (
                Method::POST,
                format!("callback/onedrive/finish/{}", session.id),
                Body::Json(json!({})),
            )
        } else {
            (
                Method::GET,
                format!("callback/{}/{}", state.kind, session.id),
                Body::None,
            )
        };
        let reply = self
            .api
            .raw(
                method,
                self.api.url(&path),
                &body,
                None,
                Some(crate::net::CONTROL_TIMEOUT),
            )
            .await?;
        super::api::check(&reply.env)
    }

    async fn uploaded_file(
        &self,
        session: &UploadSession,
        _state: &PolicyState,
    ) -> Result<Option<Entry>> {
        let st = state_of(session)?;
        // v3 lists a file only once its upload completed.
        Ok(self
            .entries(&st.parent)
            .await?
            .into_iter()
            .find(|e| e.name == st.name && e.kind == EntryKind::File))
    }
}

/// `stem.cirrus-<tag>.ext`: next to the original, same extension (policies may filter by
/// extension), unlikely to clash.
fn side_name(name: &str, tag: &str) -> String {
    let r: u32 = rand::rng().random();
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem}.cirrus-{tag}-{r:08x}.{ext}"),
        _ => format!("{name}.cirrus-{tag}-{r:08x}"),
    }
}

pub(super) async fn begin(p: &CloudreveV3, req: &UploadRequest) -> Result<UploadSession> {
    check_name(&req.name)?;
    let parent = V3Ref::parse(&req.parent)?;
    // The listing settles conflicts before any byte and names the policy.
    let siblings = match p.entries(&parent.path).await {
        Ok(s) => s,
        // The server creates missing parents itself.
        Err(e) if e.kind() == ErrorKind::NotFound => vec![],
        Err(e) => return Err(e),
    };
    let mut name = req.name.clone();
    let mut replaces = None;
    if let Some(hit) = siblings.iter().find(|e| e.name == req.name) {
        if hit.kind == EntryKind::Folder || !req.overwrite {
            return Err(Error::with_message(
                ErrorKind::AlreadyExists,
                format!("\"{}\" already exists in the destination folder.", req.name),
            ));
        }
        name = side_name(&req.name, "new");
        replaces = Some(req.name.clone());
    }
    let mut policy = p.policy_id(&parent.path, false).await?;
    let mut cred = create_session(p, req, &parent.path, &name, &policy.id).await;
    if matches!(
        cred.as_ref().err().and_then(Error::server_code),
        Some(CODE_POLICY_NOT_ALLOWED | CODE_POLICY_CHANGED)
    ) {
        policy = p.policy_id(&parent.path, true).await?;
        cred = create_session(p, req, &parent.path, &name, &policy.id).await;
    }
    let w = cred?;
    let state = V3UploadState {
        v3: true,
        parent: parent.path.clone(),
        name: name.clone(),
        replaces,
        store: PolicyState {
            kind: policy.kind.clone(),
            size: req.size,
            upload_urls: w.upload_urls.clone().unwrap_or_default(),
            credential: w.credential.clone(),
            complete_url: w.complete_url.clone(),
            upload_id: w.upload_id.clone().unwrap_or_default(),
            upload_policy: w.policy.clone(),
            cos_form: (policy.kind == "cos").then(|| cos_form::CosForm {
                key: w.path.clone().unwrap_or_default(),
                ak: w.ak.clone().unwrap_or_default(),
                key_time: w.key_time.clone().unwrap_or_default(),
                callback: w.callback.clone().unwrap_or_default(),
            }),
            ..Default::default()
        },
    };
    let transport = transport(&state.store.kind);
    let session = UploadSession {
        id: w.session_id.clone(),
        target: V3Ref {
            kind: Some(EntryKind::File),
            id: None,
            path: join(&parent.path, &name),
        }
        .to_ref(),
        // The form API takes the whole file in one request, whatever the chunk size.
        chunk_size: if matches!(transport, Some(Transport::Upyun | Transport::CosForm)) {
            0
        } else {
            w.chunk_size
        },
        // v3 takes local chunks strictly in order (a later one is refused with 40012), and
        // Graph takes byte ranges in order; keep every policy sequential, as FE3 does.
        chunk_concurrency: 1,
        expires_at: w.expires,
        encryption: None,
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
        // Leave no placeholder behind for a policy we cannot feed.
        let _ = cancel(p, &session).await;
        return Err(Error::unsupported(&format!(
            "uploads to \"{}\" storage policies on Cloudreve 3 (yet)",
            state.store.kind
        )));
    }
    Ok(session)
}

/// `PUT /file/upload`.
async fn create_session(
    p: &CloudreveV3,
    req: &UploadRequest,
    parent: &str,
    name: &str,
    policy_id: &str,
) -> Result<UploadCredentialWire> {
    let body = json!({
        "path": parent,
        "size": req.size,
        "name": name,
        "policy_id": policy_id,
        "last_modified": req.modified_ms.unwrap_or(0),
        "mime_type": req.mime.clone().unwrap_or_default(),
    });
    p.api
        .call(Method::PUT, "file/upload", Body::Json(body))
        .await
}

pub(super) async fn chunk(
    p: &CloudreveV3,
    session: &UploadSession,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let st = state_of(session)?;
    let s = &st.store;
    let count = session.chunk_count(s.size);
    if index >= count {
        return Err(Error::invalid(format!(
            "Chunk {index} is out of range (the upload has {count} chunks)."
        )));
    }
    let expected = session.chunk_len(s.size, index);
    if data.len() != expected {
        return Err(Error::invalid(format!(
            "Chunk {index} must be exactly {expected} bytes, got {}.",
            data.len()
        )));
    }
    let sent = match transport(&s.kind) {
        Some(Transport::Local) => p
            .api
            .envelope(
                Method::POST,
                &format!("file/upload/{}/{index}", session.id),
                Body::Data(data),
                None,
            )
            .await
            .and_then(|env| super::api::check(&env)),
        Some(Transport::Remote) => remote::upload_chunk(p, s, index, data).await,
        Some(Transport::S3(_)) => return s3::upload_part(p, s, index, data).await,
        Some(Transport::OneDrive) => {
            return onedrive::upload_chunk(p, session, s, index, data).await;
        }
        Some(Transport::Qiniu) => return qiniu::upload_part(p, session, s, index, data).await,
        Some(Transport::Upyun) => return upyun::upload(p, session, s, data).await,
        Some(Transport::CosForm) => {
            return cos_form::upload(p, session, s, &st.name, data).await;
        }
        None => Err(Error::unsupported(&format!(
            "uploads to \"{}\" storage policies on Cloudreve 3 (yet)",
            s.kind
        ))),
    };
    match sent {
        Ok(()) => Ok(ChunkReceipt::default()),
        // The last chunk completes the upload and ends the session; when its answer was lost,
        // the retry finds no session, and the file tells whether it completed.
        Err(e) if e.kind() == ErrorKind::UploadSessionExpired && index + 1 == count => {
            confirm_completed(p, session, s, e)
                .await
                .map(|_| ChunkReceipt::default())
        }
        Err(e) => Err(e),
    }
}

pub(super) async fn finish(
    p: &CloudreveV3,
    session: &UploadSession,
    receipts: &ChunkReceipts,
) -> Result<Entry> {
    let st = state_of(session)?;
    let s = &st.store;
    let done = match transport(&s.kind) {
        Some(Transport::S3(how)) => s3::finish(p, session, s, how, receipts).await,
        Some(Transport::OneDrive) => onedrive::finish(p, session, s).await,
        Some(Transport::Qiniu) => qiniu::finish(p, session, s, receipts).await,
        Some(Transport::Upyun) => upyun::finish(p, session, s).await,
        Some(Transport::CosForm) => cos_form::finish(p, session, s).await,
        // Local and slave uploads complete inside the last chunk's request. Looking a file up
        // here lists its whole folder: uploading 1 000 small files into one folder listed it
        // 1 000 times over (82 files/s against 485 on Cloudreve 4, measured by the bench).
        // An overwrite's swap below renames by id, which only the listing gives.
        _ if session.chunk_count(s.size) == 1 && st.replaces.is_none() => {
            Ok(single_chunk_entry(session, st.name.clone(), s.size))
        }
        _ => completed_entry(p, session, s).await,
    };
    let new = match done {
        Ok(new) => new,
        Err(e) => {
            // A retried finish of an overwrite whose swap already went through: the upload
            // name is gone and the final name holds a file of the new size.
            if let Some(final_name) = &st.replaces {
                let siblings = p.entries(&st.parent).await?;
                let swapped = !siblings.iter().any(|x| x.name == st.name);
                if let Some(done) = siblings.into_iter().find(|x| {
                    &x.name == final_name && x.kind == EntryKind::File && x.size == s.size
                }) && swapped
                {
                    return Ok(done);
                }
            }
            return Err(e);
        }
    };
    match &st.replaces {
        None => Ok(new),
        Some(final_name) => replace(p, &st, new, final_name).await,
    }
}

/// Puts the complete `new` file in place of `final_name`: old aside, new in, old deleted.
async fn replace(
    p: &CloudreveV3,
    st: &V3UploadState,
    new: Entry,
    final_name: &str,
) -> Result<Entry> {
    let siblings = p.entries(&st.parent).await?;
    let old = siblings
        .iter()
        .find(|e| e.name == final_name && e.kind == EntryKind::File)
        .cloned();
    let aside = match &old {
        Some(old) => Some(
            p.rename_impl(&old.remote, &side_name(final_name, "old"))
                .await?,
        ),
        None => None,
    };
    match p.rename_impl(&new.remote, final_name).await {
        Ok(done) => {
            if let Some(aside) = aside
                && let Err(e) = p.delete_impl(std::slice::from_ref(&aside.remote)).await
            {
                tracing::warn!(error = %e, "could not delete the replaced file {}", aside.name);
            }
            Ok(done)
        }
        Err(e) => {
            if let Some(aside) = aside
                && let Err(e2) = p.rename_impl(&aside.remote, final_name).await
            {
                tracing::warn!(error = %e2, "could not put {} back as {final_name}", aside.name);
            }
            tracing::info!(parent = %st.parent, "overwrite failed; the old file stays");
            Err(e)
        }
    }
}

/// `DELETE /file/upload/{session}`; a session the server no longer knows counts as gone.
pub(super) async fn cancel(p: &CloudreveV3, session: &UploadSession) -> Result<()> {
    match p
        .api
        .call_unit(
            Method::DELETE,
            &format!("file/upload/{}", session.id),
            Body::None,
        )
        .await
    {
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::NotFound | ErrorKind::UploadSessionExpired
            ) =>
        {
            Ok(())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_cloudreve_3_rules() {
        assert!(check_name("a b.txt").is_ok());
        assert!(check_name(" leading").is_ok());
        for bad in ["", ".", "..", "a/b", "a:b", "trailing ", "x|y"] {
            assert_eq!(
                check_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidName,
                "{bad}"
            );
        }
        assert!(check_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn side_names_keep_the_extension() {
        let n = side_name("report.final.pdf", "new");
        assert!(
            n.starts_with("report.final.cirrus-new-") && n.ends_with(".pdf"),
            "{n}"
        );
        let n = side_name(".bashrc", "old");
        assert!(n.starts_with(".bashrc.cirrus-old-"), "{n}");
        assert!(check_name(&side_name("x.bin", "new")).is_ok());
    }

    #[test]
    fn states_of_other_providers_are_refused() {
        let mut s = UploadSession {
            id: "s".into(),
            target: crate::provider::model::RemoteRef::new("cloudreve3:f::/a"),
            chunk_size: 0,
            chunk_concurrency: 1,
            expires_at: 0,
            encryption: None,
            policy: json!({"type": "local", "size": 1}),
            complete: false,
        };
        assert!(state_of(&s).is_err());
        s.policy = serde_json::to_value(V3UploadState {
            v3: true,
            parent: "/d".into(),
            name: "a.cirrus-new-1.txt".into(),
            replaces: Some("a.txt".into()),
            store: PolicyState {
                kind: "local".into(),
                size: 1,
                ..Default::default()
            },
        })
        .unwrap();
        assert_eq!(s.policy["type"], "local", "the storage part is flat");
        assert_eq!(state_of(&s).unwrap().replaces.as_deref(), Some("a.txt"));
        assert_eq!(transport("remote"), Some(Transport::Remote));
        assert_eq!(
            transport("oss"),
            Some(Transport::S3(s3::Completion::StorageCallback))
        );
        assert_eq!(transport("cos"), Some(Transport::CosForm));
    }
}
