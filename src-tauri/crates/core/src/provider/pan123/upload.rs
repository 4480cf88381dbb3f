//! 123pan uploads (V2 flow). The engine hashes the file first (`upload_needs_md5`), then:
//!
//! 1. `create` on the API host with the MD5, size, folder and `duplicate` (1 keep both,
//!    2 overwrite). `reuse: true` is an instant upload: the server already holds the content,
//!    the file exists now, and no byte is sent (the session comes back `complete`).
//! 2. A file that fits in one slice goes in one `single/create` request to the upload host,
//!    which also finishes it (no `upload_complete` polling).
//! 3. A larger one is cut into `sliceSize` slices (the engine's chunks, 1-based `sliceNo`
//!    on the wire), each sent with its own MD5 to the upload host from `servers[]`, several
//!    at once; then `upload_complete` is polled with back-off while it answers
//!    `completed: false` or 20103 (still verifying).
//!
//! Everything needed to continue is in the session's `policy` (the `preuploadID`, the upload
//! host, the create fields), so a killed upload resumes from the queue's acknowledged slices.

use bytes::Bytes;
use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;

use super::Pan123;
use super::api::{ApiClient, Envelope, api_url};
use super::codes::{CODE_GENERAL, CODE_VERIFYING};
use super::refs::{P123Ref, join};
use super::wire::FileWire;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{
    ChunkData, ChunkReceipt, ChunkReceipts, Entry, UploadRequest, UploadSession,
};
use crate::transfer::hashing::md5_hex;

/// `POST` on the API host: start an upload (or finish it at once by MD5).
pub const CREATE: &str = "/upload/v2/file/create";
/// `POST` on an upload host: one slice.
pub const SLICE: &str = "/upload/v2/file/slice";
/// `POST` on the API host: finish a sliced upload (polled).
pub const COMPLETE: &str = "/upload/v2/file/upload_complete";
/// `POST` on an upload host: a whole file in one request.
pub const SINGLE: &str = "/upload/v2/file/single/create";
/// `GET` on the API host: one file's details.
pub const DETAIL: &str = "/api/v1/file/detail";

/// Largest file `single/create` takes (1 GiB).
pub const SINGLE_MAX: u64 = 1 << 30;
/// Largest file of the sliced flow (10 GiB for developers).
pub const CREATE_MAX: u64 = 10 << 30;
/// Slices of one file in flight at once: enough to fill a link, few enough that the upload
/// host does not see a burst (other clients use 3).
pub const SLICE_CONCURRENCY: u32 = 3;
/// How long we trust a `preuploadID`. 123pan does not say; the engine renews a session this
/// old instead of sending slices the server may have forgotten.
const SESSION_TTL_SECS: i64 = 12 * 3600;
/// The longest `upload_complete` is waited for (the documentation polls for about a minute;
/// big files take longer to verify).
const COMPLETE_TIMEOUT: Duration = Duration::from_secs(180);
/// First pause between two `upload_complete` polls; it doubles up to [`POLL_MAX`].
const POLL_FIRST: Duration = Duration::from_millis(200);
/// Longest pause between two polls (the documentation asks for one a second).
const POLL_MAX: Duration = Duration::from_secs(2);
/// Time for one slice or single-step request (bytes on the wire, not just control).
const TRANSFER_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// How the bytes go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum Mode {
    /// The server had the content (`reuse`); nothing to send.
    Reused,
    /// One `single/create` request.
    Single,
    /// Slices, then `upload_complete`.
    Slices,
}

/// What the session's `policy` keeps.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct State {
    /// Marks the state as ours (sessions of other providers are refused).
    provider: String,
    mode: Mode,
    /// `preuploadID` (empty when reused).
    preupload_id: String,
    /// Upload host (`servers[0]`), for slices and single-step.
    server: String,
    parent_id: i64,
    parent_path: String,
    name: String,
    md5: String,
    size: u64,
    /// `duplicate` sent with create (0 none, 1 keep both, 2 overwrite).
    duplicate: i64,
    /// The finished file when create reused known content.
    file_id: i64,
}

const PROVIDER_TAG: &str = "pan123";

