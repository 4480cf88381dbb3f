//! Qiniu Kodo policy (`qiniu`): the resumable upload v2 that Cloudreve initiates for us.
//! The session carries the upload URL `{host}/buckets/{bucket}/objects/{key}/uploads/{id}` as
//! `upload_urls[0]` and the upload token as `credential`; every request to the store is
//! authorised with `Authorization: UpToken {credential}` (no Cloudreve token goes there).
//!
//! * Chunk `i` is part `i + 1`: `PUT {url}/{i + 1}` with the part's bytes; the store answers
//!   `{"etag": …}`, kept as the chunk's [`ChunkReceipt`] so an upload resumed after a restart
//!   completes with the parts sent before it. Parts other than the last must be ≥ 1 MiB,
//!   which Cloudreve's chunk size already ensures.
//! * Completion: `POST {url}` with `{"parts": [{"etag", "partNumber"}…], "mimeType"}` in part
//!   order. The store assembles the object, posts the put policy's callback to Cloudreve and
//!   answers with Cloudreve's answer (an envelope), or with status 579 when that callback
//!   failed.
//! * Cancel: after Cloudreve's own `DELETE /file/upload` (which aborts the upload on the store
//!   itself), `DELETE {url}` once more, best effort.
//!
//! Statuses: 612 = no such upload (expired, aborted, or already completed), 401 = bad or
//! expired token, 573/429 = rate limited, 5xx = retry later, 579 = the callback failed. An
//! upload the store no longer knows may have been completed by a request whose answer was
//! lost: the file decides ([`confirm_completed`]) before the engine starts over.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{Error, ErrorKind, Result};
use crate::provider::model::Entry;
use crate::provider::upload_types::{ChunkData, ChunkReceipt, ChunkReceipts, UploadSession};

use super::UploadHost;
use super::{PolicyState, Reply, completed_entry, confirm_completed, send};
use crate::provider::cloudreve_v4::envelope::Envelope;

/// "No such upload": the upload id expired, was aborted or was completed.
const NO_SUCH_UPLOAD: u16 = 612;
/// The store could not deliver the callback to Cloudreve (the object is stored, though).
const CALLBACK_FAILED: u16 = 579;
/// Qiniu's "too many requests".
const RATE_LIMITED: u16 = 573;

/// The store's error body.
#[derive(Debug, Default, Deserialize)]
struct StoreError {
    #[serde(default)]
    error: String,
}

/// The answer to a part upload.
#[derive(Debug, Deserialize)]
struct PartAnswer {
    #[serde(default)]
    etag: String,
}

/// The upload URL, without a trailing slash.
fn upload_url(s: &PolicyState) -> Result<&str> {
    s.upload_urls
        .first()
        .map(|u| u.trim_end_matches('/'))
        .filter(|u| !u.is_empty())
        .ok_or_else(|| Error::protocol("The upload session has no upload URL."))
}

/// `Authorization` value for the store.
fn authorization(s: &PolicyState) -> Result<String> {
    s.credential
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| format!("UpToken {c}"))
        .ok_or_else(|| Error::protocol("The upload session has no upload token."))
}

/// Part numbers are 1-based: chunk `index` is part `index + 1`.
fn part_url(base: &str, index: u64) -> String {
    format!("{base}/{}", index + 1)
}

/// `PUT {url}/{index + 1}`; returns the part's etag as the receipt.
pub(crate) async fn upload_part(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let url = part_url(upload_url(s)?, index);
    let Reply { status, wait, body } = send(
        p.http()
            .put(url)
            .header(reqwest::header::AUTHORIZATION, authorization(s)?)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header(reqwest::header::CONTENT_LENGTH, data.len())
            .body(data.body()),
    )
    .await?;
    if !status.is_success() {
        let e = store_error(status, &body).with_retry_after(wait);
        if e.kind() == ErrorKind::UploadSessionExpired {
            // Gone: an earlier run may have completed the file (and its answer got lost).
            return confirm_completed(p, session, s, e)
                .await
                .map(|_| ChunkReceipt::default());
        }
        return Err(e);
    }
    serde_json::from_slice::<PartAnswer>(&body)
        .ok()
        .map(|a| a.etag)
        .filter(|e| !e.is_empty())
        .map(ChunkReceipt::new)
        .ok_or_else(|| {
            Error::protocol(format!(
                "The storage accepted part {} without an etag.",
                index + 1
            ))
        })
}

