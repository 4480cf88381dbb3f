//! The HTTP layer of the v3 provider: requests under `/api/v3`, the `cloudreve-session`
//! cookie as the credential, envelope decoding with v3's code table, and one sign-in again
//! (with the remembered password, through the session's refresher) when the server says the
//! cookie is no longer signed in.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{CONTROL_TIMEOUT, from_reqwest, retry_after};
use crate::provider::cloudreve_v4::envelope::Envelope;
use crate::provider::upload_types::ChunkData;
use crate::session::{Session, TokenSet};

use super::codes::{CODE_LOGIN_REQUIRED, code_error};

/// Name of Cloudreve 3's session cookie.
pub const COOKIE: &str = "cloudreve-session";

/// Cloudreve 3's session cookie lifetime when the server does not say (`MaxAge` 60 days).
pub const DEFAULT_COOKIE_LIFETIME_SECS: i64 = 60 * 24 * 3600;

/// A request body.
#[derive(Clone)]
pub enum Body {
    /// No body.
    None,
    /// JSON.
    Json(Value),
    /// Upload data with an exact Content-Length; a fresh body for every attempt.
    Data(ChunkData),
}

/// What a `Set-Cookie: cloudreve-session=…` header said.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionCookie {
    /// The cookie value; empty when the server deleted it.
    pub value: String,
    /// When it stops working, when the server said.
    pub expires: Option<DateTime<Utc>>,
}

impl SessionCookie {
    /// Whether the server removed the cookie (sign-out).
    pub fn is_deleted(&self) -> bool {
        self.value.is_empty() || self.expires.is_some_and(|e| e <= Utc::now())
    }

    /// The cookie as the session's credential. v3 has no refresh token: "refreshing" is
    /// signing in again, which the refresher decides (remembered password or not), so the
    /// refresh side never expires on its own.
    pub fn into_tokens(self, now: DateTime<Utc>) -> TokenSet {
        TokenSet {
            access_token: self.value,
            refresh_token: String::new(),
            access_expires: self
                .expires
                .unwrap_or(now + ChronoDuration::seconds(DEFAULT_COOKIE_LIFETIME_SECS)),
            refresh_expires: now + ChronoDuration::days(365 * 100),
            obtained_at: now,
        }
    }
}

/// Finds our session cookie among `Set-Cookie` headers.
pub fn session_cookie(headers: &reqwest::header::HeaderMap) -> Option<SessionCookie> {
    headers
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| parse_set_cookie(v, Utc::now()))
        .next_back()
}

/// Parses one `Set-Cookie` value if it is Cloudreve's session cookie.
pub fn parse_set_cookie(header: &str, now: DateTime<Utc>) -> Option<SessionCookie> {
    let mut parts = header.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    if name.trim() != COOKIE {
        return None;
    }
    let mut expires = None;
    let mut max_age = None;
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "max-age" => max_age = v.trim().parse::<i64>().ok(),
            "expires" => {
                expires = DateTime::parse_from_rfc2822(v.trim().replace('-', " ").as_str())
                    .ok()
                    .map(|d| d.with_timezone(&Utc))
            }
            _ => {}
        }
    }
    // Max-Age wins over Expires (RFC 6265 §5.3).
    if let Some(secs) = max_age {
        expires = Some(now + ChronoDuration::seconds(secs));
    }
    Some(SessionCookie {
        value: value.trim().trim_matches('"').to_string(),
        expires,
    })
}

/// One decoded answer and the session cookie it set, if any.
pub struct Reply {
    /// The envelope.
    pub env: Envelope,
    /// A new (or deleted) session cookie.
    pub cookie: Option<SessionCookie>,
}

/// What a GET for content brought back.
pub enum Fetched {
    /// The content (HTTP 2xx, not JSON).
    Content(Vec<u8>),
    /// An envelope: Cloudreve's way of saying no.
    Envelope(Envelope),
}

/// Client for one v3 server (and, when signed in, one cookie session).
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    site: Url,
    api_base: Url,
    session: Option<Arc<Session>>,
}

impl ApiClient {
    /// A client for the site at `site` (the normalised site URL).
    pub fn new(http: reqwest::Client, site: &Url, session: Option<Arc<Session>>) -> Self {
        let mut s = site.as_str().trim_end_matches('/').to_string();
        s.push_str("/api/v3/");
        ApiClient {
            http,
            site: site.clone(),
            api_base: Url::parse(&s).expect("site URL plus a path is a URL"),
            session,
        }
    }

    /// The HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The site URL.
    pub fn site(&self) -> &Url {
        &self.site
    }