fn state_of(s: &UploadSession) -> Result<State> {
    let st: State = serde_json::from_value(s.policy.clone())
        .map_err(|_| Error::invalid("This upload was not started on 123pan."))?;
    if st.provider != PROVIDER_TAG {
        return Err(Error::invalid("This upload was not started on 123pan."));
    }
    Ok(st)
}

/// `data` of V2 create.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateWire {
    #[serde(default, rename = "fileID", alias = "fileId")]
    file_id: i64,
    #[serde(default, deserialize_with = "super::wire::flag")]
    reuse: bool,
    #[serde(default, rename = "preuploadID", alias = "preuploadId")]
    preupload_id: String,
    #[serde(default)]
    slice_size: u64,
    #[serde(default)]
    servers: Vec<String>,
}

/// `data` of `upload_complete` and of `single/create`.
#[derive(Debug, Deserialize)]
struct DoneWire {
    #[serde(default, deserialize_with = "super::wire::flag")]
    completed: bool,
    #[serde(default, rename = "fileID", alias = "fileId")]
    file_id: i64,
}

/// `duplicate` for a request: 2 replaces, 1 lets the server add a suffix, 0 refuses.
fn duplicate_of(req: &UploadRequest) -> i64 {
    if req.overwrite {
        2
    } else if req.keep_both {
        1
    } else {
        0
    }
}

/// Code 1 answers that mean "the name is taken" (create and single-step without a
/// `duplicate`, or a folder of that name on overwrite).
fn is_name_taken(env: &Envelope) -> bool {
    env.code == CODE_GENERAL && (env.message.contains("重名") || env.message.contains("同名"))
}

/// The typed error of a failed create or single-step answer.
fn upload_error(env: &Envelope, name: &str) -> Error {
    if is_name_taken(env) {
        return Error::with_message(
            ErrorKind::AlreadyExists,
            format!("\"{name}\" already exists in the destination folder."),
        )
        .with_server_code(env.code);
    }
    if env.code == CODE_GENERAL && env.message.contains("空间不足") {
        return Error::with_message(
            ErrorKind::QuotaExceeded,
            "Not enough space left on 123pan for this file.",
        )
        .with_server_code(env.code);
    }
    env.error()
}

/// Slices a server no longer knows (it forgot or expired the `preuploadID`): the engine
/// starts once more with a new session.
fn is_unknown_preupload(env: &Envelope) -> bool {
    env.code == CODE_GENERAL && env.message.contains("preuploadID")
}

/// Starts an upload of `req`: create with the MD5, which may finish it at once.
pub async fn begin(p: &Pan123, req: &UploadRequest) -> Result<UploadSession> {
    let (parent_id, parent_path) = p.folder_id(&req.parent).await?;
    let parent_path = parent_path.as_str();
    let api = p.api();
    let md5 = req
        .md5
        .as_deref()
        .map(str::to_ascii_lowercase)
        .ok_or_else(|| Error::invalid("123pan needs the file's MD5 before an upload starts."))?;
    if req.size > CREATE_MAX {
        return Err(Error::with_message(
            ErrorKind::FileTooLarge,
            "123pan takes files of at most 10 GB.",
        ));
    }
    let duplicate = duplicate_of(req);
    let body = json!({
        "parentFileID": parent_id,
        "filename": req.name,
        "etag": md5,
        "size": req.size,
        "duplicate": duplicate,
    });
    let env = api
        .json_envelope(reqwest::Method::POST, CREATE, &body)
        .await?;
    if env.code != 0 {
        return Err(upload_error(&env, &req.name));
    }
    let w: CreateWire = env.into_data()?;
    let path = join(parent_path, &req.name);
    let mut state = State {
        provider: PROVIDER_TAG.into(),
        mode: Mode::Reused,
        preupload_id: w.preupload_id.clone(),
        server: String::new(),
        parent_id,
        parent_path: parent_path.to_string(),
        name: req.name.clone(),
        md5,
        size: req.size,
        duplicate,
        file_id: 0,
    };
    let now = chrono::Utc::now().timestamp();
    if w.reuse && w.file_id != 0 {
        state.file_id = w.file_id;
        return Ok(UploadSession {
            id: format!("reuse-{}", w.file_id),
            target: P123Ref::known(w.file_id, &path).to_ref(),
            chunk_size: 0,
            chunk_concurrency: 1,
            expires_at: now + SESSION_TTL_SECS,
            encryption: None,
            policy: serde_json::to_value(&state)?,
            complete: true,
        });
    }
    if w.preupload_id.is_empty() || w.slice_size == 0 {
        return Err(Error::protocol(
            "123pan started an upload without a preuploadID or a slice size.",
        ));
    }
    state.server = w
        .servers
        .iter()
        .find(|s| !s.trim().is_empty())
        .cloned()
        .ok_or_else(|| Error::protocol("123pan named no upload server."))?;
    // Within one slice the single-step request carries the whole file and finishes it, which
    // saves the slice, the completion call and its polling.
    let single = req.size <= w.slice_size && req.size <= SINGLE_MAX;
    state.mode = if single { Mode::Single } else { Mode::Slices };
    Ok(UploadSession {
        id: w.preupload_id,
        target: P123Ref::Live { id: None, path }.to_ref(),
        chunk_size: if single { 0 } else { w.slice_size },
        chunk_concurrency: if single { 1 } else { SLICE_CONCURRENCY },
        expires_at: now + SESSION_TTL_SECS,
        encryption: None,
        policy: serde_json::to_value(&state)?,
        complete: false,
    })
}

