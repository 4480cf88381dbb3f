//! S3-compatible storage policies (`s3`, `ks3`, `cos`, `obs`, `oss`): every chunk is an
//! `UploadPart` sent straight to the store with the presigned URL `upload_urls[index]`; the
//! store answers each part with an `ETag`, which completion needs.
//!
//! Completion: POST the `CompleteMultipartUpload` XML (part numbers and ETags) to
//! `completeURL` — for OSS an empty body with the signed `x-oss-complete-all: yes` instead,
//! as Cloudreve's OSS driver presigns it — then
//! * S3, KS3, COS: the client tells Cloudreve ([`UploadHost::client_callback`]);
//! * OBS, OSS: the store calls Cloudreve back itself and relays Cloudreve's answer as the
//!   answer to the completion request.
//!
//! Where the ETags live: `upload_chunk` returns each ETag as the chunk's [`ChunkReceipt`]
//! and the transfer engine stores it with the acknowledged chunk in its queue, so an upload
//! resumed after a restart completes with the parts sent before it. Asking the store instead
//! (`ListParts`) is not possible: Cloudreve only presigns the part and completion URLs.
//!
//! Every step tolerates a lost answer: completing an already completed upload (`NoSuchUpload`)
//! or calling back for a session Cloudreve already closed is checked against the file itself.

use reqwest::StatusCode;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{from_reqwest, retry_after};
use crate::provider::model::Entry;
use crate::provider::upload_types::{ChunkData, ChunkReceipt, ChunkReceipts, UploadSession};

use super::UploadHost;
use super::{PolicyState, Reply, completed_entry, confirm_completed, send};
use crate::provider::cloudreve_v4::envelope::Envelope;

/// Who tells Cloudreve that the object is complete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Completion {
    /// The client, with a GET callback (`s3`, `ks3`, `cos`).
    ClientCallback,
    /// The store, while answering the completion request (`obs`, `oss`).
    StorageCallback,
}

impl Completion {
    /// The completion style of an S3-compatible policy type; `None` for other types.
    pub(crate) fn of(kind: &str) -> Option<Completion> {
        match kind {
            "s3" | "ks3" | "cos" => Some(Completion::ClientCallback),
            "obs" | "oss" => Some(Completion::StorageCallback),
            _ => None,
        }
    }
}