/// The completion body: every part `1..=count` with its etag, in order, and the MIME type
/// Cloudreve chose (as the official client sends it).
fn complete_body(count: u64, receipts: &ChunkReceipts, mime: Option<&str>) -> Result<Value> {
    let parts = (0..count)
        .map(|index| {
            let etag = receipts.get(&index).ok_or_else(|| {
                Error::protocol(format!(
                    "The storage's receipt (etag) of part {} is missing; the upload must start over.",
                    index + 1
                ))
            })?;
            Ok(json!({ "etag": etag, "partNumber": index + 1 }))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut body = json!({ "parts": parts });
    if let Some(m) = mime.filter(|m| !m.is_empty()) {
        body["mimeType"] = json!(m);
    }
    Ok(body)
}

/// `POST {url}` with the part list; the store calls Cloudreve back before answering.
pub(crate) async fn finish(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
    receipts: &ChunkReceipts,
) -> Result<Entry> {
    let body = match complete_body(
        session.chunk_count(s.size),
        receipts,
        s.mime_type.as_deref(),
    ) {
        Ok(b) => b,
        // A part answered "no such upload" because the file was completed already: then
        // there is no etag, and nothing left to complete.
        Err(e) => return confirm_completed(p, session, s, e).await,
    };
    let Reply { status, wait, body } = send(
        p.http()
            .post(upload_url(s)?)
            .header(reqwest::header::AUTHORIZATION, authorization(s)?)
            .json(&body),
    )
    .await?;
    match complete_outcome(status, &body) {
        Ok(()) => completed_entry(p, session, s).await,
        // Gone (an earlier completion whose answer was lost) or assembled without the
        // callback getting through (Cloudreve may still have completed it): the file decides;
        // otherwise the session cannot finish and the engine starts over.
        Err(e) if e.kind() == ErrorKind::UploadSessionExpired => {
            confirm_completed(p, session, s, e).await
        }
        Err(e) => Err(e.with_retry_after(wait)),
    }
}

/// Judges the completion answer: 200 carries Cloudreve's callback answer (an envelope).
fn complete_outcome(status: StatusCode, body: &[u8]) -> Result<()> {
    if !status.is_success() {
        return Err(store_error(status, body));
    }
    // Cloudreve's answer relayed by the store; anything else is the store's own success.
    if let Ok(env) = Envelope::decode(status.as_u16(), body) {
        env.into_data()?;
    }
    Ok(())
}

/// `DELETE {url}`: abort the multipart upload. Best effort: Cloudreve normally did it already
/// while cancelling the session (the store then answers 612).
pub(crate) async fn abort(p: &dyn UploadHost, s: &PolicyState) {
    let (Ok(url), Ok(auth)) = (upload_url(s), authorization(s)) else {
        return;
    };
    let sent = p
        .http()
        .delete(url)
        .header(reqwest::header::AUTHORIZATION, auth)
        .timeout(crate::net::CONTROL_TIMEOUT)
        .send()
        .await;
    match sent {
        Ok(r) if r.status().is_success() || r.status().as_u16() == NO_SUCH_UPLOAD => {}
        Ok(r) => tracing::debug!(status = r.status().as_u16(), "qiniu abort refused"),
        Err(e) => tracing::debug!(error = %e, "qiniu abort failed"),
    }
}

/// A typed error for the store's answer (`{"error": "…"}` with Qiniu's statuses).
fn store_error(status: StatusCode, body: &[u8]) -> Error {
    let msg = serde_json::from_slice::<StoreError>(body)
        .unwrap_or_default()
        .error;
    let code = status.as_u16();
    let expired = msg.to_ascii_lowercase().contains("expired");
    let (kind, text) = match code {
        NO_SUCH_UPLOAD => (
            ErrorKind::UploadSessionExpired,
            "The storage no longer knows this upload",
        ),
        CALLBACK_FAILED => (
            ErrorKind::UploadSessionExpired,
            "The storage could not notify the server of the upload; the upload must start again",
        ),
        401 if expired => (
            ErrorKind::UploadSessionExpired,
            "The storage's upload token has expired",
        ),
        401 | 403 => (
            ErrorKind::PermissionDenied,
            "The storage refused the upload token",
        ),
        413 => (ErrorKind::FileTooLarge, "The storage refused the upload"),
        429 | RATE_LIMITED => (ErrorKind::RateLimited, "The storage is busy"),
        500..=599 => (ErrorKind::Server, "The storage failed"),
        _ => (ErrorKind::Protocol, "The storage refused the upload"),
    };
    let detail = if msg.is_empty() {
        format!("HTTP {code}")
    } else {
        let short: String = msg.chars().take(200).collect();
        format!("HTTP {code}: {short}")
    };
    let e = Error::with_message(kind, format!("{text} ({detail})."));
    // 5xx (retryable) and 429/573 keep their status; 4xx/6xx are final whatever the kind.
    if matches!(kind, ErrorKind::Server | ErrorKind::RateLimited) {
        e.with_http_status(code)
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(url: &str) -> PolicyState {
        PolicyState {
            kind: "qiniu".into(),
            upload_urls: vec![url.into()],
            credential: Some("ak:sig:policy".into()),
            ..Default::default()
        }
    }

    #[test]
    fn parts_are_numbered_from_one_below_the_upload_url() {
        let s = state("http://up.example/buckets/b/objects/a2V5/uploads/u1/");
        let base = upload_url(&s).unwrap();
        assert_eq!(base, "http://up.example/buckets/b/objects/a2V5/uploads/u1");
        assert_eq!(part_url(base, 0), format!("{base}/1"));
        assert_eq!(part_url(base, 9), format!("{base}/10"));
        assert_eq!(authorization(&s).unwrap(), "UpToken ak:sig:policy");
        let mut none = state("");
        assert!(upload_url(&none).is_err());
        none.credential = None;
        assert!(authorization(&none).is_err());
    }

    #[test]
    fn completion_lists_every_part_in_order_with_its_etag() {
        let r = ChunkReceipts::from([(1, "e2".to_string()), (0, "e1".to_string())]);
        assert_eq!(
            complete_body(2, &r, Some("text/plain")).unwrap(),
            json!({
                "parts": [{"etag": "e1", "partNumber": 1}, {"etag": "e2", "partNumber": 2}],
                "mimeType": "text/plain"
            })
        );
        assert_eq!(
            complete_body(1, &r, Some("")).unwrap(),
            json!({"parts": [{"etag": "e1", "partNumber": 1}]})
        );
        let e = complete_body(3, &r, None).unwrap_err();
        assert!(e.message().contains("part 3"), "{e}");
        assert!(!e.is_retryable());
    }

    #[test]
    fn store_answers_are_classified() {
        let body = |m: &str| format!("{{\"error\":\"{m}\"}}");
        let st = |c: u16| StatusCode::from_u16(c).unwrap();
        let e = store_error(st(612), body("no such uploadId").as_bytes());
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        assert!(e.message().contains("no such uploadId"), "{e}");
        let e = store_error(st(579), body("callback failed").as_bytes());
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        assert_eq!(
            store_error(st(401), body("expired token").as_bytes()).kind(),
            ErrorKind::UploadSessionExpired
        );
        let e = store_error(st(401), body("bad token").as_bytes());
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(!e.is_retryable());
        assert!(store_error(st(503), b"").is_retryable());
        assert!(store_error(st(599), body("server error").as_bytes()).is_retryable());
        let e = store_error(st(573), b"");
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert!(e.is_retryable());
        assert!(store_error(st(429), b"").is_retryable());
        assert!(!store_error(st(400), body("invalid part list").as_bytes()).is_retryable());
        assert!(!store_error(st(614), body("file exists").as_bytes()).is_retryable());
        assert_eq!(store_error(st(413), b"").kind(), ErrorKind::FileTooLarge);
    }

    #[test]
    fn completion_answers_are_checked() {
        assert!(complete_outcome(StatusCode::OK, br#"{"code":0,"msg":""}"#).is_ok());
        // The store's own answer (not an envelope) counts as success; the file is checked next.
        assert!(complete_outcome(StatusCode::OK, br#"{"hash":"x","key":"k"}"#).is_ok());
        let e = complete_outcome(StatusCode::OK, br#"{"code":40055,"msg":"size"}"#).unwrap_err();
        assert_eq!(e.server_code(), Some(40055));
        let e =
            complete_outcome(StatusCode::from_u16(579).unwrap(), br#"{"error":"x"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        let e = complete_outcome(StatusCode::BAD_GATEWAY, b"").unwrap_err();
        assert!(e.is_retryable());
    }
}