/// A multipart file part over `data`, rebuilt for every attempt.
fn file_part(data: &ChunkData, file_name: &str) -> Part {
    Part::stream_with_length(data.body(), data.len()).file_name(file_name.to_string())
}

/// Sends chunk `index`: the whole file (single-step) or slice `index + 1`.
pub async fn chunk(
    p: &Pan123,
    session: &UploadSession,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let st = state_of(session)?;
    let api = p.api();
    match st.mode {
        // Nothing to send: create already made the file.
        Mode::Reused => Ok(ChunkReceipt::default()),
        Mode::Single => single(api, &st, &data).await,
        Mode::Slices => slice(api, session, &st, index, data).await,
    }
}

async fn single(api: &ApiClient, st: &State, data: &ChunkData) -> Result<ChunkReceipt> {
    let url = upload_url(&st.server, SINGLE)?;
    let build = |h: &reqwest::Client| {
        let form = Form::new()
            .text("parentFileID", st.parent_id.to_string())
            .text("filename", st.name.clone())
            .text("etag", st.md5.clone())
            .text("size", st.size.to_string())
            .text("duplicate", st.duplicate.to_string())
            .part("file", file_part(data, &st.name));
        h.post(url.clone())
            .multipart(form)
            .timeout(TRANSFER_TIMEOUT)
    };
    let env = api.send(SINGLE, &build).await?;
    if env.code != 0 {
        return Err(upload_error(&env, &st.name));
    }
    let done: DoneWire = env.into_data()?;
    if !done.completed || done.file_id == 0 {
        return Err(Error::protocol(
            "123pan did not finish the single-step upload.",
        ));
    }
    Ok(ChunkReceipt::new(done.file_id.to_string()))
}

async fn slice(
    api: &ApiClient,
    session: &UploadSession,
    st: &State,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let want = session.chunk_len(st.size, index);
    if data.len() != want {
        return Err(Error::invalid(format!(
            "Slice {} has {} bytes, 123pan expects {want}.",
            index + 1,
            data.len()
        )));
    }
    // The slice's MD5 goes before its bytes in the form, so the bytes are read first (one
    // slice, already in memory unless a bandwidth limit streams it).
    let bytes: Bytes = data.to_bytes().await?;
    let slice_md5 = md5_hex(&bytes);
    let url = upload_url(&st.server, SLICE)?;
    let slice_no = (index + 1).to_string();
    let build = |h: &reqwest::Client| {
        let form = Form::new()
            .text("preuploadID", st.preupload_id.clone())
            .text("sliceNo", slice_no.clone())
            .text("sliceMD5", slice_md5.clone())
            .part(
                "slice",
                Part::stream_with_length(bytes.clone(), bytes.len() as u64)
                    .file_name(format!("{}.part{slice_no}", st.name)),
            );
        h.post(url.clone())
            .multipart(form)
            .timeout(TRANSFER_TIMEOUT)
    };
    let env = api.send(SLICE, &build).await?;
    if env.code == 0 {
        return Ok(ChunkReceipt::default());
    }
    if is_unknown_preupload(&env) {
        return Err(Error::new(ErrorKind::UploadSessionExpired).with_server_code(env.code));
    }
    Err(env.error())
}

