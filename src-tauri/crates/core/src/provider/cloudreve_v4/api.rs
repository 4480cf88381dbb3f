//! The HTTP layer of the v4 provider: builds requests under `/api/v4`, attaches the bearer
//! token, decodes envelopes, and retries once after a refresh when a token is rejected.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{CONTROL_TIMEOUT, from_reqwest, retry_after};
use crate::session::Session;

use super::envelope::{CODE_CREDENTIAL_INVALID, CODE_LOGIN_REQUIRED, Envelope};
use super::uri::encode_query_value;

/// A request body.
#[derive(Clone)]
pub enum Body {
    /// No body.
    None,
    /// JSON.
    Json(Value),
    /// Upload data (in memory or streamed from disk) with an exact Content-Length; a fresh
    /// body is built for every attempt.
    Data(crate::provider::upload_types::ChunkData),
}

/// Client for one server (and, when signed in, one session).
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    api_base: Url,
    session: Option<Arc<Session>>,
}

impl ApiClient {
    /// A client for the server at `server` (the normalised site URL).
    pub fn new(http: reqwest::Client, server: &Url, session: Option<Arc<Session>>) -> Self {
        ApiClient {
            http,
            api_base: api_base(server),
            session,
        }
    }

    /// The underlying HTTP client.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The session, if signed in.
    pub fn session(&self) -> Option<&Arc<Session>> {
        self.session.as_ref()
    }

    /// Absolute URL of an API path such as `file/info`, with query parameters encoded so that
    /// URI values are double-encoded as the server expects.
    pub fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut u = self
            .api_base
            .join(path.trim_start_matches('/'))
            .expect("API paths are valid");
        if !query.is_empty() {
            let q: Vec<String> = query
                .iter()
                .map(|(k, v)| format!("{k}={}", encode_query_value(v)))
                .collect();
            u.set_query(Some(&q.join("&")));
        }
        u
    }

    /// Send a request and return the raw envelope (for callers that handle 203/40081).
    pub async fn envelope(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
        timeout: Option<Duration>,
    ) -> Result<Envelope> {
        let url = self.url(path, query);
        let Some(session) = &self.session else {
            return self.send(method, url, None, &body, timeout).await;
        };
        let token = session.access_token().await?;
        let env = self
            .send(method.clone(), url.clone(), Some(&token), &body, timeout)
            .await?;
        if !is_token_rejection(&env) {
            return Ok(env);
        }
        // The token looked valid to us but the server treated us as anonymous: refresh once.
        tracing::debug!(path, "access token rejected; refreshing once");
        let token = session.refresh_after_rejection(&token).await?;
        let env = self.send(method, url, Some(&token), &body, timeout).await?;
        if is_token_rejection(&env) {
            return Err(Error::new(ErrorKind::SignInAgain).with_server_code(env.code));
        }
        Ok(env)
    }

    /// Send a request and decode the `data` member into `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<T> {
        let env = self
            .envelope(method, path, query, body, Some(CONTROL_TIMEOUT))
            .await?;
        if env.code != 0 {
            return Err(env.to_error());
        }
        env.parse_data()
            .map_err(|e| Error::protocol(format!("Unexpected answer from {path}: {e}")))
    }

    /// Send a request whose success carries no useful data.
    pub async fn call_unit(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Body,
    ) -> Result<()> {
        self.envelope(method, path, query, body, Some(CONTROL_TIMEOUT))
            .await?
            .into_data()
            .map(|_| ())
    }

    async fn send(
        &self,
        method: Method,
        url: Url,
        token: Option<&str>,
        body: &Body,
        timeout: Option<Duration>,
    ) -> Result<Envelope> {
        tracing::debug!(method = %method, path = url.path(), "request");
        let mut req = self.http.request(method, url);
        if let Some(t) = token {
            req = req.bearer_auth(t);
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
        let bytes = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
        let env = Envelope::decode(status, &bytes).map_err(|e| e.with_retry_after(wait))?;
        if env.code != 0 {
            tracing::debug!(code = env.code, status, "server returned an error code");
        }
        Ok(env)
    }
}

/// `{site}/api/v4/` for a site URL (which may have a sub-path).
pub fn api_base(server: &Url) -> Url {
    let mut s = server.as_str().trim_end_matches('/').to_string();
    s.push_str("/api/v4/");
    Url::parse(&s).expect("site URL plus a path is a URL")
}

fn is_token_rejection(env: &Envelope) -> bool {
    env.code == CODE_LOGIN_REQUIRED || env.code == CODE_CREDENTIAL_INVALID
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_keep_sub_path_and_double_encode() {
        let c = ApiClient::new(
            reqwest::Client::new(),
            &Url::parse("https://h.example/cloud").unwrap(),
            None,
        );
        let u = c.url(
            "file",
            &[
                ("uri", "cloudreve://my/a%20b".into()),
                ("next_page_token", "ab+/=".into()),
            ],
        );
        assert_eq!(
            u.as_str(),
            "https://h.example/cloud/api/v4/file?uri=cloudreve%3A%2F%2Fmy%2Fa%2520b&next_page_token=ab%2B%2F%3D"
        );
    }
}
