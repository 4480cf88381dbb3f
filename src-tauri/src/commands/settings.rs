//! Preferences: read, validate and save, and apply them to running transfers at once.

use crate::dto::SecretStoreDto;
use crate::error::{CmdResult, CommandError};
use crate::state::{AppState, kbps_to_bytes, lock};
use cirrus_core::secrets::SecretBackend;
use cirrus_core::settings::Settings;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

/// The current settings.
#[tauri::command]
pub async fn settings_get(state: State<'_, AppState>) -> CmdResult<Settings> {
    Ok(state.settings())
}

/// Validates, saves and applies new settings (limits and parallelism change live).
#[tauri::command]
pub async fn settings_set<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    settings: Settings,
) -> CmdResult<()> {
    settings.save(state.cirrus.data_dir())?;
    let old = state.settings();
    if old.proxy != settings.proxy || old.account_proxies != settings.account_proxies {
        // New connections use the new proxy; transfers already running keep theirs.
        state.cirrus.reset_connections();
        state.hub.renew_idle_engines().await;
    }
    state
        .hub
        .configure(
            settings.parallel_transfers as usize,
            kbps_to_bytes(settings.upload_limit_kbps),
            kbps_to_bytes(settings.download_limit_kbps),
        )
        .await;
    *lock(&state.settings) = settings;
    crate::tray::refresh(&app);
    Ok(())
}

/// Opens a native folder picker for the default download folder.
#[tauri::command]
pub async fn settings_pick_download_folder<R: Runtime>(
    app: AppHandle<R>,
) -> CmdResult<Option<String>> {
    let picked =
        tauri::async_runtime::spawn_blocking(move || app.dialog().file().blocking_pick_folder())
            .await
            .map_err(|e| CommandError::new("io", e.to_string()))?;
    Ok(picked
        .and_then(|p| p.into_path().ok())
        .map(|p| p.to_string_lossy().into_owned()))
}

/// The file remembering that the user has read the secret-store notice (for which reason).
fn notice_seen_path(state: &AppState) -> std::path::PathBuf {
    state.cirrus.data_dir().join("secret-notice-seen.txt")
}

/// Where sign-in secrets are kept, why not in the OS credential store when they are not, and
/// whether the one-time notice about it is still to be shown.
#[tauri::command]
pub async fn secret_store_info(state: State<'_, AppState>) -> CmdResult<SecretStoreDto> {
    let info = state.cirrus.secret_store_info();
    let seen = std::fs::read_to_string(notice_seen_path(&state)).ok();
    Ok(SecretStoreDto {
        backend: match info.backend {
            SecretBackend::Keyring => "keyring",
            SecretBackend::File => "file",
        }
        .to_string(),
        fallback_reason: info.fallback_reason.clone(),
        notice_due: info
            .fallback_reason
            .as_deref()
            .is_some_and(|r| seen.as_deref() != Some(r)),
    })
}

/// The user has read the secret-store notice: do not show it again for the same reason.
#[tauri::command]
pub async fn secret_notice_dismiss(state: State<'_, AppState>) -> CmdResult<()> {
    let reason = state
        .cirrus
        .secret_store_info()
        .fallback_reason
        .clone()
        .unwrap_or_default();
    std::fs::write(notice_seen_path(&state), reason)
        .map_err(|e| CommandError::new("io", format!("Could not save the notice state: {e}")))
}

/// Whether Cirrus starts (minimised to the tray) when the user logs in: the autostart entry exists.
#[tauri::command]
pub async fn autostart_get(state: State<'_, AppState>) -> CmdResult<bool> {
    Ok(state
        .autostart_entry
        .as_deref()
        .is_some_and(crate::autostart::is_enabled))
}

/// Writes or removes the login autostart entry, which starts this very binary with `--minimized`.
#[tauri::command]
pub async fn autostart_set(state: State<'_, AppState>, enabled: bool) -> CmdResult<()> {
    let path = state.autostart_entry.as_deref().ok_or_else(|| {
        CommandError::new(
            "io",
            "No home folder is known, so there is no autostart folder.",
        )
    })?;
    let exe = std::env::current_exe()
        .map_err(|e| CommandError::new("io", format!("Cannot locate the Cirrus program: {e}")))?;
    crate::autostart::set(path, enabled, &exe)
        .map_err(|e| CommandError::new("io", format!("Cannot change {}: {e}", path.display())))
}
