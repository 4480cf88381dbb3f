//! v3 sign-in: password login (`POST /user/session`), the stateful 2FA step (`POST /user/2fa`
//! with the cookie of the first step), sign-out, and "refreshing" by signing in again with
//! the remembered password, since v3 sessions cannot be refreshed.

use async_trait::async_trait;
use chrono::Utc;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::net::CONTROL_TIMEOUT;
use crate::provider::model::UserInfo;
use crate::session::{TokenRefresher, TokenSet};

use super::api::{ApiClient, Body, Reply, data};
use super::codes::{CODE_CREDENTIAL_INVALID, CODE_TWO_FACTOR};
use super::wire::UserWire;

/// Result of a password sign-in.
pub enum LoginResult {
    /// Signed in: the user and the session cookie as a token set.
    SignedIn {
        /// Who.
        user: UserInfo,
        /// The cookie.
        tokens: TokenSet,
    },
    /// The account has 2FA: send the code with this (pre-sign-in) cookie.
    TwoFactor {
        /// The cookie the server bound the first step to.
        cookie: String,
    },
}

fn anon(http: &reqwest::Client, server: &Url) -> ApiClient {
    ApiClient::new(http.clone(), server, None)
}

/// Whether the server wants a captcha on the login form (`loginCaptcha` of `/site/config`).
pub async fn login_captcha_required(http: &reqwest::Client, server: &Url) -> Result<bool> {
    let c = anon(http, server);
    let reply = c
        .raw(
            Method::GET,
            c.url("site/config"),
            &Body::None,
            None,
            Some(CONTROL_TIMEOUT),
        )
        .await?;
    let cfg: Value = data(&reply.env)?;
    Ok(cfg
        .get("loginCaptcha")
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

fn signed_in(reply: Reply, sent_cookie: Option<&str>) -> Result<LoginResult> {
    let user: UserWire = data(&reply.env)?;
    let cookie = match reply.cookie.filter(|c| !c.is_deleted()) {
        Some(c) => c,
        // The server kept the session of the first step (2FA) and signed it in.
        None => match sent_cookie {
            Some(v) => super::api::SessionCookie {
                value: v.to_string(),
                expires: None,
            },
            None => {
                return Err(Error::protocol(
                    "Signed in, but the server set no session cookie.",
                ));
            }
        },
    };
    Ok(LoginResult::SignedIn {
        user: user.into_user(),
        tokens: cookie.into_tokens(Utc::now()),
    })
}

/// `POST /user/session`.
pub async fn sign_in(
    http: &reqwest::Client,
    server: &Url,
    email: &str,
    password: &str,
) -> Result<LoginResult> {
    let c = anon(http, server);
    let body = json!({ "userName": email, "Password": password, "captchaCode": "" });
    let reply = c
        .raw(
            Method::POST,
            c.url("user/session"),
            &Body::Json(body),
            None,
            Some(CONTROL_TIMEOUT),
        )
        .await?;
    match reply.env.code {
        CODE_TWO_FACTOR => {
            let cookie = reply
                .cookie
                .filter(|c| !c.is_deleted())
                .ok_or_else(|| Error::protocol("The 2FA step came without a session cookie."))?;
            Ok(LoginResult::TwoFactor {
                cookie: cookie.value,
            })
        }
        // Validation of the form (not an email, password length) is a wrong credential too.
        40001 | CODE_CREDENTIAL_INVALID | 40021 => {
            Err(Error::new(ErrorKind::WrongPassword).with_server_code(reply.env.code))
        }
        _ => signed_in(reply, None),
    }
}

/// `POST /user/2fa` with the first step's cookie.
pub async fn sign_in_2fa(
    http: &reqwest::Client,
    server: &Url,
    cookie: &str,
    otp: &str,
) -> Result<LoginResult> {
    let c = anon(http, server);
    let reply = c
        .raw(
            Method::POST,
            c.url("user/2fa"),
            &Body::Json(json!({ "code": otp.trim() })),
            Some(cookie),
            Some(CONTROL_TIMEOUT),
        )
        .await?;
    if reply.env.code == 40023 {
        return Err(Error::with_message(
            ErrorKind::TwoFactorWrong,
            "The sign-in step expired; please sign in again.",
        )
        .with_server_code(40023));
    }
    signed_in(reply, Some(cookie))
}

/// `DELETE /user/session`: ends the cookie's session on the server.
pub async fn sign_out(http: &reqwest::Client, server: &Url, cookie: &str) -> Result<()> {
    let c = anon(http, server);
    let reply = c
        .raw(
            Method::DELETE,
            c.url("user/session"),
            &Body::None,
            Some(cookie),
            Some(CONTROL_TIMEOUT),
        )
        .await?;
    super::api::check(&reply.env)
}

/// Where the password for signing in again comes from: the secret store when the user let
/// Cirrus remember it, else nowhere (the user is asked).
pub type PasswordSource = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Renews a v3 session by signing in again with the remembered password. Without one, or
/// when the account needs a one-time code, the account must sign in again (`SignInAgain`).
pub struct V3Relogin {
    http: reqwest::Client,
    server: Url,
    email: String,
    password: PasswordSource,
}

impl V3Relogin {
    /// A re-login for `email` at `server`.
    pub fn new(
        http: reqwest::Client,
        server: Url,
        email: String,
        password: PasswordSource,
    ) -> Self {
        V3Relogin {
            http,
            server,
            email,
            password,
        }
    }
}

#[async_trait]
impl TokenRefresher for V3Relogin {
    async fn refresh(&self, _cookie: &str) -> Result<TokenSet> {
        let Some(password) = (self.password)() else {
            return Err(Error::new(ErrorKind::SignInAgain));
        };
        tracing::info!("Cloudreve 3 session ended; signing in again with the remembered password");
        match sign_in(&self.http, &self.server, &self.email, &password).await {
            Ok(LoginResult::SignedIn { tokens, .. }) => Ok(tokens),
            Ok(LoginResult::TwoFactor { .. }) => Err(Error::new(ErrorKind::SignInAgain)),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::WrongPassword
                        | ErrorKind::CaptchaRequired
                        | ErrorKind::AccountDisabled
                ) =>
            {
                Err(Error::with_message(ErrorKind::SignInAgain, e.message()))
            }
            Err(e) => Err(e),
        }
    }
}
