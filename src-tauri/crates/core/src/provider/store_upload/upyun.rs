//! Upyun USS policy (`upyun`): the form API. The whole file goes in one
//! `multipart/form-data` POST to `upload_urls[0]` with the fields `policy` (the session's
//! base64 `upload_policy`), `authorization` (the session's `UPYUN operator:signature`
//! credential), `content-type` (the MIME type Cloudreve chose, when it sent one) and `file`,
//! which must come last. The session is created with `chunk_size` 0 and concurrency 1 for
//! that reason, so the engine hands over the whole (possibly encrypted) file as chunk 0.
//!
//! The service answers `{"code": 200, …}` and notifies Cloudreve (`notify-url` in the
//! policy), which completes the upload; errors are `{"code", "message"}` with an HTTP 4xx/5xx.
//! The real service may notify shortly after answering, so completion waits for the file
//! with retryable "not yet" answers. A refused POST is checked against the file too: an
//! earlier attempt whose answer was lost may have completed it.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::model::Entry;
use crate::provider::upload_types::{ChunkData, ChunkReceipt, UploadSession};

use super::UploadHost;
use super::{PolicyState, Reply, check_completed, confirm_completed, send};

/// How long to suggest waiting when the service has not notified Cloudreve yet.
const NOTIFY_WAIT: Duration = Duration::from_secs(1);

/// The service's answer (success and errors alike).
#[derive(Debug, Default, Deserialize)]
struct Answer {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: String,
}

/// The form: `policy`, `authorization`, optional `content-type`, then `file`. The file part
/// streams `data` (bytes without a copy, or the file block by block from disk), with its
/// length so the request has a `Content-Length`.
fn form(policy: &str, authorization: &str, mime: Option<&str>, data: &ChunkData) -> Form {
    let mut form = Form::new()
        .text("policy", policy.to_string())
        .text("authorization", authorization.to_string());
    if let Some(m) = mime.filter(|m| !m.is_empty()) {
        form = form.text("content-type", m.to_string());
    }
    // A filename marks the part as a file, as a browser's `FormData` does for a Blob.
    let mut file = Part::stream_with_length(data.body(), data.len()).file_name("blob");
    file = file
        .mime_str("application/octet-stream")
        .expect("a valid MIME type");
    form.part("file", file)
}

/// POSTs the whole file (chunk 0).
pub(crate) async fn upload(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let url = s
        .upload_urls
        .first()
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::protocol("The upload session has no upload URL."))?;
    let policy = s
        .upload_policy
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| Error::protocol("The upload session has no upload policy."))?;
    let auth = s
        .credential
        .as_deref()
        .filter(|c| !c.is_empty())
        .ok_or_else(|| Error::protocol("The upload session has no upload signature."))?;
    let Reply { status, wait, body } = send(p.http().post(url).multipart(form(
        policy,
        auth,
        s.mime_type.as_deref(),
        &data,
    )))
    .await?;
    match outcome(status, &body) {
        Ok(()) => Ok(ChunkReceipt::default()),
        Err(e) if e.is_retryable() => Err(e.with_retry_after(wait)),
        // Refused (an expired policy, a file that already exists…): if an earlier attempt
        // completed the upload, that is what counts.
        Err(e) => confirm_completed(p, session, s, e)
            .await
            .map(|_| ChunkReceipt::default()),
    }
}

/// The file once Cloudreve has been notified. "Not yet" is retryable (the real service
/// notifies asynchronously); a wrong size is final.
pub(crate) async fn finish(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
) -> Result<Entry> {
    match p.uploaded_file(session, s).await? {
        Some(entry) => check_completed(entry, s),
        None => Err(Error::with_message(
            ErrorKind::Server,
            "The storage has not notified the server of the upload yet.",
        )
        .with_retry_after(Some(NOTIFY_WAIT))),
    }
}

/// Judges the service's answer: HTTP 2xx with code 200 (or no code) is success.
fn outcome(status: StatusCode, body: &[u8]) -> Result<()> {
    let answer = serde_json::from_slice::<Answer>(body).unwrap_or_default();
    match answer.code {
        _ if !status.is_success() => Err(service_error(status, &answer)),
        None | Some(200) => Ok(()),
        Some(_) => Err(service_error(StatusCode::BAD_REQUEST, &answer)),
    }
}

