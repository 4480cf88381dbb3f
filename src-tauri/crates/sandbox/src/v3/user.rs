//! Site, login (password, 2FA, captcha), sign-out and the user's own records.

use axum::extract::State;
use base64::Engine;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{CurrentUser, E3, J3, Login, R3, Session, V3, V3Ref, err, param_err};
use crate::auth::totp_valid;
use crate::envelope::Success;
use crate::ids::Kind;
use crate::routes::site::CAPTCHA_ANSWER;
use crate::store::Id;
use crate::timefmt::go_time;

impl V3 {
    /// `serializer.User` of `uid`.
    pub fn user_json(&self, uid: Id) -> Value {
        let store = self.app.store();
        let u = &store.users[&uid];
        json!({
            "id": self.app.ids.encode(Kind::User, u.id),
            "user_name": u.email,
            "nickname": u.nickname,
            "status": 0,
            "avatar": "",
            "created_at": go_time(u.created_at),
            "preferred_theme": "",
            "anonymous": false,
            "group": group_json(),
            "tags": [],
        })
    }
}

/// The default "User" group, with offline downloads allowed so the aria2 routes are usable.
fn group_json() -> Value {
    json!({
        "id": 2,
        "name": "User",
        "allowShare": true,
        "allowRemoteDownload": true,
        "allowArchiveDownload": false,
        "shareDownload": true,
        "compress": false,
        "webdav": true,
        "sourceBatch": SOURCE_BATCH,
        "advanceDelete": false,
        "allowWebDAVProxy": false,
    })
}

/// `sourceBatch` of the default group.
pub const SOURCE_BATCH: usize = 10;

fn anonymous_json() -> Value {
    json!({
        "id": "",
        "user_name": "",
        "nickname": "",
        "status": 0,
        "avatar": "",
        "created_at": crate::timefmt::ZERO_TIME,
        "preferred_theme": "",
        "anonymous": true,
        "group": {
            "id": 3, "name": "Anonymous", "allowShare": false, "allowRemoteDownload": false,
            "allowArchiveDownload": false, "shareDownload": true, "compress": false,
            "webdav": false, "sourceBatch": 0, "advanceDelete": false, "allowWebDAVProxy": false,
        },
        "tags": [],
    })
}

/// `GET /site/ping`
pub async fn ping() -> R3 {
    Ok(Success::data(super::VERSION))
}

/// `GET /site/config`: also marks the session for CSRF checks.
pub async fn site_config(State(v3): State<V3Ref>, session: Session, user: CurrentUser) -> R3 {
    session.update(|d| d.csrf = true);
    let u = match user.0 {
        Some(uid) => v3.user_json(uid),
        None => anonymous_json(),
    };
    Ok(Success::data(json!({
        "title": "Cirrus Sandbox",
        "loginCaptcha": v3.app.settings.login_captcha,
        "regCaptcha": false,
        "forgetCaptcha": false,
        "emailActive": false,
        "themes": "{}",
        "defaultTheme": "#3f51b5",
        "home_view_method": "icon",
        "share_view_method": "list",
        "authn": false,
        "user": u,
        "captcha_ReCaptchaKey": "",
        "captcha_type": "normal",
        "tcaptcha_captcha_app_id": "",
        "registerEnabled": false,
        "app_promotion": false,
        "wopi_exts": null,
    })))
}

/// `GET /site/captcha`: a placeholder image; the answer ([`CAPTCHA_ANSWER`]) is kept in the
/// session, so the login must carry the same cookie.
pub async fn captcha(session: Session) -> R3 {
    session.update(|d| d.captcha = Some(CAPTCHA_ANSWER.to_string()));
    let png = base64::engine::general_purpose::STANDARD.decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
    ).unwrap_or_default();
    Ok(Success::data(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )))
}

