//! Storage-side upload transports shared by the Cloudreve providers (v3 and v4 hand out the
//! same storage protocols; only their own API around them differs): slave nodes (`remote`),
//! S3-compatible stores (`s3`), OneDrive/SharePoint (`onedrive`), Qiniu Kodo (`qiniu`) and
//! Upyun USS (`upyun`). What a transport needs from the Cloudreve side (an HTTP client, the
//! "client finished" callback and a look at the uploaded file) comes through [`UploadHost`].

pub mod cos_form;
pub mod onedrive;
pub mod qiniu;
pub mod remote;
pub mod s3;
pub mod upyun;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::net::{from_reqwest, retry_after};
use crate::provider::model::Entry;
use crate::provider::upload_types::UploadSession;

/// The Cloudreve provider a transport works for.
#[async_trait]
pub trait UploadHost: Send + Sync {
    /// The HTTP client (never sends Cloudreve credentials to a store by itself).
    fn http(&self) -> &reqwest::Client;

    /// Tells Cloudreve that the client completed the upload on the store (S3-like stores
    /// with a client callback, OneDrive). A session Cloudreve no longer knows is
    /// `UploadSessionExpired`.
    async fn client_callback(&self, session: &UploadSession, state: &PolicyState) -> Result<()>;

    /// The uploaded file once Cloudreve has completed it; `None` while it is not (yet).
    async fn uploaded_file(
        &self,
        session: &UploadSession,
        state: &PolicyState,
    ) -> Result<Option<Entry>>;
}

/// A storage's answer to one upload request: its status, `Retry-After` and (small) body.
pub(crate) struct Reply {
    pub(crate) status: reqwest::StatusCode,
    pub(crate) wait: Option<std::time::Duration>,
    pub(crate) body: bytes::Bytes,
}

/// Sends a request to a storage (not to Cloudreve's API) and reads its whole answer.
pub(crate) async fn send(req: reqwest::RequestBuilder) -> Result<Reply> {
    let resp = req.send().await.map_err(|e| from_reqwest(&e))?;
    let status = resp.status();
    let wait = retry_after(resp.headers());
    let body = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
    Ok(Reply { status, wait, body })
}

/// Provider-private part of an `UploadSession` (stored in `UploadSession::policy`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PolicyState {
    /// Storage policy type (`local`, `remote`, `s3`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether uploads are relayed through Cloudreve.
    #[serde(default)]
    pub relay: bool,
    /// Plaintext file size.
    pub size: u64,
    /// Upload URLs (remote and object-storage policies).
    #[serde(default)]
    pub upload_urls: Vec<String>,
    /// Credential for the upload URLs (already includes its scheme, e.g. `Bearer Cr …`).
    #[serde(default)]
    pub credential: Option<String>,
    /// Completion URL (object storages).
    #[serde(default)]
    pub complete_url: Option<String>,
    /// Provider multipart id.
    #[serde(default)]
    pub upload_id: String,
    /// Secret for callback URLs.
    #[serde(default)]
    pub callback_secret: String,
    /// Base64 form-API policy (Upyun).
    #[serde(default)]
    pub upload_policy: Option<String>,
    /// MIME type Cloudreve chose for the file, passed on to the storage (Qiniu, Upyun).
    #[serde(default)]
    pub mime_type: Option<String>,
    /// The signed form fields of a COS form upload (Cloudreve 3).
    #[serde(default)]
    pub cos_form: Option<cos_form::CosForm>,
}

/// After an answer that may mean "an earlier attempt finished it" (session gone, upload
/// gone), the file decides: complete → done. A transient failure while looking stays
/// retryable; otherwise `original` stands.
pub async fn confirm_completed(
    p: &dyn UploadHost,
    session: &UploadSession,
    state: &PolicyState,
    original: Error,
) -> Result<Entry> {
    completed_entry(p, session, state)
        .await
        .map_err(|e| if e.is_retryable() { e } else { original })
}

/// The uploaded file as its session describes it (`name` in the session's target), for a
/// one-chunk upload that the server completed inside that chunk's request: it answers the
/// chunk with an error otherwise, so looking the file up again would only cost a request
/// (on Cloudreve 3 a listing of the whole folder) per small file.
pub fn single_chunk_entry(session: &UploadSession, name: String, size: u64) -> Entry {
    Entry {
        remote: session.target.clone(),
        name,
        kind: crate::provider::model::EntryKind::File,
        size,
        created_at: None,
        updated_at: None,
        uploading: false,
        id: None,
        original_location: None,
    }
}

/// The target file, provided the server has completed the upload with the right size.
pub async fn completed_entry(
    p: &dyn UploadHost,
    session: &UploadSession,
    state: &PolicyState,
) -> Result<Entry> {
    match p.uploaded_file(session, state).await? {
        Some(entry) => check_completed(entry, state),
        None => Err(Error::with_message(
            ErrorKind::Protocol,
            "The server has not completed the upload; some chunks are missing.",
        )),
    }
}

/// `entry` (no longer uploading) provided it has the right size.
pub fn check_completed(entry: Entry, state: &PolicyState) -> Result<Entry> {
    if entry.size != state.size {
        return Err(Error::protocol(format!(
            "The uploaded file has {} bytes on the server, expected {}.",
            entry.size, state.size
        )));
    }
    Ok(entry)
}