/// A typed error for a refused upload.
fn service_error(status: StatusCode, a: &Answer) -> Error {
    let http = status.as_u16();
    let expired = a.message.to_ascii_lowercase().contains("expire");
    let kind = match http {
        401 | 403 if expired => ErrorKind::UploadSessionExpired,
        401 | 403 => ErrorKind::PermissionDenied,
        413 => ErrorKind::FileTooLarge,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Protocol,
    };
    let short: String = a.message.chars().take(200).collect();
    let detail = match (a.code, short.is_empty()) {
        (Some(c), false) => format!("HTTP {http}, {c}: {short}"),
        (Some(c), true) => format!("HTTP {http}, {c}"),
        (None, false) => format!("HTTP {http}: {short}"),
        (None, true) => format!("HTTP {http}"),
    };
    Error::with_message(kind, format!("The storage refused the upload ({detail})."))
        .with_http_status(http)
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;

    async fn body_of(form: Form) -> (String, Vec<u8>) {
        let boundary = form.boundary().to_string();
        let chunks: Vec<bytes::Bytes> = form.into_stream().try_collect().await.unwrap();
        (boundary, chunks.concat())
    }

    fn find(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len())
            .position(|w| w == needle)
            .unwrap_or_else(|| panic!("{:?} missing", String::from_utf8_lossy(needle)))
    }

    #[tokio::test]
    async fn the_form_has_its_fields_in_order_and_the_file_last() {
        let data = bytes::Bytes::from_static(b"\x00\r\n--not-a-boundary\xff");
        let (b, body) = body_of(form(
            "cG9saWN5",
            "UPYUN op:sig",
            Some("text/plain"),
            &data.into(),
        ))
        .await;
        let policy = find(&body, b"name=\"policy\"\r\n\r\ncG9saWN5\r\n");
        let auth = find(&body, b"name=\"authorization\"\r\n\r\nUPYUN op:sig\r\n");
        let mime = find(&body, b"name=\"content-type\"\r\n\r\ntext/plain\r\n");
        let file = find(
            &body,
            b"name=\"file\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n\
              \x00\r\n--not-a-boundary\xff\r\n",
        );
        assert!(policy < auth && auth < mime && mime < file);
        assert!(body.ends_with(format!("--{b}--\r\n").as_bytes()));

        // No MIME type: no field. An empty file is still a file part.
        let (_, body) = body_of(form("p", "a", None, &bytes::Bytes::new().into())).await;
        assert!(!String::from_utf8_lossy(&body).contains("content-type\""));
        find(
            &body,
            b"filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--",
        );
    }

    #[tokio::test]
    async fn the_form_knows_its_length() {
        // reqwest sends Content-Length only when every part's length is known; it must be the
        // exact length of the body (boundaries are random but of a fixed length).
        let data = bytes::Bytes::from(vec![7u8; 1000]);
        let req = reqwest::Client::new()
            .post("http://127.0.0.1:9/b")
            .multipart(form("p", "a", Some("x/y"), &data.clone().into()))
            .build()
            .unwrap();
        let len: usize = req.headers()[reqwest::header::CONTENT_LENGTH]
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        let (_, body) = body_of(form("p", "a", Some("x/y"), &data.into())).await;
        assert_eq!(len, body.len());
        assert!(
            req.headers()[reqwest::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("multipart/form-data; boundary=")
        );
    }

    #[test]
    fn service_answers_are_classified() {
        assert!(outcome(StatusCode::OK, br#"{"code":200,"message":"ok"}"#).is_ok());
        assert!(outcome(StatusCode::OK, b"").is_ok());
        let e = outcome(
            StatusCode::UNAUTHORIZED,
            br#"{"code":40100005,"message":"signature error"}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(e.message().contains("40100005: signature error"), "{e}");
        let e = outcome(
            StatusCode::UNAUTHORIZED,
            br#"{"code":40100012,"message":"authorization has expired"}"#,
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        let e = outcome(
            StatusCode::BAD_REQUEST,
            br#"{"code":40000010,"message":"file size is too large"}"#,
        )
        .unwrap_err();
        assert!(!e.is_retryable());
        assert!(
            outcome(StatusCode::SERVICE_UNAVAILABLE, b"busy")
                .unwrap_err()
                .is_retryable()
        );
        assert!(
            outcome(StatusCode::TOO_MANY_REQUESTS, b"")
                .unwrap_err()
                .is_retryable()
        );
        // HTTP 200 carrying a failure code.
        let e = outcome(
            StatusCode::OK,
            br#"{"code":40000003,"message":"file is missing"}"#,
        )
        .unwrap_err();
        assert!(!e.is_retryable());
    }
}
