//! OneDrive / SharePoint policies: the chunks are byte ranges PUT to the Microsoft Graph
//! upload session `upload_urls[0]` with `Content-Range: bytes a-b/total`, strictly in order
//! (the session is created with `chunk_concurrency` 1 for that reason). Completion is the
//! host's callback (v4 `POST /callback/onedrive/{session}/{secret}`, v3
//! `POST /callback/onedrive/finish/{session}`), after which Cloudreve checks the size.
//!
//! The upload session is the source of truth for what arrived: an answer lists the
//! `nextExpectedRanges`. A chunk the session already has (a lost answer, or an upload resumed
//! after a restart) is refused with 416; then the session is queried (`GET` on the upload
//! URL) and only what it still expects of the chunk is sent. An answer that accepted fewer
//! bytes than sent is honoured the same way.
//!
//! Empty files cannot go through a Graph upload session (there is no zero-byte range); the
//! session is refused at creation, as the official client does.

use reqwest::StatusCode;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::model::Entry;
use crate::provider::upload_types::{ChunkData, ChunkReceipt, UploadSession};

use super::UploadHost;
use super::{PolicyState, Reply, completed_entry, confirm_completed, send};

/// Re-sends of a remainder within one chunk call before giving up (a session that keeps
/// asking for bytes it was sent is broken).
const MAX_ROUNDS: usize = 4;

/// The upload-session status Graph returns with 202 and from `GET {upload url}`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SessionStatus {
    #[serde(default)]
    next_expected_ranges: Vec<String>,
}

/// First byte the session still expects within `start..end`, or `None` if it has them all.
fn first_missing(ranges: &[String], start: u64, end: u64) -> Result<Option<u64>> {
    let mut first: Option<u64> = None;
    for r in ranges {
        let (a, b) = r
            .split_once('-')
            .ok_or_else(|| Error::protocol(format!("Invalid expected range \"{r}\".")))?;
        let a: u64 = a
            .trim()
            .parse()
            .map_err(|_| Error::protocol(format!("Invalid expected range \"{r}\".")))?;
        // "a-" is open ended; "a-b" is inclusive.
        let b_excl = match b.trim() {
            "" => u64::MAX,
            b => b
                .parse::<u64>()
                .map_err(|_| Error::protocol(format!("Invalid expected range \"{r}\".")))?
                .saturating_add(1),
        };
        let lo = a.max(start);
        if lo < b_excl.min(end) {
            first = Some(first.map_or(lo, |f| f.min(lo)));
        }
    }
    Ok(first)
}

/// Sends chunk `index` (`data` covers `start..start + data.len()` of the file).
pub(crate) async fn upload_chunk(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let url = s
        .upload_urls
        .first()
        .ok_or_else(|| Error::protocol("The upload session has no upload URL."))?;
    let start = index * session.chunk_size;
    let end = start + data.len();
    let mut from = start;
    for _ in 0..MAX_ROUNDS {
        let part = data.skip(from - start);
        let Reply { status, wait, body } = send(
            p.http()
                .put(url)
                .header(
                    reqwest::header::CONTENT_RANGE,
                    format!("bytes {from}-{}/{}", end - 1, s.size),
                )
                .header(reqwest::header::CONTENT_LENGTH, part.len())
                .body(part.body()),
        )
        .await?;
        let expected = match status {
            // The last range: the item exists now.
            StatusCode::OK | StatusCode::CREATED => return Ok(ChunkReceipt::default()),
            StatusCode::ACCEPTED => {
                serde_json::from_slice::<SessionStatus>(&body)
                    .unwrap_or_default()
                    .next_expected_ranges
            }
            // Overlaps what the session already has: ask what it still wants.
            StatusCode::RANGE_NOT_SATISFIABLE | StatusCode::CONFLICT => {
                query(p, url).await?.next_expected_ranges
            }
            // Graph closes the session with the last range. If that answer was lost, the
            // retry finds no session; the callback then checks the stored size.
            StatusCode::NOT_FOUND if end == s.size && from == start => {
                return Ok(ChunkReceipt::default());
            }
            _ => return Err(graph_error(status, &body).with_retry_after(wait)),
        };
        match first_missing(&expected, start, end)? {
            None => return Ok(ChunkReceipt::default()),
            Some(next) => from = next,
        }
    }
    Err(Error::protocol(format!(
        "The OneDrive upload session keeps asking for bytes of chunk {index} it was sent."
    )))
}

