//! Main-window behaviour: closing hides to the tray, and OS file drops are kept in Rust
//! (the UI only learns that a drop happened, never the paths).

use crate::commands::drag::{INTERNAL_DROP_EVENT, is_own_drag};
use crate::state::{AppState, lock};
use serde_json::json;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tauri::{AppHandle, DragDropEvent, Emitter, Listener, Manager, Runtime, Window, WindowEvent};
use tauri_plugin_window_state::{AppHandleExt, StateFlags};

/// Environment variable naming a folder whose files the end-to-end suite "drops" on the window.
pub const E2E_DROP_DIR: &str = "CIRRUS_E2E_DROP_DIR";
/// The event the end-to-end suite emits to trigger that drop.
pub const E2E_DROP_EVENT: &str = "cirrus-e2e-drop";
/// The event the end-to-end suite emits to close the main window as its title-bar button does
/// (WebDriver has no way to press a window manager's close button).
pub const E2E_CLOSE_EVENT: &str = "cirrus-e2e-close";

/// Handles events of every window (there is one: "main").
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    match event {
        WindowEvent::CloseRequested { api, .. } => {
            // Transfers keep going in the tray; "Quit" in the tray menu ends the app.
            api.prevent_close();
            let _ = window.hide();
        }
        WindowEvent::Moved(_) | WindowEvent::Resized(_) => save_geometry_soon(window.app_handle()),
        // A row dragged inside the window carries a marker, not files: no upload overlay, and
        // its drop is handed back to the page (WebKitGTK's file-drop handling took it).
        WindowEvent::DragDrop(DragDropEvent::Enter { paths, .. }) if is_own_drag(paths) => {}
        WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) if is_own_drag(paths) => {
            let _ = window.emit(INTERNAL_DROP_EVENT, json!({}));
        }
        WindowEvent::DragDrop(DragDropEvent::Enter { .. }) => {
            let _ = window.emit("drop-hover", json!({ "hovering": true }));
        }
        WindowEvent::DragDrop(DragDropEvent::Leave) => {
            let _ = window.emit("drop-hover", json!({ "hovering": false }));
        }
        WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) => {
            accept_drop(window.app_handle(), paths.clone());
        }
        _ => {}
    }
}

/// Bumped by every move or resize; a save runs only when no newer one came in meanwhile.
static GEOMETRY_GENERATION: AtomicU64 = AtomicU64::new(0);
/// Quiet time after the last move or resize before the window's size and place are saved.
const GEOMETRY_SAVE_DELAY: Duration = Duration::from_millis(500);

/// Saves the window's size and position shortly after it stops changing, so they survive a
/// crash or a session logout too (the window-state plugin itself saves only on a clean exit).
fn save_geometry_soon<R: Runtime>(app: &AppHandle<R>) {
    let generation = GEOMETRY_GENERATION.fetch_add(1, Ordering::SeqCst) + 1;
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(GEOMETRY_SAVE_DELAY).await;
        if GEOMETRY_GENERATION.load(Ordering::SeqCst) == generation
            && let Err(e) = app.save_window_state(StateFlags::all())
        {
            tracing::debug!("window size and position not saved: {e}");
        }
    });
}

/// Keeps dropped paths in Rust and tells the UI a drop happened; the UI then asks for an
/// upload plan of "the last drop" without ever seeing the paths.
pub fn accept_drop<R: Runtime>(app: &AppHandle<R>, paths: Vec<PathBuf>) {
    *lock(&app.state::<AppState>().dropped) = paths;
    let _ = app.emit("drop-hover", json!({ "hovering": false }));
    let _ = app.emit("drop", json!({}));
}

/// WebDriver cannot perform an OS drag and drop, so when (and only when) the app is started with
/// `CIRRUS_E2E_DROP_DIR`, an event from the page makes the files of that folder arrive through
/// exactly the same path a real drop takes; another closes the window like its close button.
/// Without the variable nothing is registered.
pub fn install_e2e_drop<R: Runtime>(app: &AppHandle<R>) {
    let Some(dir) = std::env::var_os(E2E_DROP_DIR).map(PathBuf::from) else {
        return;
    };
    let closer = app.clone();
    app.listen_any(E2E_CLOSE_EVENT, move |_| {
        if let Some(w) = closer.get_webview_window("main") {
            // The same request the title bar makes: `on_window_event` gets CloseRequested.
            let _ = w.close();
        }
    });
    let handle = app.clone();
    app.listen_any(E2E_DROP_EVENT, move |_| {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        paths.sort();
        accept_drop(&handle, paths);
    });
}
