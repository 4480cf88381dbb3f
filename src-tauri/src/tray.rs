//! The tray icon: a live transfer summary and the actions people reach for from the panel.

use crate::state::{AppState, lock};
use crate::tray_model::{TransferSnapshot, TrayLanguage, TrayMenuModel};
use cirrus_core::settings::Language;
use cirrus_core::transfer::ItemState;
use cirrus_core::transfer_hub::HubSelection;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_dialog::{DialogExt, MessageDialogButtons, MessageDialogKind};

/// Menu-item ids, shared by the builder and the event handler.
pub mod ids {
    /// The disabled status line.
    pub const STATUS: &str = "tray-status";
    /// Pause every active transfer.
    pub const PAUSE_ALL: &str = "tray-pause-all";
    /// Resume every paused transfer.
    pub const RESUME_ALL: &str = "tray-resume-all";
    /// Show and focus the main window.
    pub const OPEN: &str = "tray-open";
    /// Quit (asking first when transfers are running).
    pub const QUIT: &str = "tray-quit";
}

/// Handles to the menu items whose text or state changes as transfers progress.
pub struct TrayHandles<R: Runtime> {
    status: MenuItem<R>,
    pause_all: MenuItem<R>,
    resume_all: MenuItem<R>,
    open: MenuItem<R>,
    quit: MenuItem<R>,
}

impl<R: Runtime> TrayHandles<R> {
    /// Writes a freshly computed model into the menu.
    pub fn apply(&self, model: &TrayMenuModel) -> tauri::Result<()> {
        self.status.set_text(&model.status)?;
        self.pause_all.set_text(&model.pause_all)?;
        self.pause_all.set_enabled(model.pause_enabled)?;
        self.resume_all.set_text(&model.resume_all)?;
        self.resume_all.set_enabled(model.resume_enabled)?;
        self.open.set_text(&model.open)?;
        self.quit.set_text(&model.quit)?;
        Ok(())
    }
}

/// Creates the tray icon with its menu; `on_action` receives the id of the clicked item.
pub fn install<R: Runtime>(
    app: &AppHandle<R>,
    initial: &TrayMenuModel,
    on_action: impl Fn(&AppHandle<R>, &str) + Send + Sync + 'static,
) -> tauri::Result<TrayHandles<R>> {
    let status = MenuItem::with_id(app, ids::STATUS, &initial.status, false, None::<&str>)?;
    let pause_all = MenuItem::with_id(
        app,
        ids::PAUSE_ALL,
        &initial.pause_all,
        initial.pause_enabled,
        None::<&str>,
    )?;
    let resume_all = MenuItem::with_id(
        app,
        ids::RESUME_ALL,
        &initial.resume_all,
        initial.resume_enabled,
        None::<&str>,
    )?;
    let open = MenuItem::with_id(app, ids::OPEN, &initial.open, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, ids::QUIT, &initial.quit, true, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &pause_all,
            &resume_all,
            &PredefinedMenuItem::separator(app)?,
            &open,
            &quit,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("cirrus-tray")
        .menu(&menu)
        .tooltip("Cirrus")
        .on_menu_event(move |app, event| on_action(app, event.id.as_ref()));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(TrayHandles {
        status,
        pause_all,
        resume_all,
        open,
        quit,
    })
}

/// Shows, un-minimises and focuses the main window.
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// The tray's menu handles, kept in managed state so transfer events can update the texts.
pub struct TrayState<R: Runtime>(Mutex<Option<TrayHandles<R>>>);

fn tray_language(lang: Language) -> TrayLanguage {
    match lang {
        Language::En => TrayLanguage::En,
        Language::ZhCn => TrayLanguage::ZhCn,
    }
}

/// Creates the tray and its handlers.
pub fn setup<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let lang = tray_language(app.state::<AppState>().settings().language);
    let initial = TrayMenuModel::from_transfers(&[], lang);
    let handles = install(app, &initial, |app, id| match id {
        ids::OPEN => show_main_window(app),
        ids::PAUSE_ALL => control(app, true),
        ids::RESUME_ALL => control(app, false),
        ids::QUIT => quit(app),
        _ => {}
    })?;
    app.manage(TrayState(Mutex::new(Some(handles))));
    refresh(app);
    Ok(())
}