#[derive(Deserialize)]
pub struct LoginBody {
    #[serde(default, rename = "userName")]
    user_name: String,
    #[serde(default, rename = "Password")]
    password: String,
    #[serde(default, rename = "captchaCode")]
    captcha_code: String,
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    matches!((parts.next(), parts.next()), (Some(a), Some(b)) if !a.is_empty() && !b.is_empty())
}

/// `POST /user/session` `{userName, Password, captchaCode}`.
pub async fn login(State(v3): State<V3Ref>, session: Session, J3(b): J3<LoginBody>) -> R3 {
    if v3.app.settings.login_captcha {
        // CaptchaRequired: the answer is consumed whatever the outcome.
        let expected = session.get().captcha;
        session.update(|d| d.captcha = None);
        let ok = expected.is_some_and(|a| a.eq_ignore_ascii_case(b.captcha_code.trim()));
        if !ok {
            return Err(err(40026, "CAPTCHA not match."));
        }
    }
    if b.user_name.is_empty() {
        return Err(param_err("Email cannot be empty"));
    }
    if !looks_like_email(&b.user_name) {
        return Err(param_err("Email format error"));
    }
    if b.password.is_empty() {
        return Err(param_err("Password cannot be empty"));
    }
    if b.password.len() < 4 {
        return Err(param_err("Password too short"));
    }
    if b.password.len() > 64 {
        return Err(param_err("Password too long"));
    }
    let (uid, has_totp) = {
        let store = v3.app.store();
        match store.user_by_email(&b.user_name) {
            Some(u) if u.password == b.password => (u.id, u.totp_secret.is_some()),
            _ => return Err(err(40020, "Wrong password or email address")),
        }
    };
    if has_totp {
        session.update(|d| d.two_fa_user = Some(uid));
        // `{"code":203}` without data: finish with `POST /user/2fa` on this cookie.
        return Err(err(203, ""));
    }
    session.update(|d| d.user_id = Some(uid));
    Ok(Success::data(v3.user_json(uid)))
}

#[derive(Deserialize)]
pub struct TwoFaBody {
    #[serde(default)]
    code: String,
}

/// `POST /user/2fa` `{code}` on the cookie of the password step.
pub async fn login_2fa(State(v3): State<V3Ref>, session: Session, J3(b): J3<TwoFaBody>) -> R3 {
    if b.code.is_empty() {
        return Err(param_err("Code cannot be empty"));
    }
    let Some(uid) = session.get().two_fa_user else {
        return Err(err(40023, "Login session not exist"));
    };
    let secret = {
        let store = v3.app.store();
        match store.users.get(&uid) {
            Some(u) => u.totp_secret.clone().unwrap_or_default(),
            None => return Err(err(40021, "User not found")),
        }
    };
    if !totp_valid(&secret, &b.code) {
        return Err(err(40022, "2FA code not correct"));
    }
    session.update(|d| {
        d.two_fa_user = None;
        d.user_id = Some(uid);
    });
    Ok(Success::data(v3.user_json(uid)))
}

/// `DELETE /user/session`
pub async fn sign_out(_: Login, session: Session) -> R3 {
    session.update(|d| d.user_id = None);
    Ok(Success::empty())
}

/// `GET /user/me`
pub async fn me(State(v3): State<V3Ref>, Login(uid): Login) -> R3 {
    Ok(Success::data(v3.user_json(uid)))
}

/// `GET /user/storage`
pub async fn storage(State(v3): State<V3Ref>, Login(uid): Login) -> R3 {
    let store = v3.app.store();
    let u = &store.users[&uid];
    let used = u.used.min(u.quota);
    Ok(Success::data(json!({
        "used": used,
        "free": u.quota - used,
        "total": u.quota,
    })))
}

/// `GET /user/setting/tasks`: background tasks (none run on the v3 sandbox).
pub async fn tasks(_: Login) -> Result<Success, E3> {
    Ok(Success::data(json!({"total": 0, "items": []})))
}
