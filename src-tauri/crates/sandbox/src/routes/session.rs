//! `/session/*`: password login, 2FA, token refresh, sign-out, login preparation.

use axum::extract::State;
use serde::Deserialize;
use serde_json::json;

use crate::app::{App, AppRef};
use crate::auth::{totp_valid, two_fa_expiry};
use crate::binding::{GinJson, GinQuery};
use crate::envelope::{ApiError, ApiResult, Success};
use crate::store::Id;

#[derive(Deserialize)]
pub struct LoginBody {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    captcha: Option<String>,
    #[serde(default)]
    ticket: Option<String>,
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    matches!((parts.next(), parts.next()), (Some(a), Some(b)) if !a.is_empty() && !b.is_empty())
}

fn login_response(app: &App, uid: Id) -> ApiResult {
    let store = app.store();
    let user = app.user_json(&store, uid);
    let token = app.issue_tokens(&store.users[&uid], None)?;
    Ok(Success::data(json!({"user": user, "token": token})))
}

/// `POST /session/token`
pub async fn login(State(app): State<AppRef>, GinJson(b): GinJson<LoginBody>) -> ApiResult {
    if app.settings.login_captcha {
        // CaptchaRequired runs before binding.
        let ok = match (b.ticket.as_deref(), b.captcha.as_deref()) {
            (Some(t), Some(c)) if !t.is_empty() => {
                let answer = app.store().captchas.remove(t);
                answer.is_some_and(|a| a.eq_ignore_ascii_case(c))
            }
            _ => false,
        };
        if !ok {
            return Err(ApiError::new(40026, "CAPTCHA not match."));
        }
    }
    if b.email.is_empty() {
        return Err(ApiError::binding("Email cannot be empty"));
    }
    if !looks_like_email(&b.email) {
        return Err(ApiError::binding("Email format error"));
    }
    if b.password.is_empty() {
        return Err(ApiError::binding("Password cannot be empty"));
    }
    if b.password.len() < 4 {
        return Err(ApiError::binding("Password too short"));
    }
    if b.password.len() > 128 {
        return Err(ApiError::binding("Password too long"));
    }
    let (uid, has_totp) = {
        let store = app.store();
        match store.user_by_email(&b.email) {
            Some(u) if u.password == b.password => (u.id, u.totp_secret.is_some()),
            _ => return Err(ApiError::new(40080, "Incorrect password or email address")),
        }
    };
    if has_totp {
        let sid = uuid::Uuid::new_v4().to_string();
        let now = app.now();
        let mut store = app.store();
        store.two_fa.retain(|_, (_, exp)| *exp > now);
        store.two_fa.insert(sid.clone(), (uid, two_fa_expiry(now)));
        return Err(ApiError {
            with_correlation: false,
            ..ApiError::new(203, "").with_data(json!(sid))
        });
    }
    login_response(&app, uid)
}

#[derive(Deserialize)]
pub struct TwoFaBody {
    #[serde(default)]
    otp: String,
    #[serde(default)]
    session_id: String,
}

/// `POST /session/token/2fa`
pub async fn login_2fa(State(app): State<AppRef>, GinJson(b): GinJson<TwoFaBody>) -> ApiResult {
    if b.otp.is_empty() {
        return Err(ApiError::binding("Otp cannot be empty"));
    }
    if b.session_id.is_empty() {
        return Err(ApiError::binding("SessionID cannot be empty"));
    }
    let now = app.now();
    let uid = {
        let store = app.store();
        match store.two_fa.get(&b.session_id) {
            Some((uid, exp)) if *exp > now => *uid,
            _ => return Err(ApiError::new(404, "Session not found")),
        }
    };
    let secret = app.store().users[&uid]
        .totp_secret
        .clone()
        .unwrap_or_default();
    if !totp_valid(&secret, &b.otp) {
        return Err(ApiError::new(40022, "Incorrect 2FA code"));
    }
    app.store().two_fa.remove(&b.session_id);
    login_response(&app, uid)
}

#[derive(Deserialize)]
pub struct RefreshBody {
    #[serde(default)]
    refresh_token: String,
}

/// `POST /session/token/refresh`: a new pair in the same family (no rotation).
pub async fn refresh(State(app): State<AppRef>, GinJson(b): GinJson<RefreshBody>) -> ApiResult {
    if b.refresh_token.is_empty() {
        return Err(ApiError::binding("RefreshToken cannot be empty"));
    }
    let (uid, family) = app
        .check_refresh(&b.refresh_token)
        .ok_or_else(|| ApiError::new(40020, "Failed to issue token pair"))?;
    let store = app.store();
    let token = app.issue_tokens(&store.users[&uid], Some(family))?;
    Ok(Success::data(token))
}

/// `DELETE /session/token`: revokes the refresh-token family.
pub async fn sign_out(State(app): State<AppRef>, GinJson(b): GinJson<RefreshBody>) -> ApiResult {
    if b.refresh_token.is_empty() {
        return Err(ApiError::binding("RefreshToken cannot be empty"));
    }
    let family = app
        .refresh_family(&b.refresh_token)
        .ok_or_else(|| ApiError::new(40020, "Failed to parse token"))?;
    app.store().revoked_families.insert(family);
    Ok(Success::data(""))
}

#[derive(Deserialize)]
pub struct PrepareQuery {
    #[serde(default)]
    email: String,
}

/// `GET /session/prepare?email=`
pub async fn prepare(State(app): State<AppRef>, GinQuery(q): GinQuery<PrepareQuery>) -> ApiResult {
    if q.email.is_empty() {
        return Err(ApiError::binding("Email cannot be empty"));
    }
    if !looks_like_email(&q.email) {
        return Err(ApiError::binding("Email format error"));
    }
    if app.store().user_by_email(&q.email).is_none() {
        return Err(ApiError::new(404, "User not found"));
    }
    Ok(Success::data(
        json!({"webauthn_enabled": false, "password_enabled": true}),
    ))
}
