//! Settings → Network: what the system proxy is, and the passwords of manual proxies (kept in
//! the secret store, never in settings.json). The proxy choices themselves are settings.

use crate::error::CmdResult;
use crate::state::AppState;
use cirrus_core::net::proxy::{SystemProxy, system_proxy};
use tauri::State;

/// The proxy the system asks for (environment, else GNOME's settings), without credentials.
#[tauri::command]
pub async fn proxy_system_info() -> CmdResult<SystemProxy> {
    Ok(tauri::async_runtime::spawn_blocking(system_proxy)
        .await
        .unwrap_or_else(|_| cirrus_core::net::proxy::env_proxy(|k| std::env::var(k).ok())))
}

/// Keeps (or, with an empty or missing password, forgets) the password of the app's manual
/// proxy (`account_id` absent) or of an account's. The next connections use it.
#[tauri::command]
pub async fn proxy_password_set(
    state: State<'_, AppState>,
    account_id: Option<String>,
    password: Option<String>,
) -> CmdResult<()> {
    state
        .cirrus
        .set_proxy_password(account_id.as_deref(), password.as_deref())?;
    state.cirrus.reset_connections();
    state.hub.renew_idle_engines().await;
    Ok(())
}

/// Whether a password is kept for the app's manual proxy or an account's.
#[tauri::command]
pub async fn proxy_password_status(
    state: State<'_, AppState>,
    account_id: Option<String>,
) -> CmdResult<bool> {
    Ok(state.cirrus.has_proxy_password(account_id.as_deref())?)
}
