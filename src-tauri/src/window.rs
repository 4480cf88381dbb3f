//! Main-window behaviour: closing hides to the tray, and OS file drops are kept in Rust
//! (the UI only learns that a drop happened, never the paths).

use crate::state::{AppState, lock};
use serde_json::json;
use tauri::{DragDropEvent, Emitter, Manager, Runtime, Window, WindowEvent};

/// Handles events of every window (there is one: "main").
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    match event {
        WindowEvent::CloseRequested { api, .. } => {
            // Transfers keep going in the tray; "Quit" in the tray menu ends the app.
            api.prevent_close();
            let _ = window.hide();
        }
        WindowEvent::DragDrop(DragDropEvent::Enter { .. }) => {
            let _ = window.emit("drop-hover", json!({ "hovering": true }));
        }
        WindowEvent::DragDrop(DragDropEvent::Leave) => {
            let _ = window.emit("drop-hover", json!({ "hovering": false }));
        }
        WindowEvent::DragDrop(DragDropEvent::Drop { paths, .. }) => {
            let state = window.state::<AppState>();
            *lock(&state.dropped) = paths.clone();
            let _ = window.emit("drop-hover", json!({ "hovering": false }));
            let _ = window.emit("drop", json!({}));
        }
        _ => {}
    }
}