    /// The session, if signed in.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    /// Absolute URL of an API path such as `directory/a%20b` (already escaped).
    pub fn url(&self, path: &str) -> Url {
        self.api_base
            .join(path.trim_start_matches('/'))
            .expect("API paths are valid")
    }

    /// A URL the server gave. Download links of the local policy are relative
    /// (`/api/v3/file/download/…`): they are relative to the site, sub-path included.
    pub fn resolve(&self, link: &str) -> Result<Url> {
        let joined = if link.starts_with('/') && !link.starts_with("//") {
            Url::parse(&format!(
                "{}{link}",
                self.site.as_str().trim_end_matches('/')
            ))
        } else {
            self.site.join(link)
        };
        joined.map_err(|e| Error::protocol(format!("Invalid link from the server: {e}")))
    }

    /// Sends one request with `cookie` (or none) and decodes the envelope.
    pub async fn raw(
        &self,
        method: Method,
        url: Url,
        body: &Body,
        cookie: Option<&str>,
        timeout: Option<Duration>,
    ) -> Result<Reply> {
        tracing::debug!(method = %method, path = url.path(), "request");
        let mut req = self.http.request(method, url);
        if let Some(c) = cookie.filter(|c| !c.is_empty()) {
            req = req.header(reqwest::header::COOKIE, format!("{COOKIE}={c}"));
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        req = match body {
            Body::None => req,
            Body::Json(v) => req.json(v),
            Body::Data(d) => req
                .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
                .header(reqwest::header::CONTENT_LENGTH, d.len())
                .body(d.body()),
        };
        let resp = req.send().await.map_err(|e| from_reqwest(&e))?;
        let status = resp.status().as_u16();
        let wait = retry_after(resp.headers());
        let cookie = session_cookie(resp.headers());
        let bytes = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
        let env = Envelope::decode(status, &bytes).map_err(|e| e.with_retry_after(wait))?;
        if env.code != 0 {
            tracing::debug!(code = env.code, status, "server returned an error code");
        }
        Ok(Reply { env, cookie })
    }

    /// Sends a request with the session cookie. A "login required" answer signs in again
    /// once (when the session can) and repeats the request; a cookie the server re-issues
    /// replaces the stored one.
    pub async fn envelope(
        &self,
        method: Method,
        path: &str,
        body: Body,
        timeout: Option<Duration>,
    ) -> Result<Envelope> {
        let url = self.url(path);
        self.with_cookie(path, |cookie| {
            let (method, url, body) = (method.clone(), url.clone(), &body);
            async move {
                let r = self
                    .raw(method, url, body, cookie.as_deref(), timeout)
                    .await?;
                Ok((r.env.code, r.cookie, r.env))
            }
        })
        .await
    }

    /// A GET whose success is content rather than an envelope (Cloudreve answers failures
    /// with a JSON envelope, HTTP 200). Content longer than `max` bytes is refused.
    pub async fn fetch_content(&self, path: &str, max: usize) -> Result<Fetched> {
        let url = self.url(path);
        self.with_cookie(path, |cookie| {
            let url = url.clone();
            async move {
                let fetched = self.content_once(url, cookie.as_deref(), max).await?;
                let code = match &fetched.0 {
                    Fetched::Envelope(env) => env.code,
                    Fetched::Content(_) => 0,
                };
                Ok((code, fetched.1, fetched.0))
            }
        })
        .await
    }

    async fn content_once(
        &self,
        url: Url,
        cookie: Option<&str>,
        max: usize,
    ) -> Result<(Fetched, Option<SessionCookie>)> {
        tracing::debug!(path = url.path(), "request (content)");
        let mut req = self.http.get(url).timeout(CONTROL_TIMEOUT);
        if let Some(c) = cookie.filter(|c| !c.is_empty()) {
            req = req.header(reqwest::header::COOKIE, format!("{COOKIE}={c}"));
        }
        let mut resp = req.send().await.map_err(|e| from_reqwest(&e))?;
        let got = session_cookie(resp.headers());
        if resp.status().is_redirection() {
            // Other storage policies answer with a redirect to their own signed URL; the
            // cookie stays with the site.
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| Error::protocol("A redirect without a location."))?;
            let to = self.resolve(to)?;
            resp = self
                .http
                .get(to)
                .timeout(CONTROL_TIMEOUT)
                .send()
                .await
                .map_err(|e| from_reqwest(&e))?;
        }
        let status = resp.status().as_u16();
        let json = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if resp.content_length().is_some_and(|n| n as usize > max) {
            return Err(Error::protocol(
                "The server's answer is larger than expected.",
            ));
        }
        let bytes = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
        if bytes.len() > max {
            return Err(Error::protocol(
                "The server's answer is larger than expected.",
            ));
        }
        if json || !(200..300).contains(&status) {
            return Ok((Fetched::Envelope(Envelope::decode(status, &bytes)?), got));
        }
        Ok((Fetched::Content(bytes.to_vec()), got))
    }

