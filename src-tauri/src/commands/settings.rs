//! Preferences: read, validate and save, and apply them to running transfers at once.

use crate::error::{CmdResult, CommandError};
use crate::state::{AppState, kbps_to_bytes, lock};
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
