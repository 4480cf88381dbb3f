//! The HTTP layer of the 123pan provider: the `Platform: open_platform` header and the bearer
//! token on every request, the per-endpoint rate limiter before it, envelope decoding after
//! it, one new token when the server says ours is no longer valid (401: expired, or pushed
//! out by a fourth token), and a bounded back-off on 429.

use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{CONTROL_TIMEOUT, from_reqwest, retry_after};
use crate::session::Session;

use super::codes::{CODE_TOKEN_INVALID, CODE_TOO_MANY, code_error};
use super::limiter::{RateLimiter, backoff};

/// Value of the `Platform` header every request must carry.
pub const PLATFORM: &str = "open_platform";
/// The real API host.
pub const DEFAULT_API_BASE: &str = "https://open-api.123pan.com";
/// Retries of one request answered 429 (after the limiter's pacing, these are rare).
const MAX_THROTTLED_RETRIES: u32 = 5;

/// A decoded `{code, message, data, x-traceID}`.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// 0 on success.
    pub code: i64,
    /// Server message (often Chinese).
    pub message: String,
    /// The payload (`null` on failures).
    pub data: Value,
    /// Trace id to quote to 123pan support.
    pub trace_id: Option<String>,
}

impl Envelope {
    /// Decodes a body; a body that is no envelope becomes a typed error from the status.
    pub fn decode(status: u16, body: &[u8]) -> Result<Envelope> {
        let v: Value = match serde_json::from_slice(body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return Err(match status {
                    407 => crate::net::proxy::auth_required(),
                    429 => Error::new(ErrorKind::RateLimited),
                    500..=599 => Error::new(ErrorKind::Server),
                    404 => Error::with_message(
                        ErrorKind::NotFound,
                        "The 123pan API has no such endpoint.",
                    ),
                    _ => Error::protocol("The server's answer is not a 123pan API answer."),
                }
                .with_http_status(status));
            }
        };
        let Some(code) = v.get("code").and_then(Value::as_i64) else {
            return Err(
                Error::protocol("The server's answer has no code.").with_http_status(status)
            );
        };
        Ok(Envelope {
            code,
            message: v
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            data: v.get("data").cloned().unwrap_or(Value::Null),
            trace_id: v
                .get("x-traceID")
                .and_then(Value::as_str)
                .map(str::to_string),
        })
    }

    /// The typed error of a failed envelope.
    pub fn error(&self) -> Error {
        code_error(self.code, &self.message, self.trace_id.as_deref())
    }

    /// `data` as `T` (on success).
    pub fn into_data<T: DeserializeOwned>(self) -> Result<T> {
        if self.code != 0 {
            return Err(self.error());
        }
        serde_json::from_value(self.data)
            .map_err(|e| Error::protocol(format!("Unexpected data in 123pan's answer: {e}")))
    }
}

/// Builds one attempt of a request from the HTTP client (called again for every retry, so
/// bodies such as multipart forms are fresh each time).
pub type Build<'a> = &'a (dyn Fn(&reqwest::Client) -> RequestBuilder + Send + Sync);

/// Client for the 123pan API host (and, through [`ApiClient::send`], the upload hosts).
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    base: Url,
    session: Arc<Session>,
    limiter: Arc<RateLimiter>,
}

impl ApiClient {
    /// A client for the API host `base` signed in with `session`.
    pub fn new(http: reqwest::Client, base: Url, session: Arc<Session>) -> Self {
        ApiClient {
            http,
            base,
            session,
            limiter: Arc::new(RateLimiter::new()),
        }
    }

    /// The HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The API host.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The session (token and its renewal).
    pub fn session(&self) -> &Arc<Session> {
        &self.session
    }

    /// The per-endpoint rate limiter.
    pub fn limiter(&self) -> &RateLimiter {
        &self.limiter
    }

    /// Absolute URL of a path on the API host, e.g. `/api/v2/file/list`.
    pub fn url(&self, path: &str) -> Url {
        api_url(&self.base, path)
    }

