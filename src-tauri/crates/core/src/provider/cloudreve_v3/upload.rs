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

use rand::Rng;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{from_reqwest, retry_after};
use crate::provider::cloudreve_v4::envelope::Envelope;
use crate::provider::model::{Entry, EntryKind};
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

/// Provider-private part of an `UploadSession` (in `UploadSession::policy`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct V3UploadState {
    /// Marks sessions of this provider.
    pub v3: bool,
    /// Storage policy type.
    #[serde(rename = "type")]
    pub kind: String,
    /// File size.
    pub size: u64,
    /// Folder the file goes to.
    pub parent: String,
    /// Name the bytes are uploaded under.
    pub name: String,
    /// For an overwrite: the name the file must end up with (the old file's).
    #[serde(default)]
    pub replaces: Option<String>,
    /// Upload URLs (slave node).
    #[serde(default)]
    pub upload_urls: Vec<String>,
    /// Credential for the upload URLs.
    #[serde(default)]
    pub credential: Option<String>,
}

fn state_of(s: &UploadSession) -> Result<V3UploadState> {
    serde_json::from_value::<V3UploadState>(s.policy.clone())
        .ok()
        .filter(|st| st.v3)
        .ok_or_else(|| {
            Error::invalid("This upload session was not created by the Cloudreve 3 provider.")
        })
}

/// How chunks travel for a policy type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Transport {
    /// `POST /api/v3/file/upload/{session}/{index}` with the cookie.
    Local,
    /// `POST {uploadURLs[0]}?chunk={index}` with the credential.
    Remote,
}

fn transport(kind: &str) -> Option<Transport> {
    match kind {
        "local" => Some(Transport::Local),
        "remote" => Some(Transport::Remote),
        _ => None,
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
        kind: policy.kind.clone(),
        size: req.size,
        parent: parent.path.clone(),
        name: name.clone(),
        replaces,
        upload_urls: w.upload_urls.clone().unwrap_or_default(),
        credential: w.credential.clone(),
    };
    let session = UploadSession {
        id: w.session_id.clone(),
        target: V3Ref {
            kind: Some(EntryKind::File),
            id: None,
            path: join(&parent.path, &name),
        }
        .to_ref(),
        chunk_size: w.chunk_size,
        // v3 takes chunks strictly in order (a later one is refused with 40012).
        chunk_concurrency: 1,
        expires_at: w.expires,
        encryption: None,
        policy: serde_json::to_value(&state)?,
    };
    if transport(&state.kind).is_none() {
        // Leave no placeholder behind for a policy we cannot feed.
        let _ = cancel(p, &session).await;
        return Err(Error::unsupported(&format!(
            "uploads to \"{}\" storage policies on Cloudreve 3 (yet)",
            state.kind
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
    let count = session.chunk_count(st.size);
    if index >= count {
        return Err(Error::invalid(format!(
            "Chunk {index} is out of range (the upload has {count} chunks)."
        )));
    }
    let expected = session.chunk_len(st.size, index);
    if data.len() != expected {
        return Err(Error::invalid(format!(
            "Chunk {index} must be exactly {expected} bytes, got {}.",
            data.len()
        )));
    }
    let sent = match transport(&st.kind) {
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
        Some(Transport::Remote) => remote_chunk(p, &st, index, data).await,
        None => Err(Error::unsupported(&format!(
            "uploads to \"{}\" storage policies on Cloudreve 3 (yet)",
            st.kind
        ))),
    };
    match sent {
        Ok(()) => Ok(ChunkReceipt::default()),
        // The last chunk completes the upload and ends the session; when its answer was lost,
        // the retry finds no session, and the file tells whether it completed.
        Err(e) if e.kind() == ErrorKind::UploadSessionExpired && index + 1 == count => {
            match uploaded(p, &st).await {
                Ok(Some(_)) => Ok(ChunkReceipt::default()),
                Err(e2) if e2.is_retryable() => Err(e2),
                _ => Err(e),
            }
        }
        Err(e) => Err(e),
    }
}

/// `POST {uploadURLs[0]}?chunk={index}` to a slave node with the session credential (never
/// the cookie).
async fn remote_chunk(
    p: &CloudreveV3,
    st: &V3UploadState,
    index: u64,
    data: ChunkData,
) -> Result<()> {
    let base = st
        .upload_urls
        .first()
        .ok_or_else(|| Error::protocol("The upload session has no upload URL."))?;
    let mut url =
        url::Url::parse(base).map_err(|e| Error::protocol(format!("Invalid upload URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("chunk", &index.to_string());
    let mut req = p
        .api
        .http()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header(reqwest::header::CONTENT_LENGTH, data.len())
        .body(data.body());
    if let Some(c) = &st.credential {
        req = req.header(reqwest::header::AUTHORIZATION, c);
    }
    let resp = req.send().await.map_err(|e| from_reqwest(&e))?;
    let status = resp.status().as_u16();
    let wait = retry_after(resp.headers());
    let body = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
    let env = Envelope::decode(status, &body).map_err(|e| e.with_retry_after(wait))?;
    super::api::check(&env)
}

/// The uploaded file under its upload name, if it is complete (right size), plus the
/// folder's listing.
async fn uploaded(p: &CloudreveV3, st: &V3UploadState) -> Result<Option<(Entry, Vec<Entry>)>> {
    let siblings = p.entries(&st.parent).await?;
    let hit = siblings
        .iter()
        .find(|e| e.name == st.name && e.kind == EntryKind::File)
        .cloned();
    match hit {
        Some(e) if e.size == st.size => Ok(Some((e, siblings))),
        Some(e) => Err(Error::protocol(format!(
            "The uploaded file has {} bytes on the server, expected {}.",
            e.size, st.size
        ))),
        None => Ok(None),
    }
}

pub(super) async fn finish(
    p: &CloudreveV3,
    session: &UploadSession,
    _receipts: &ChunkReceipts,
) -> Result<Entry> {
    let st = state_of(session)?;
    let Some((new, siblings)) = uploaded(p, &st).await? else {
        // A retried finish of an overwrite whose swap already went through.
        if let Some(final_name) = &st.replaces
            && let Some(done) =
                p.entries(&st.parent).await?.into_iter().find(|e| {
                    &e.name == final_name && e.kind == EntryKind::File && e.size == st.size
                })
        {
            return Ok(done);
        }
        return Err(Error::protocol(
            "The server has not completed the upload; some chunks are missing.",
        ));
    };
    match &st.replaces {
        None => Ok(new),
        Some(final_name) => replace(p, &st, new, &siblings, final_name).await,
    }
}

/// Puts the complete `new` file in place of `final_name`: old aside, new in, old deleted.
async fn replace(
    p: &CloudreveV3,
    st: &V3UploadState,
    new: Entry,
    siblings: &[Entry],
    final_name: &str,
) -> Result<Entry> {
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
        };
        assert!(state_of(&s).is_err());
        s.policy = serde_json::to_value(V3UploadState {
            v3: true,
            kind: "local".into(),
            parent: "/d".into(),
            name: "a.cirrus-new-1.txt".into(),
            replaces: Some("a.txt".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(state_of(&s).unwrap().replaces.as_deref(), Some("a.txt"));
        assert_eq!(transport("remote"), Some(Transport::Remote));
        assert_eq!(transport("s3"), None);
    }
}