fn control<R: Runtime>(app: &AppHandle<R>, pause: bool) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let hub = app.state::<AppState>().hub.clone();
        let result = if pause {
            hub.pause(&HubSelection::All).await
        } else {
            hub.resume(&HubSelection::All).await
        };
        if let Err(e) = result {
            tracing::warn!("tray action failed: {}", e.message());
        }
        refresh(&app);
    });
}

/// Quits at once when nothing is transferring; otherwise asks first (unfinished transfers
/// resume on the next start, but people should not lose progress by surprise).
fn quit<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        let active = state
            .hub
            .list()
            .await
            .map(|items| {
                items
                    .iter()
                    .filter(|h| matches!(h.item.state, ItemState::Running | ItemState::Queued))
                    .count()
            })
            .unwrap_or(0);
        if active == 0 {
            app.exit(0);
            return;
        }
        let zh = state.settings().language == Language::ZhCn;
        let (text, yes, no) = if zh {
            (
                format!("还有 {active} 个传输未完成。现在退出吗？下次启动时会继续。"),
                "退出",
                "取消",
            )
        } else {
            (
                format!(
                    "{active} transfers are still running. Quit now? They will resume next time Cirrus starts."
                ),
                "Quit",
                "Cancel",
            )
        };
        let exit_handle = app.clone();
        app.dialog()
            .message(text)
            .title("Cirrus")
            .kind(MessageDialogKind::Warning)
            .buttons(MessageDialogButtons::OkCancelCustom(yes.into(), no.into()))
            .show(move |confirmed| {
                if confirmed {
                    exit_handle.exit(0);
                }
            });
    });
}

/// A tray refresh is running.
static REFRESHING: AtomicBool = AtomicBool::new(false);
/// Another refresh was asked for while one was running.
static REFRESH_AGAIN: AtomicBool = AtomicBool::new(false);

/// Recomputes the tray texts from the current transfers. At most one runs at a time; asks
/// meanwhile fold into one more run after it. (One run per finished file, each reading the
/// whole queue, piled up with 10 000 small uploads and slowed everything else.)
pub fn refresh<R: Runtime>(app: &AppHandle<R>) {
    if REFRESHING.swap(true, Ordering::AcqRel) {
        REFRESH_AGAIN.store(true, Ordering::Release);
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            REFRESH_AGAIN.store(false, Ordering::Release);
            refresh_now(&app).await;
            if REFRESH_AGAIN.load(Ordering::Acquire) {
                continue;
            }
            REFRESHING.store(false, Ordering::Release);
            // An ask between the check and the release found REFRESHING set and returned:
            // take it over unless another call already has.
            if !REFRESH_AGAIN.load(Ordering::Acquire) || REFRESHING.swap(true, Ordering::AcqRel) {
                break;
            }
        }
    });
}

async fn refresh_now<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    let lang = tray_language(state.settings().language);
    let Ok(items) = state.hub.list().await else {
        return;
    };
    let snapshots: Vec<TransferSnapshot> = crate::commands::transfers::rows(&items)
        .iter()
        .map(|row| TransferSnapshot {
            active: row.state == "running" || row.state == "queued",
            paused: row.state == "paused",
            done: row.bytes_done,
            total: row.bytes_total,
        })
        .collect();
    let model = TrayMenuModel::from_transfers(&snapshots, lang);
    // Menu and tray updates run on the main thread; called from here they would block this
    // tokio worker until it gets there. While the main thread waits on a task (a drop
    // target's request during a drag), blocked workers stalled the downloads it waited for.
    let handle = app.clone();
    let _ = app.run_on_main_thread(move || {
        if let Some(tray) = handle.try_state::<TrayState<R>>()
            && let Some(handles) = lock(&tray.0).as_ref()
        {
            let _ = handles.apply(&model);
        }
    });
}