/// `PUT upload_urls[index]` with the part; returns its `ETag` (quotes kept, as S3 wants them
/// back). No Cloudreve token and no `X-Cr-*` headers: the URL carries its own signature.
pub(crate) async fn upload_part(
    p: &dyn UploadHost,
    s: &PolicyState,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    let url = s.upload_urls.get(index as usize).ok_or_else(|| {
        Error::protocol(format!(
            "The upload session has no URL for part {}.",
            index + 1
        ))
    })?;
    let resp = p
        .http()
        .put(url)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header(reqwest::header::CONTENT_LENGTH, data.len())
        .body(data.body())
        .send()
        .await
        .map_err(|e| from_reqwest(&e))?;
    let status = resp.status();
    let wait = retry_after(resp.headers());
    let etag = resp
        .headers()
        .get(reqwest::header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
    if !status.is_success() {
        return Err(storage_error(status, &body).with_retry_after(wait));
    }
    etag.filter(|e| !e.is_empty())
        .map(ChunkReceipt::new)
        .ok_or_else(|| {
            Error::protocol(format!(
                "The storage accepted part {} without an ETag (is ETag exposed?).",
                index + 1
            ))
        })
}

/// Completes the multipart upload and the Cloudreve session, then returns the file.
pub(crate) async fn finish(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
    how: Completion,
    receipts: &ChunkReceipts,
) -> Result<Entry> {
    let url = s
        .complete_url
        .as_deref()
        .ok_or_else(|| Error::protocol("The upload session has no completion URL."))?;
    let req = if s.kind == "oss" {
        // These headers are part of the URL's signature: OSS assembles every uploaded part.
        p.http()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .header("x-oss-complete-all", "yes")
            .header("x-oss-forbid-overwrite", "true")
            .header(reqwest::header::CONTENT_LENGTH, 0)
    } else {
        let xml = complete_xml(session.chunk_count(s.size), receipts)?;
        p.http()
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/xml")
            .body(xml)
    };
    let Reply { status, wait, body } = send(req).await?;
    match complete_outcome(status, &body, how) {
        Ok(()) => {}
        // The multipart upload is gone: an earlier attempt completed it, and its answer or
        // the callback after it failed (so the engine retries this whole step). The callback
        // (or, for storage callbacks, the file itself) tells whether Cloudreve got the object.
        Err(e) if is_gone(&e) => {
            if how == Completion::ClientCallback {
                match client_callback(p, session, s).await {
                    Ok(()) => {}
                    Err(cb) if cb.is_retryable() => return Err(cb),
                    Err(_) => return Err(e),
                }
            }
            return confirm_completed(p, session, s, e).await;
        }
        Err(e) => return Err(e.with_retry_after(wait)),
    }
    if how == Completion::ClientCallback {
        client_callback(p, session, s).await?;
    }
    completed_entry(p, session, s).await
}

/// The host's callback (Cloudreve checks the object size, 40055).
pub(crate) async fn client_callback(
    p: &dyn UploadHost,
    session: &UploadSession,
    s: &PolicyState,
) -> Result<()> {
    match p.client_callback(session, s).await {
        Ok(()) => Ok(()),
        // A lost answer to an earlier callback closed the session already; if the file is
        // complete, so are we.
        Err(e) if e.kind() == ErrorKind::UploadSessionExpired => {
            confirm_completed(p, session, s, e).await.map(|_| ())
        }
        Err(e) => Err(e),
    }
}

/// The `CompleteMultipartUpload` body for parts `1..=count`. Every part needs its ETag.
fn complete_xml(count: u64, receipts: &ChunkReceipts) -> Result<String> {
    let mut xml = String::from("<CompleteMultipartUpload>");
    for index in 0..count {
        let etag = receipts.get(&index).ok_or_else(|| {
            Error::protocol(format!(
                "The storage's receipt (ETag) of part {} is missing; the upload must start over.",
                index + 1
            ))
        })?;
        xml.push_str(&format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
            index + 1,
            xml_escape(etag)
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    Ok(xml)
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Judges the completion answer. S3 may answer 200 with an `<Error>` document (the failure
/// surfaced while the response was already streaming); OBS/OSS relay Cloudreve's callback
/// answer (an envelope), with 203 when their callback failed.
fn complete_outcome(status: StatusCode, body: &[u8], how: Completion) -> Result<()> {
    if !status.is_success() || xml_tag(body, "Code").is_some() {
        return Err(storage_error(status, body));
    }
    if how == Completion::StorageCallback {
        if status == StatusCode::NON_AUTHORITATIVE_INFORMATION {
            let detail = Envelope::decode(200, body)
                .map(|env| env.to_error().message().to_string())
                .unwrap_or_else(|_| "no answer".into());
            // The parts are assembled, so completing again is impossible, and only the
            // storage may call back: this session cannot finish. Start over (once).
            return Err(Error::with_message(
                ErrorKind::UploadSessionExpired,
                format!(
                    "The storage could not notify the server of the upload ({detail}); \
                     the upload must start again."
                ),
            ));
        }
        if let Ok(env) = Envelope::decode(status.as_u16(), body) {
            env.into_data()?;
        }
    }
    Ok(())
}

/// Whether a completion failure says the multipart upload no longer exists: `NoSuchUpload`,
/// or `AccessDenied`, which some stores answer for an upload id they no longer know.
fn is_gone(e: &Error) -> bool {
    let m = e.message();
    m.contains(", NoSuchUpload:") || m.contains(", AccessDenied:")
}

/// The text of the first `<tag>` element of an XML error document.
fn xml_tag(body: &[u8], tag: &str) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let open = format!("<{tag}>");
    let a = text.find(&open)? + open.len();
    let b = text[a..].find(&format!("</{tag}>"))? + a;
    Some(text[a..b].to_string())
}

/// A typed error for an S3-style error answer (`<Error><Code>…</Code><Message>…`).
pub(crate) fn storage_error(status: StatusCode, body: &[u8]) -> Error {
    let code = xml_tag(body, "Code").unwrap_or_default();
    let message = xml_tag(body, "Message").unwrap_or_default();
    let expired = message.to_ascii_lowercase().contains("expired");
    let kind = match (status.as_u16(), code.as_str()) {
        (_, "NoSuchUpload") => ErrorKind::UploadSessionExpired,
        (403, _) if expired => ErrorKind::UploadSessionExpired,
        (_, "SlowDown" | "RequestTimeout" | "InternalError" | "ServiceUnavailable") => {
            ErrorKind::Server
        }
        (429, _) => ErrorKind::RateLimited,
        (500..=599, _) => ErrorKind::Server,
        (403, _) => ErrorKind::PermissionDenied,
        _ => ErrorKind::Protocol,
    };
    let detail = if code.is_empty() {
        format!("HTTP {}", status.as_u16())
    } else {
        format!("HTTP {}, {code}: {message}", status.as_u16())
    };
    let mut e = Error::with_message(kind, format!("The storage refused the upload ({detail})."));
    // Keep 5xx/429 statuses (retryable); a 200 carrying an error is a server failure too.
    let http = if status.is_success() {
        500
    } else {
        status.as_u16()
    };
    if kind == ErrorKind::Server || kind == ErrorKind::RateLimited {
        e = e.with_http_status(http);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completion_xml_lists_every_part_with_its_etag() {
        let r = ChunkReceipts::from([(0, "\"a\"".to_string()), (1, "\"b&\"".to_string())]);
        assert_eq!(
            complete_xml(2, &r).unwrap(),
            "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>\
             <Part><PartNumber>2</PartNumber><ETag>&quot;b&amp;&quot;</ETag></Part></CompleteMultipartUpload>"
        );
        let e = complete_xml(3, &r).unwrap_err();
        assert!(e.message().contains("part 3"), "{e}");
    }

    #[test]
    fn storage_errors_are_classified() {
        let xml = |code: &str, msg: &str| {
            format!(
                "<?xml version=\"1.0\"?><Error><Code>{code}</Code><Message>{msg}</Message></Error>"
            )
        };
        let e = storage_error(
            StatusCode::NOT_FOUND,
            xml("NoSuchUpload", "gone").as_bytes(),
        );
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        assert!(is_gone(&e));
        let e = storage_error(
            StatusCode::FORBIDDEN,
            xml("AccessDenied", "Request has expired").as_bytes(),
        );
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        let e = storage_error(
            StatusCode::FORBIDDEN,
            xml("SignatureDoesNotMatch", "no").as_bytes(),
        );
        assert_eq!(e.kind(), ErrorKind::PermissionDenied);
        assert!(!e.is_retryable());
        assert!(!is_gone(&e));
        assert!(is_gone(&storage_error(
            StatusCode::FORBIDDEN,
            xml("AccessDenied", "").as_bytes()
        )));
        let e = storage_error(StatusCode::SERVICE_UNAVAILABLE, b"busy");
        assert!(e.is_retryable());
        let e = storage_error(StatusCode::TOO_MANY_REQUESTS, b"");
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        let e = storage_error(
            StatusCode::BAD_REQUEST,
            xml("EntityTooSmall", "x").as_bytes(),
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn completion_answers_are_checked() {
        let ok =
            b"<CompleteMultipartUploadResult><ETag>\"x-2\"</ETag></CompleteMultipartUploadResult>";
        assert!(complete_outcome(StatusCode::OK, ok, Completion::ClientCallback).is_ok());
        // 200 with an error document is a failure (and worth retrying).
        let e = complete_outcome(
            StatusCode::OK,
            b"<Error><Code>InternalError</Code><Message>m</Message></Error>",
            Completion::ClientCallback,
        )
        .unwrap_err();
        assert!(e.is_retryable(), "{e:?}");
        let cb_ok = br#"{"code":0,"msg":""}"#;
        assert!(complete_outcome(StatusCode::OK, cb_ok, Completion::StorageCallback).is_ok());
        let cb_bad = br#"{"code":40055,"msg":"File size not match"}"#;
        let e = complete_outcome(StatusCode::OK, cb_bad, Completion::StorageCallback).unwrap_err();
        assert_eq!(e.server_code(), Some(40055));
        let e = complete_outcome(
            StatusCode::NON_AUTHORITATIVE_INFORMATION,
            cb_bad,
            Completion::StorageCallback,
        )
        .unwrap_err();
        assert!(e.message().contains("File size not match"), "{e}");
        assert_eq!(e.kind(), ErrorKind::UploadSessionExpired);
        assert_eq!(Completion::of("oss"), Some(Completion::StorageCallback));
        assert_eq!(Completion::of("cos"), Some(Completion::ClientCallback));
        assert_eq!(Completion::of("local"), None);
    }
}
