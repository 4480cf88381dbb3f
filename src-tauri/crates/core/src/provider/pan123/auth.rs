//! Developer sign-in: `POST /api/v1/access_token` with the client id and secret gives a
//! bearer token valid for 30 days. At most three tokens live per client id (a fourth pushes
//! the oldest out), and the endpoint is rate-limited, so the token is kept in the secret store
//! and reused until it expires; the secret stays there too, to fetch the next one.

use async_trait::async_trait;
use chrono::{Duration as ChronoDuration, Utc};
use serde_json::json;
use std::sync::Arc;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{CONTROL_TIMEOUT, from_reqwest, retry_after};
use crate::session::{TokenRefresher, TokenSet};

use super::api::{Envelope, PLATFORM, api_url};
use super::codes::{CODE_GENERAL, CODE_TOO_MANY};
use super::limiter::{RateLimiter, backoff};
use super::wire::{TokenWire, parse_time};

/// The token endpoint.
pub const TOKEN_PATH: &str = "/api/v1/access_token";

fn not_the_api() -> Error {
    Error::with_message(
        ErrorKind::NotCloudreve,
        "This address is not a 123pan Open Platform API host.",
    )
}

/// Fetches a new access token for `client_id`. A refused id or secret is `WrongPassword`.
pub async fn request_token(
    http: &reqwest::Client,
    base: &Url,
    client_id: &str,
    secret: &str,
    limiter: &RateLimiter,
) -> Result<TokenSet> {
    let body = json!({ "clientID": client_id, "clientSecret": secret });
    let mut throttled = 0;
    let env = loop {
        limiter.acquire(TOKEN_PATH).await;
        let resp = http
            .post(api_url(base, TOKEN_PATH))
            .header("Platform", PLATFORM)
            .json(&body)
            .timeout(CONTROL_TIMEOUT)
            .send()
            .await
            .map_err(|e| from_reqwest(&e))?;
        let status = resp.status().as_u16();
        let wait = retry_after(resp.headers());
        let bytes = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
        if status == 404 {
            return Err(not_the_api());
        }
        let env = match Envelope::decode(status, &bytes) {
            Ok(env) => env,
            // Something that is no 123pan API (a wrong address).
            Err(e) if e.kind() == ErrorKind::Protocol => return Err(not_the_api()),
            Err(e) if e.kind() == ErrorKind::RateLimited && throttled < 3 => {
                tokio::time::sleep(backoff(throttled, wait)).await;
                throttled += 1;
                continue;
            }
            Err(e) => return Err(e),
        };
        if env.code == CODE_TOO_MANY && throttled < 3 {
            tokio::time::sleep(backoff(throttled, wait)).await;
            throttled += 1;
            continue;
        }
        break env;
    };
    if env.code == CODE_GENERAL {
        // The only refusal of this endpoint is a wrong or unknown id/secret pair.
        return Err(Error::with_message(
            ErrorKind::WrongPassword,
            "The 123pan client ID or client secret is incorrect.",
        )
        .with_server_code(CODE_GENERAL)
        .with_correlation_id(env.trace_id.clone()));
    }
    let t: TokenWire = env.into_data()?;
    let now = Utc::now();
    let expires = parse_time(&t.expired_at).unwrap_or(now + ChronoDuration::days(30));
    Ok(TokenSet {
        access_token: t.access_token,
        // 123pan has no refresh token: the client secret (in the secret store) gets the next
        // access token, so the "refresh" side never expires on its own.
        refresh_token: String::new(),
        access_expires: expires,
        refresh_expires: now + ChronoDuration::days(365 * 100),
        obtained_at: now,
    })
}

/// Where the client secret comes from when a new token is needed (the secret store).
pub type SecretSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Renews a 123pan token with the stored client secret. Without one, or when 123pan refuses
/// it (the secret was reset in the developer console), the account must sign in again.
pub struct Pan123Auth {
    http: reqwest::Client,
    base: Url,
    client_id: String,
    secret: SecretSource,
    limiter: RateLimiter,
}

impl Pan123Auth {
    /// Token renewal for `client_id` at the API host `base`.
    pub fn new(http: reqwest::Client, base: Url, client_id: String, secret: SecretSource) -> Self {
        Pan123Auth {
            http,
            base,
            client_id,
            secret,
            limiter: RateLimiter::new(),
        }
    }
}

#[async_trait]
impl TokenRefresher for Pan123Auth {
    async fn refresh(&self, _unused: &str) -> Result<TokenSet> {
        let Some(secret) = (self.secret)() else {
            return Err(Error::new(ErrorKind::SignInAgain));
        };
        tracing::info!("123pan access token expired or was replaced; fetching a new one");
        match request_token(
            &self.http,
            &self.base,
            &self.client_id,
            &secret,
            &self.limiter,
        )
        .await
        {
            Err(e) if e.kind() == ErrorKind::WrongPassword => {
                Err(Error::with_message(ErrorKind::SignInAgain, e.message()))
            }
            other => other,
        }
    }
}
