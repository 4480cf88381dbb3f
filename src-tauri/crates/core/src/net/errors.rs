//! Classifying transport failures: DNS, TLS, timeout, refused, other network errors.

use std::error::Error as StdError;

use crate::error::{Error, ErrorKind};

/// Map a reqwest error to a typed core error. Never includes the URL (it may carry a
/// signed download link).
pub fn from_reqwest(e: &reqwest::Error) -> Error {
    // A request body streamed from disk failed (the file changed, a read error): that error,
    // not a network one, is what happened.
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = source {
        if let Some(own) = s.downcast_ref::<Error>() {
            return own.clone();
        }
        source = s.source();
    }
    let kind = classify(e);
    if kind == ErrorKind::Tls {
        return Error::with_message(kind, tls_sentence(e));
    }
    let detail = root_cause(e);
    Error::with_message(kind, format!("{} ({detail})", kind.default_message()))
}

/// The rustls error somewhere in the source chain, if any. Connector errors often box the
/// I/O error, which hides rustls from `downcast_ref`; `chain_text` covers those.
fn rustls_cause(e: &reqwest::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = source {
        if let Some(r) = s.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = s
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        source = s.source();
    }
    None
}

/// Every message of the source chain, lower-cased, joined by `|`.
fn chain_text(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    while let Some(s) = source {
        text.push_str(&s.to_string().to_ascii_lowercase());
        text.push('|');
        source = s.source();
    }
    text
}

/// What went wrong in a TLS handshake, as far as a person needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TlsProblem {
    /// The other side does not speak TLS at all (typically a plain-http server).
    NotHttps,
    Expired,
    WrongName,
    Untrusted,
    OtherCertificate,
    PinChanged,
    Refused,
    Other,
}

fn tls_problem(e: &reqwest::Error) -> TlsProblem {
    use rustls::CertificateError as C;
    match rustls_cause(e) {
        Some(rustls::Error::InvalidMessage(_)) => return TlsProblem::NotHttps,
        Some(rustls::Error::InvalidCertificate(c)) => {
            return match c {
                C::Expired | C::ExpiredContext { .. } => TlsProblem::Expired,
                C::NotValidForName | C::NotValidForNameContext { .. } => TlsProblem::WrongName,
                C::UnknownIssuer | C::BadSignature => TlsProblem::Untrusted,
                _ => TlsProblem::OtherCertificate,
            };
        }
        Some(rustls::Error::General(d)) if d.contains("pinned") => return TlsProblem::PinChanged,
        Some(rustls::Error::AlertReceived(_)) | Some(rustls::Error::PeerIncompatible(_)) => {
            return TlsProblem::Refused;
        }
        Some(_) => return TlsProblem::Other,
        None => {}
    }
    // The same, from the messages rustls gives its errors.
    let text = chain_text(e);
    if text.contains("corrupt message") || text.contains("invalidcontenttype") {
        TlsProblem::NotHttps
    } else if text.contains("pinned") {
        TlsProblem::PinChanged
    } else if text.contains("expired") {
        TlsProblem::Expired
    } else if text.contains("notvalidforname") || text.contains("not valid for name") {
        TlsProblem::WrongName
    } else if text.contains("unknownissuer") || text.contains("badsignature") {
        TlsProblem::Untrusted
    } else if text.contains("invalid peer certificate") {
        TlsProblem::OtherCertificate
    } else if text.contains("received fatal alert") || text.contains("peer is incompatible") {
        TlsProblem::Refused
    } else {
        TlsProblem::Other
    }
}

/// A TLS failure as a sentence a person can act on (never rustls' own wording alone).
pub(crate) fn tls_sentence(e: &reqwest::Error) -> String {
    match tls_problem(e) {
        TlsProblem::NotHttps => {
            "The server did not answer with a secure (https) connection. It may only offer \
             plain http: check the address, or type it with http:// if you trust this network."
        }
        TlsProblem::Expired => {
            "The server's security certificate has expired, so the connection cannot be \
             trusted. Ask the server's administrator to renew it."
        }
        TlsProblem::WrongName => {
            "The server's security certificate is for a different address than the one you \
             typed. Check the address."
        }
        TlsProblem::Untrusted => {
            "The server's security certificate is not trusted: it is self-signed or from an \
             unknown authority. If this is your own server, trust its certificate fingerprint \
             explicitly."
        }
        TlsProblem::OtherCertificate => {
            "The server's security certificate is not valid, so the connection cannot be trusted."
        }
        TlsProblem::PinChanged => {
            "The server's certificate changed: it no longer matches the one you chose to trust. \
             If the administrator replaced it, sign in again and trust the new one."
        }
        TlsProblem::Refused => {
            "The server refused the secure connection (it may need an older or newer kind of \
             encryption than Cirrus supports)."
        }
        TlsProblem::Other => {
            "A secure (https) connection to the server could not be set up. Check the address; \
             if the problem stays, the server's https setup may be broken."
        }
    }
    .to_string()
}

