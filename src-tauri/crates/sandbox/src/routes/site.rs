//! `/site/*`: version ping, public configuration, captcha.

use axum::extract::{Path, State};
use base64::Engine;
use serde_json::json;

use crate::app::AppRef;
use crate::auth::Caller;
use crate::envelope::{ApiResult, Success};

/// Version string reported by `/site/ping`.
pub const VERSION: &str = "4.18.0";

/// Answer accepted for every captcha ticket (the image is a placeholder).
pub const CAPTCHA_ANSWER: &str = "cirrus";

/// `GET /site/ping`
pub async fn ping() -> ApiResult {
    Ok(Success::data(VERSION))
}

/// `GET /site/config/{section}`: unknown sections fall back to `basic`, like the server.
pub async fn config(
    State(app): State<AppRef>,
    caller: Caller,
    Path(section): Path<String>,
) -> ApiResult {
    let v = match section.as_str() {
        "login" => {
            let mut v = json!({});
            if app.settings.login_captcha {
                v["login_captcha"] = json!(true);
            }
            v
        }
        "explorer" => json!({
            "max_batch_size": 3000,
            "thumbnail_width": 400,
            "thumbnail_height": 300,
            "file_viewers": [],
            "icons": "[]",
        }),
        "emojis" => json!({}),
        "app" => json!({}),
        "thumb" => json!({"thumb_exts": super::thumb::THUMB_EXTS}),
        _ => {
            let user = match caller.0 {
                Some(uid) => app.user_json(&app.store(), uid),
                None => app.anonymous_user_json(),
            };
            json!({
                "instance_id": app.site_id,
                "title": "Cirrus Sandbox",
                "themes": "{}",
                "default_theme": "#1976d2",
                "user": user,
                "captcha_type": "normal",
            })
        }
    };
    Ok(Success::data(v))
}

/// `GET /site/captcha`: a ticket whose answer is [`CAPTCHA_ANSWER`].
pub async fn captcha(State(app): State<AppRef>) -> ApiResult {
    let ticket = uuid::Uuid::new_v4().simple().to_string();
    app.store()
        .captchas
        .insert(ticket.clone(), CAPTCHA_ANSWER.to_string());
    // A 1x1 transparent PNG: the sandbox does not draw captchas.
    let png = base64::engine::general_purpose::STANDARD.decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=",
    ).unwrap_or_default();
    let image = format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    );
    Ok(Success::data(json!({"image": image, "ticket": ticket})))
}