/// The upload host's URL for `path`.
fn upload_url(server: &str, path: &str) -> Result<url::Url> {
    let base = url::Url::parse(server)
        .map_err(|_| Error::protocol(format!("123pan named an invalid upload server: {server}")))?;
    Ok(api_url(&base, path))
}

/// Finishes an upload and returns the file. Its id is known from create (reused), from the
/// single-step answer (the receipt of chunk 0), or once `upload_complete` says so; its
/// details (the name the server chose under keep-both) come from `detail`.
pub async fn finish(
    p: &Pan123,
    session: &UploadSession,
    receipts: &ChunkReceipts,
) -> Result<Entry> {
    let st = state_of(session)?;
    let id = match st.mode {
        Mode::Reused => st.file_id,
        Mode::Single => receipts
            .get(&0)
            .and_then(|r| r.parse().ok())
            .ok_or_else(|| Error::protocol("The single-step upload left no file id."))?,
        Mode::Slices => complete(p.api(), &st).await?,
    };
    let w: FileWire = p.api().get(DETAIL, &[("fileID", id.to_string())]).await?;
    Ok(p.remember(st.parent_id, &st.parent_path, &w))
}

/// Polls `upload_complete` until the server has checked the slices, with back-off.
async fn complete(api: &ApiClient, st: &State) -> Result<i64> {
    let body = json!({ "preuploadID": st.preupload_id });
    let started = tokio::time::Instant::now();
    let mut pause = POLL_FIRST;
    loop {
        let env = api
            .json_envelope(reqwest::Method::POST, COMPLETE, &body)
            .await?;
        if env.code == 0 {
            let done: DoneWire = env.into_data()?;
            if done.completed && done.file_id != 0 {
                return Ok(done.file_id);
            }
        } else if env.code != CODE_VERIFYING {
            if is_unknown_preupload(&env) {
                return Err(Error::new(ErrorKind::UploadSessionExpired).with_server_code(env.code));
            }
            return Err(upload_error(&env, &st.name));
        }
        if started.elapsed() + pause > COMPLETE_TIMEOUT {
            return Err(Error::with_message(
                ErrorKind::Timeout,
                "123pan is still checking the uploaded file; try again later.",
            ));
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(POLL_MAX);
    }
}

/// Nothing to undo on the server: 123pan has no call to drop a `preuploadID` (it expires),
/// and no file exists before completion. Checks the session is ours.
pub async fn cancel(_p: &Pan123, session: &UploadSession) -> Result<()> {
    state_of(session).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn duplicate_follows_the_conflict_choice() {
        let mut r = UploadRequest {
            parent: crate::provider::RemoteRef::new("p123:0:/"),
            name: "a".into(),
            size: 1,
            modified_ms: None,
            mime: None,
            overwrite: false,
            want_client_encryption: false,
            keep_both: false,
            md5: None,
        };
        assert_eq!(duplicate_of(&r), 0);
        r.keep_both = true;
        assert_eq!(duplicate_of(&r), 1);
        r.overwrite = true;
        assert_eq!(duplicate_of(&r), 2);
    }

    #[test]
    fn sessions_of_other_providers_are_refused() {
        let s = UploadSession {
            id: "x".into(),
            target: crate::provider::RemoteRef::new("p123::/a"),
            chunk_size: 0,
            chunk_concurrency: 1,
            expires_at: 0,
            encryption: None,
            policy: json!({"type": "local"}),
            complete: false,
        };
        assert!(state_of(&s).is_err());
        let taken = Envelope {
            code: 1,
            message: "当前目录有重名文件,请设置duplicate".into(),
            data: Value::Null,
            trace_id: None,
        };
        assert_eq!(upload_error(&taken, "a").kind(), ErrorKind::AlreadyExists);
    }
}
