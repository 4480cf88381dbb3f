//! Reacts to transfer events app-wide: keeps the tray current (at most a few times a second),
//! refreshes listings when uploads land, and notifies when a transfer finishes or fails.

use crate::state::AppState;
use cirrus_core::transfer::{Direction, ItemState};
use std::time::{Duration, Instant};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

/// Minimum time between two tray updates.
const TRAY_INTERVAL: Duration = Duration::from_millis(500);

/// Starts the watcher task for the app's lifetime.
pub fn start<R: Runtime>(app: AppHandle<R>) {
    let mut rx = app.state::<AppState>().hub.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        let mut last_tray = Instant::now() - TRAY_INTERVAL;
        loop {
            let hub_event = match rx.recv().await {
                Ok(e) => e,
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => break,
            };
            let e = &hub_event.event;
            let finished = matches!(e.state, ItemState::Completed | ItemState::Failed);
            if finished && e.direction == Direction::Upload {
                app.state::<AppState>()
                    .invalidate(&hub_event.account_id)
                    .await;
            }
            if finished && e.parent_id.is_none() {
                notify(&app, e.state, &e.name, e.error.as_deref());
            }
            if finished || last_tray.elapsed() >= TRAY_INTERVAL {
                last_tray = Instant::now();
                crate::tray::refresh(&app);
            }
        }
    });
}

fn notify<R: Runtime>(app: &AppHandle<R>, state: ItemState, name: &str, error: Option<&str>) {
    let zh = app.state::<AppState>().settings().language == cirrus_core::settings::Language::ZhCn;
    let (title, body) = match (state, zh) {
        (ItemState::Completed, false) => ("Transfer finished".to_string(), name.to_string()),
        (ItemState::Completed, true) => ("传输完成".to_string(), name.to_string()),
        (_, false) => (
            "Transfer failed".to_string(),
            format!("{name}: {}", error.unwrap_or("unknown error")),
        ),
        (_, true) => (
            "传输失败".to_string(),
            format!("{name}：{}", error.unwrap_or("未知错误")),
        ),
    };
    // Without a notification daemon (headless sessions) this fails; the transfer list still shows it.
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!("notification not shown: {e}");
    }
}
