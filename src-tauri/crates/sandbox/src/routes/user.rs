//! `/user/*`: profile and capacity (login required).

use axum::extract::State;
use serde_json::json;

use crate::app::AppRef;
use crate::auth::Caller;
use crate::envelope::{ApiResult, Success};

/// `GET /user/me`
pub async fn me(State(app): State<AppRef>, caller: Caller) -> ApiResult {
    let uid = caller.require()?;
    let store = app.store();
    Ok(Success::data(app.user_json(&store, uid)))
}

/// `GET /user/capacity` → `{total, used}`
pub async fn capacity(State(app): State<AppRef>, caller: Caller) -> ApiResult {
    let uid = caller.require()?;
    let store = app.store();
    let u = &store.users[&uid];
    Ok(Success::data(json!({"total": u.quota, "used": u.used})))
}