/// The `Retry-After` of a response: delta-seconds or an HTTP date. Only meaningful on 429 and
/// 503 answers, but harmless to read on any.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<std::time::Duration> {
    let v = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(std::time::Duration::from_secs(secs));
    }
    let at = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let wait = at.timestamp() - chrono::Utc::now().timestamp();
    Some(std::time::Duration::from_secs(wait.max(0) as u64))
}

fn classify(e: &reqwest::Error) -> ErrorKind {
    if e.is_timeout() {
        return ErrorKind::Timeout;
    }
    let mut source: Option<&(dyn StdError + 'static)> = e.source();
    let mut text = String::new();
    while let Some(s) = source {
        if s.downcast_ref::<rustls::Error>().is_some() {
            return ErrorKind::Tls;
        }
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => return ErrorKind::Unreachable,
                std::io::ErrorKind::TimedOut => return ErrorKind::Timeout,
                _ => {}
            }
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
            {
                return ErrorKind::Tls;
            }
        }
        text.push_str(&s.to_string().to_ascii_lowercase());
        text.push('|');
        source = s.source();
    }
    if text.contains("dns error")
        || text.contains("failed to lookup address")
        || text.contains("name or service not known")
    {
        ErrorKind::Dns
    } else if text.contains("certificate")
        || text.contains("tls")
        || text.contains("handshake")
        || text.contains("received corrupt message")
        || text.contains("received fatal alert")
        || text.contains("peer is incompatible")
        || text.contains("peer misbehaved")
    {
        ErrorKind::Tls
    } else if text.contains("connection refused")
        || text.contains("no route to host")
        || text.contains("network is unreachable")
    {
        ErrorKind::Unreachable
    } else if text.contains("unexpected eof")
        || text.contains("end of file")
        || text.contains("incomplete")
        || text.contains("connection reset")
        || text.contains("connection closed")
    {
        // A body cut off mid-way (dropped connection) surfaces as a decode error, but it is
        // the network, and worth retrying.
        ErrorKind::Network
    } else if e.is_decode() {
        ErrorKind::Protocol
    } else {
        ErrorKind::Network
    }
}

fn root_cause(e: &reqwest::Error) -> String {
    let mut last = e.without_url_ref();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        // reqwest's Display includes the URL; strip it.
        let mut s = self.to_string();
        if let Some(url) = self.url() {
            s = s.replace(url.as_str(), "<url>");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), None);
        h.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&h), Some(std::time::Duration::from_secs(7)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
        h.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let d = retry_after(&h).unwrap().as_secs();
        assert!((100..=120).contains(&d), "{d}");
        h.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[tokio::test]
    async fn refused_connection_is_unreachable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap_err();
        assert_eq!(from_reqwest(&err).kind(), ErrorKind::Unreachable);
    }

    #[tokio::test]
    async fn a_body_cut_off_midway_is_a_network_error() {
        use tokio::io::AsyncWriteExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let serve = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut buf).await;
            sock.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc")
                .await
                .unwrap();
        });
        let resp = reqwest::get(format!("http://127.0.0.1:{port}/"))
            .await
            .unwrap();
        let err = resp.bytes().await.unwrap_err();
        let e = from_reqwest(&err);
        assert_eq!(e.kind(), ErrorKind::Network, "{e:?}");
        assert!(e.is_retryable());
        serve.await.unwrap();
    }

    #[tokio::test]
    async fn https_to_a_plain_http_server_is_explained_in_words() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let serve = tokio::spawn(async move {
            let (mut sock, _) = listener.accept().await.unwrap();
            let mut buf = [0u8; 1024];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                .await;
        });
        let http = crate::net::build_client(&crate::net::HttpOptions::default()).unwrap();
        let err = http
            .get(format!("https://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        let e = from_reqwest(&err);
        assert_eq!(e.kind(), ErrorKind::Tls, "{e:?}");
        assert!(e.message().contains("plain http"), "{}", e.message());
        assert!(
            !e.message().contains("InvalidContentType"),
            "{}",
            e.message()
        );
        assert!(!e.message().contains("corrupt"), "{}", e.message());
        serve.abort();
    }

    #[tokio::test]
    async fn unknown_host_is_dns() {
        let err = reqwest::get("http://cirrus-test-host.invalid/")
            .await
            .unwrap_err();
        let kind = from_reqwest(&err).kind();
        assert!(
            matches!(kind, ErrorKind::Dns | ErrorKind::Unreachable),
            "{kind:?}"
        );
    }

    #[tokio::test]
    async fn silent_server_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let hold = tokio::spawn(async move {
            let (_sock, _) = listener.accept().await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(5)).await;
        });
        let client = reqwest::Client::builder()
            .timeout(std::time::Duration::from_millis(200))
            .build()
            .unwrap();
        let err = client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .unwrap_err();
        assert_eq!(from_reqwest(&err).kind(), ErrorKind::Timeout);
        hold.abort();
    }
}