    /// Sends a request built by `build` with the platform header and the bearer token, after
    /// waiting for `endpoint`'s rate limit (`endpoint` = the path, the limiter's key), and
    /// decodes the envelope. 401 renews the token once; 429 backs off and retries; any other
    /// code is returned as the envelope (the caller decides what it means).
    pub async fn send(&self, endpoint: &str, build: Build<'_>) -> Result<Envelope> {
        let mut renewed = false;
        let mut throttled = 0;
        loop {
            self.limiter.acquire(endpoint).await;
            let token = self.session.access_token().await?;
            let req = build(&self.http)
                .header("Platform", PLATFORM)
                .bearer_auth(&token);
            tracing::debug!(endpoint, "123pan request");
            let resp = req.send().await.map_err(|e| from_reqwest(&e))?;
            let status = resp.status().as_u16();
            let wait = retry_after(resp.headers());
            let body = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
            let env = match Envelope::decode(status, &body) {
                Ok(env) => env,
                Err(e) if e.kind() == ErrorKind::RateLimited => Envelope {
                    code: CODE_TOO_MANY,
                    message: String::new(),
                    data: Value::Null,
                    trace_id: None,
                },
                Err(e) => return Err(e.with_retry_after(wait)),
            };
            match env.code {
                CODE_TOKEN_INVALID if !renewed => {
                    tracing::debug!(endpoint, "access token rejected; fetching a new one");
                    renewed = true;
                    self.session.refresh_after_rejection(&token).await?;
                }
                CODE_TOKEN_INVALID => {
                    return Err(
                        Error::new(ErrorKind::SignInAgain).with_server_code(CODE_TOKEN_INVALID)
                    );
                }
                CODE_TOO_MANY if throttled < MAX_THROTTLED_RETRIES => {
                    let pause = backoff(throttled, wait);
                    tracing::debug!(endpoint, ?pause, "123pan says too many requests");
                    throttled += 1;
                    tokio::time::sleep(pause).await;
                }
                _ => return Ok(env),
            }
        }
    }

    /// `GET path?query` on the API host; `data` as `T`.
    pub async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T> {
        let url = self.url(path);
        let build =
            move |h: &reqwest::Client| h.get(url.clone()).query(query).timeout(CONTROL_TIMEOUT);
        self.send(path, &build).await?.into_data()
    }

    /// A JSON request on the API host, returning the raw envelope.
    pub async fn json_envelope(
        &self,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Result<Envelope> {
        let url = self.url(path);
        let build = move |h: &reqwest::Client| {
            h.request(method.clone(), url.clone())
                .json(body)
                .timeout(CONTROL_TIMEOUT)
        };
        self.send(path, &build).await
    }

    /// `POST path` with a JSON body on the API host; `data` as `T`.
    pub async fn post<T: DeserializeOwned>(&self, path: &str, body: &Value) -> Result<T> {
        self.json_envelope(Method::POST, path, body)
            .await?
            .into_data()
    }

    /// A JSON request whose success carries nothing useful.
    pub async fn call_unit(&self, method: Method, path: &str, body: &Value) -> Result<()> {
        let env = self.json_envelope(method, path, body).await?;
        if env.code != 0 {
            return Err(env.error());
        }
        Ok(())
    }
}

/// `base` joined with an absolute API path, keeping any sub-path of `base`.
pub fn api_url(base: &Url, path: &str) -> Url {
    let s = format!(
        "{}/{}",
        base.as_str().trim_end_matches('/'),
        path.trim_start_matches('/')
    );
    Url::parse(&s).expect("an API path on a valid base is a URL")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_decode_and_non_envelopes_are_typed() {
        let e = Envelope::decode(
            200,
            br#"{"code":5066,"message":"x","data":null,"x-traceID":"t"}"#,
        )
        .unwrap();
        assert_eq!(e.code, 5066);
        assert_eq!(e.error().kind(), ErrorKind::NotFound);
        assert_eq!(e.trace_id.as_deref(), Some("t"));
        assert_eq!(
            Envelope::decode(429, b"slow down").unwrap_err().kind(),
            ErrorKind::RateLimited
        );
        assert_eq!(
            Envelope::decode(502, b"<html>").unwrap_err().kind(),
            ErrorKind::Server
        );
        let ok = Envelope::decode(200, br#"{"code":0,"message":"ok","data":{"dirID":5}}"#).unwrap();
        let m: super::super::wire::MkdirWire = ok.into_data().unwrap();
        assert_eq!(m.dir_id, 5);
    }

    #[test]
    fn paths_join_the_base() {
        let b = Url::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(
            api_url(&b, "/api/v2/file/list").as_str(),
            "http://127.0.0.1:9/api/v2/file/list"
        );
    }
}