    /// Runs `send` with the session's cookie (or none without a session). An answer with
    /// code "login required" signs in again once and repeats; a re-issued cookie is kept.
    async fn with_cookie<T, F, Fut>(&self, path: &str, send: F) -> Result<T>
    where
        F: Fn(Option<String>) -> Fut,
        Fut: std::future::Future<Output = Result<(i64, Option<SessionCookie>, T)>>,
    {
        let Some(session) = &self.session else {
            return Ok(send(None).await?.2);
        };
        let cookie = session.access_token().await?;
        let (code, got, out) = send(Some(cookie.clone())).await?;
        if code != CODE_LOGIN_REQUIRED {
            self.keep_cookie(session, &cookie, got).await;
            return Ok(out);
        }
        tracing::debug!(path, "session cookie rejected; signing in again once");
        let cookie = session.refresh_after_rejection(&cookie).await?;
        let (code, got, out) = send(Some(cookie.clone())).await?;
        if code == CODE_LOGIN_REQUIRED {
            return Err(Error::new(ErrorKind::SignInAgain).with_server_code(code));
        }
        self.keep_cookie(session, &cookie, got).await;
        Ok(out)
    }

    async fn keep_cookie(&self, session: &Session, sent: &str, got: Option<SessionCookie>) {
        if let Some(c) = got.filter(|c| !c.is_deleted() && c.value != sent) {
            session
                .replace_tokens(sent, c.into_tokens(Utc::now()))
                .await;
        }
    }

    /// Sends a request and decodes `data` into `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Body,
    ) -> Result<T> {
        let env = self
            .envelope(method, path, body, Some(CONTROL_TIMEOUT))
            .await?;
        if env.code != 0 {
            return Err(code_error(env.code, &env.msg));
        }
        env.parse_data()
            .map_err(|e| Error::protocol(format!("Unexpected answer from {path}: {e}")))
    }

    /// Sends a request whose success carries no useful data.
    pub async fn call_unit(&self, method: Method, path: &str, body: Body) -> Result<()> {
        let env = self
            .envelope(method, path, body, Some(CONTROL_TIMEOUT))
            .await?;
        check(&env)
    }
}

/// Success, or the typed error of the envelope's code.
pub fn check(env: &Envelope) -> Result<()> {
    if env.code != 0 {
        return Err(code_error(env.code, &env.msg));
    }
    Ok(())
}

/// The `data` of a successful envelope as `T`.
pub fn data<T: DeserializeOwned>(env: &Envelope) -> Result<T> {
    check(env)?;
    env.parse_data()
        .map_err(|e| Error::protocol(format!("Unexpected data in the server's answer: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_cookie_is_found_with_its_lifetime() {
        let now = Utc::now();
        let c = parse_set_cookie(
            "cloudreve-session=MTY5NjY3; Path=/; Max-Age=5184000; HttpOnly; SameSite=Lax",
            now,
        )
        .unwrap();
        assert_eq!(c.value, "MTY5NjY3");
        assert_eq!(c.expires, Some(now + ChronoDuration::seconds(5_184_000)));
        let t = c.into_tokens(now);
        assert_eq!(t.access_token, "MTY5NjY3");
        assert!(!t.refresh_expired(now + ChronoDuration::days(365)));
        assert!(parse_set_cookie("other=1; Path=/", now).is_none());
        let gone = parse_set_cookie("cloudreve-session=; Path=/; Max-Age=0", now).unwrap();
        assert!(gone.is_deleted());
        let exp = parse_set_cookie(
            "cloudreve-session=abc; Path=/; Expires=Wed, 21 Oct 2099 07:28:00 GMT",
            now,
        )
        .unwrap();
        assert_eq!(exp.expires.unwrap().format("%Y").to_string(), "2099");
    }

    #[test]
    fn relative_download_links_resolve_against_the_site() {
        let c = ApiClient::new(
            reqwest::Client::new(),
            &Url::parse("https://h.example/cloud").unwrap(),
            None,
        );
        assert_eq!(
            c.url("directory/a%20b").as_str(),
            "https://h.example/cloud/api/v3/directory/a%20b"
        );
        assert_eq!(
            c.resolve("/api/v3/file/download/xyz?sign=1")
                .unwrap()
                .as_str(),
            "https://h.example/cloud/api/v3/file/download/xyz?sign=1"
        );
    }
}
