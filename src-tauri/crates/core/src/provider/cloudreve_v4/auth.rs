//! v4 sign-in: password login, the 2FA step, token refresh and sign-out. These calls run
//! without a session.

use async_trait::async_trait;
use reqwest::Method;
use serde_json::{Value, json};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::CONTROL_TIMEOUT;
use crate::provider::model::UserInfo;
use crate::session::{TokenRefresher, TokenSet};

use super::api::{ApiClient, Body};
use super::envelope::{CODE_CONTINUE, CODE_CREDENTIAL_INVALID};
use super::wire::LoginWire;

/// Result of a password sign-in.
pub enum LoginResult {
    /// Signed in.
    SignedIn {
        /// Who.
        user: UserInfo,
        /// The new token pair.
        tokens: TokenSet,
    },
    /// The account has 2FA; call `sign_in_2fa` with this session id and a code.
    TwoFactor {
        /// Server-side 2FA session id (valid ~10 minutes).
        session_id: String,
    },
}

fn anon(http: &reqwest::Client, server: &Url) -> ApiClient {
    ApiClient::new(http.clone(), server, None)
}

fn login_result(data: Value) -> Result<LoginResult> {
    let login: LoginWire = serde_json::from_value(data)
        .map_err(|e| Error::protocol(format!("Unexpected sign-in answer: {e}")))?;
    let tokens = login
        .token
        .into_tokens()
        .ok_or_else(|| Error::protocol("Sign-in answer has invalid expiry times."))?;
    Ok(LoginResult::SignedIn {
        user: login.user.into_user(),
        tokens,
    })
}

/// Whether the server demands a captcha for password sign-in (`login_captcha`).
pub async fn login_captcha_required(http: &reqwest::Client, server: &Url) -> Result<bool> {
    let data: Value = anon(http, server)
        .call(Method::GET, "site/config/login", &[], Body::None)
        .await?;
    Ok(data
        .get("login_captcha")
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

/// `POST /session/token`.
pub async fn sign_in(
    http: &reqwest::Client,
    server: &Url,
    email: &str,
    password: &str,
) -> Result<LoginResult> {
    let body = json!({ "email": email, "password": password });
    let env = anon(http, server)
        .envelope(
            Method::POST,
            "session/token",
            &[],
            Body::Json(body),
            Some(CONTROL_TIMEOUT),
        )
        .await?;
    if env.code == CODE_CONTINUE {
        let session_id = env
            .data_str()
            .ok_or_else(|| Error::protocol("2FA answer without a session id."))?;
        return Ok(LoginResult::TwoFactor { session_id });
    }
    if env.code == 40026 {
        return Err(Error::new(ErrorKind::CaptchaRequired).with_server_code(40026));
    }
    login_result(env.into_data()?)
}

/// `POST /session/token/2fa`.
pub async fn sign_in_2fa(
    http: &reqwest::Client,
    server: &Url,
    session_id: &str,
    otp: &str,
) -> Result<LoginResult> {
    let body = json!({ "otp": otp.trim(), "session_id": session_id });
    let env = anon(http, server)
        .envelope(
            Method::POST,
            "session/token/2fa",
            &[],
            Body::Json(body),
            Some(CONTROL_TIMEOUT),
        )
        .await?;
    if env.code == 404 {
        // The 2FA session expired (10 minutes) — the user has to start over.
        return Err(Error::with_message(
            ErrorKind::TwoFactorWrong,
            "The sign-in step expired; please sign in again.",
        )
        .with_server_code(404));
    }
    login_result(env.into_data()?)
}

/// `DELETE /session/token`: revokes the whole refresh-token family.
pub async fn sign_out(http: &reqwest::Client, server: &Url, refresh_token: &str) -> Result<()> {
    anon(http, server)
        .call_unit(
            Method::DELETE,
            "session/token",
            &[],
            Body::Json(json!({ "refresh_token": refresh_token })),
        )
        .await
}

/// Refreshes tokens via `POST /session/token/refresh` (sent without Authorization).
pub struct V4Refresher {
    http: reqwest::Client,
    server: Url,
}

impl V4Refresher {
    /// A refresher for `server`.
    pub fn new(http: reqwest::Client, server: Url) -> Self {
        V4Refresher { http, server }
    }
}

#[async_trait]
impl TokenRefresher for V4Refresher {
    async fn refresh(&self, refresh_token: &str) -> Result<TokenSet> {
        let env = anon(&self.http, &self.server)
            .envelope(
                Method::POST,
                "session/token/refresh",
                &[],
                Body::Json(json!({ "refresh_token": refresh_token })),
                Some(CONTROL_TIMEOUT),
            )
            .await?;
        if env.code == CODE_CREDENTIAL_INVALID || env.code == 401 || env.code == 50001 {
            // 50001 is what Cloudreve answers when the user behind the token was disabled.
            return Err(Error::new(ErrorKind::SignInAgain).with_server_code(env.code));
        }
        let data = env.into_data()?;
        let wire: super::wire::TokenWire = serde_json::from_value(data)
            .map_err(|e| Error::protocol(format!("Unexpected refresh answer: {e}")))?;
        wire.into_tokens()
            .ok_or_else(|| Error::protocol("Refresh answer has invalid expiry times."))
    }
}
