//! Reacts to transfer events app-wide: keeps the tray current (at most a few times a second),
//! refreshes listings when uploads land, and notifies when a transfer finishes or fails.

use crate::state::AppState;
use cirrus_core::settings::Language;
use cirrus_core::transfer::{Direction, ItemState, TransferEvent};
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
            let zh = app.state::<AppState>().settings().language == Language::ZhCn;
            if let Some((title, body)) = transfer_notification(e, zh) {
                notify(&app, title, body);
            }
            if finished || last_tray.elapsed() >= TRAY_INTERVAL {
                last_tray = Instant::now();
                crate::tray::refresh(&app);
            }
        }
    });
}

/// The desktop notification for a transfer event, if it deserves one: a whole batch (a
/// top-level item: one file, or a folder with everything in it) finished or failed. The
/// files inside a folder do not notify one by one.
pub fn transfer_notification(e: &TransferEvent, zh: bool) -> Option<(String, String)> {
    if !matches!(e.state, ItemState::Completed | ItemState::Failed) || e.parent_id.is_some() {
        return None;
    }
    let name = e.name.as_str();
    let error = e.error.as_deref();
    Some(match (e.state, zh) {
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
    })
}

fn notify<R: Runtime>(app: &AppHandle<R>, title: String, body: String) {
    // Without a notification daemon (headless sessions) this fails; the transfer list still shows it.
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!("notification not shown: {e}");
    }
}