/// `GET {upload url}`: the session's status.
async fn query(p: &dyn UploadHost, url: &str) -> Result<SessionStatus> {
    let Reply { status, wait, body } = send(p.http().get(url)).await?;
    if !status.is_success() {
        return Err(graph_error(status, &body).with_retry_after(wait));
    }
    serde_json::from_slice(&body)
        .map_err(|e| Error::protocol(format!("Unexpected OneDrive session status: {e}")))
}

/// The host's "OneDrive upload finished" callback, then the finished file.
pub(crate) async fn finish(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
) -> Result<Entry> {
    match p.client_callback(session, s).await {
        Ok(()) => completed_entry(p, session, s).await,
        // An earlier callback whose answer was lost may have completed it already.
        Err(e) if e.kind() == ErrorKind::UploadSessionExpired => {
            confirm_completed(p, session, s, e).await
        }
        Err(e) => Err(e),
    }
}

/// A typed error for a Graph error answer (`{"error": {"code": …, "message": …}}`).
fn graph_error(status: StatusCode, body: &[u8]) -> Error {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let code = v["error"]["code"].as_str().unwrap_or_default();
    let msg = v["error"]["message"].as_str().unwrap_or_default();
    let kind = match status.as_u16() {
        // The upload session expired or was cancelled.
        404 | 410 => ErrorKind::UploadSessionExpired,
        429 => ErrorKind::RateLimited,
        // Insufficient storage is final, unlike the other 5xx.
        413 | 507 => ErrorKind::QuotaExceeded,
        500..=599 => ErrorKind::Server,
        401 | 403 => ErrorKind::PermissionDenied,
        _ => ErrorKind::Protocol,
    };
    let detail = if code.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}, {code}: {msg}", status.as_u16())
    };
    Error::with_message(kind, format!("OneDrive refused the upload ({detail})."))
        .with_http_status(status.as_u16())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn expected_ranges_decide_what_is_left_of_a_chunk() {
        // Nothing of 100..200 received yet.
        assert_eq!(first_missing(&r(&["100-"]), 100, 200).unwrap(), Some(100));
        // The session has the chunk already.
        assert_eq!(first_missing(&r(&["200-"]), 100, 200).unwrap(), None);
        assert_eq!(first_missing(&r(&[]), 100, 200).unwrap(), None);
        // Part of it arrived.
        assert_eq!(first_missing(&r(&["150-"]), 100, 200).unwrap(), Some(150));
        // Holes elsewhere do not matter; inclusive ends.
        assert_eq!(
            first_missing(&r(&["0-99", "300-"]), 100, 200).unwrap(),
            None
        );
        assert_eq!(
            first_missing(&r(&["0-120", "300-"]), 100, 200).unwrap(),
            Some(100)
        );
        assert_eq!(
            first_missing(&r(&["180-189", "120-130"]), 100, 200).unwrap(),
            Some(120)
        );
        assert!(first_missing(&r(&["x"]), 0, 1).is_err());
    }

    #[test]
    fn graph_errors_are_classified() {
        let body = br#"{"error":{"code":"itemNotFound","message":"gone"}}"#;
        let e = graph_error(StatusCode::NOT_FOUND, body);
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        assert!(e.message().contains("itemNotFound"));
        assert!(graph_error(StatusCode::SERVICE_UNAVAILABLE, b"").is_retryable());
        assert!(graph_error(StatusCode::TOO_MANY_REQUESTS, b"").is_retryable());
        assert!(!graph_error(StatusCode::BAD_REQUEST, b"").is_retryable());
    }
}
