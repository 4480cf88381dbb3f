//! Tencent COS on Cloudreve 3 (`cos`): the whole file in one `POST Object` form to
//! `upload_urls[0]` (the bucket URL) with the fields Cloudreve 3.8 signed for it: `policy`
//! (base64 post policy), `key` (the object path), `x-cos-meta-callback` and `x-cos-meta-key`
//! (which session the object belongs to), `q-sign-algorithm` (`sha1`), `q-key-time`, `q-ak`
//! and `q-signature` (the session's credential), `name`, and the file, which must come last.
//! The session is created with `chunk_size` 0 and concurrency 1, so the engine hands the
//! whole file over as chunk 0 (streamed from disk, never held in memory).
//!
//! COS answers 204 (or 200) without a body; a refusal is an XML `<Error>`. Completion is the
//! client's `GET /api/v3/callback/cos/{session}`, after which Cloudreve lists the file.

use reqwest::multipart::{Form, Part};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::provider::model::Entry;
use crate::provider::upload_types::{ChunkData, ChunkReceipt, UploadSession};

use super::s3::{client_callback, storage_error};
use super::{PolicyState, Reply, UploadHost, completed_entry, confirm_completed, send};

/// The signed fields of the form besides the policy and the signature.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CosForm {
    /// Object key the policy allows (`path` of the credential).
    pub key: String,
    /// The bucket's access key id (`ak`).
    pub ak: String,
    /// `start;end` Unix seconds the signature is valid for (`keyTime`).
    pub key_time: String,
    /// Cloudreve's callback URL for this session (`callback`).
    pub callback: String,
}

/// The form, fields in the order the Cloudreve 3 web client sends them, the file last. The
/// file part streams `data` with its length, so the request has a `Content-Length`.
fn form(
    f: &CosForm,
    policy: &str,
    signature: &str,
    session: &str,
    name: &str,
    data: &ChunkData,
) -> Form {
    let file = Part::stream_with_length(data.body(), data.len())
        .file_name(name.to_string())
        .mime_str("application/octet-stream")
        .expect("a valid MIME type");
    Form::new()
        .text("policy", policy.to_string())
        .text("key", f.key.clone())
        .text("x-cos-meta-callback", f.callback.clone())
        .text("x-cos-meta-key", session.to_string())
        .text("q-sign-algorithm", "sha1")
        .text("q-key-time", f.key_time.clone())
        .text("q-ak", f.ak.clone())
        .text("q-signature", signature.to_string())
        .text("name", name.to_string())
        .part("file", file)
}

/// POSTs the whole file (chunk 0). `name` is the file's name (the form's `name` field).
pub(crate) async fn upload(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
    name: &str,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let missing = |what: &str| Error::protocol(format!("The upload session has no {what}."));
    let url = s
        .upload_urls
        .first()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| missing("upload URL"))?;
    let f = s.cos_form.as_ref().ok_or_else(|| missing("signed form"))?;
    let policy = s
        .upload_policy
        .as_deref()
        .ok_or_else(|| missing("upload policy"))?;
    let signature = s
        .credential
        .as_deref()
        .ok_or_else(|| missing("signature"))?;
    let req = p
        .http()
        .post(url)
        .multipart(form(f, policy, signature, &session.id, name, &data));
    let Reply { status, wait, body } = send(req).await?;
    if status.is_success() {
        return Ok(ChunkReceipt::default());
    }
    let e = storage_error(status, &body);
    if e.is_retryable() {
        return Err(e.with_retry_after(wait));
    }
    // Refused: an earlier attempt whose answer was lost may have completed the upload.
    confirm_completed(p, session, s, e)
        .await
        .map(|_| ChunkReceipt::default())
}

/// Tells Cloudreve the object is stored, then returns the file it lists.
pub(crate) async fn finish(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
) -> Result<Entry> {
    client_callback(p, session, s).await?;
    completed_entry(p, session, s).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn the_form_carries_the_signed_fields_in_order_and_the_file_last() {
        let f = CosForm {
            key: "uploads/1/a.bin".into(),
            ak: "AKID".into(),
            key_time: "1;2".into(),
            callback: "https://c/api/v3/callback/cos/s1".into(),
        };
        let data = bytes::Bytes::from_static(b"\x00\r\n--x\xff");
        let form = form(&f, "cG9s", "sig", "s1", "a.bin", &data.into());
        let boundary = form.boundary().to_string();
        let chunks: Vec<bytes::Bytes> = form.into_stream().try_collect().await.unwrap();
        let body = chunks.concat();
        let at = |needle: &str| {
            body.windows(needle.len())
                .position(|w| w == needle.as_bytes())
                .unwrap_or_else(|| panic!("{needle:?} missing"))
        };
        let order = [
            at("name=\"policy\"\r\n\r\ncG9s\r\n"),
            at("name=\"key\"\r\n\r\nuploads/1/a.bin\r\n"),
            at("name=\"x-cos-meta-callback\"\r\n\r\nhttps://c/api/v3/callback/cos/s1\r\n"),
            at("name=\"x-cos-meta-key\"\r\n\r\ns1\r\n"),
            at("name=\"q-sign-algorithm\"\r\n\r\nsha1\r\n"),
            at("name=\"q-key-time\"\r\n\r\n1;2\r\n"),
            at("name=\"q-ak\"\r\n\r\nAKID\r\n"),
            at("name=\"q-signature\"\r\n\r\nsig\r\n"),
            at("name=\"name\"\r\n\r\na.bin\r\n"),
            at("name=\"file\"; filename=\"a.bin\""),
        ];
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(body.ends_with(format!("--{boundary}--\r\n").as_bytes()));
    }
}
