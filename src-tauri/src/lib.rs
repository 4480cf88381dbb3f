//! Cirrus desktop: a thin Tauri shell over `cirrus-core`. Commands are grouped by feature in
//! `commands/`; this file wires plugins, state, the tray and window events together.

pub mod autostart;
pub mod commands;
#[cfg(target_os = "linux")]
mod drag_source;
pub mod dto;
pub mod error;
pub mod launch;
pub mod media_loopback;
pub mod media_preview;
pub mod media_thumb;
pub mod search_filters;
pub mod state;
pub mod task_watch;
pub mod tray;
pub mod tray_model;
pub mod watcher;
mod window;

use state::AppState;
use tauri::Manager;

/// Every command the UI may call. `build.rs` lists the same names for the ACL.
#[macro_export]
macro_rules! cirrus_handlers {
    () => {
        tauri::generate_handler![
            $crate::commands::accounts::accounts_list,
            $crate::commands::accounts::account_add,
            $crate::commands::accounts::account_2fa,
            $crate::commands::accounts::account_switch,
            $crate::commands::accounts::account_rename,
            $crate::commands::accounts::account_remove,
            $crate::commands::accounts::account_sign_out,
            $crate::commands::accounts::sandbox_start,
            $crate::commands::browse::browse_list,
            $crate::commands::browse::browse_search,
            $crate::commands::browse::browse_trash,
            $crate::commands::browse::capacity,
            $crate::commands::browse::file_info,
            $crate::commands::files::files_mkdir,
            $crate::commands::files::files_rename,
            $crate::commands::files::files_move,
            $crate::commands::files::files_copy,
            $crate::commands::files::files_delete,
            $crate::commands::files::files_restore,
            $crate::commands::transfers::transfers_pick_upload,
            $crate::commands::transfers::transfers_plan_drop,
            $crate::commands::transfers::transfers_start_upload,
            $crate::commands::transfers::transfers_download,
            $crate::commands::transfers::transfers_list,
            $crate::commands::transfers::transfers_subscribe,
            $crate::commands::transfers::transfers_pause,
            $crate::commands::transfers::transfers_resume,
            $crate::commands::transfers::transfers_cancel,
            $crate::commands::transfers::transfers_retry,
            $crate::commands::transfers::transfers_clear_finished,
            $crate::commands::shares::shares_create,
            $crate::commands::shares::shares_list,
            $crate::commands::shares::shares_delete,
            $crate::commands::shares::shares_edit,
            $crate::commands::shares::clipboard_copy,
            $crate::commands::tasks::tasks_list,
            $crate::commands::tasks::tasks_archive,
            $crate::commands::tasks::tasks_extract,
            $crate::commands::tasks::tasks_remote_download,
            $crate::commands::tasks::tasks_cancel,
            $crate::commands::settings::settings_get,
            $crate::commands::settings::settings_set,
            $crate::commands::settings::settings_pick_download_folder,
            $crate::commands::settings::secret_store_info,
            $crate::commands::settings::secret_notice_dismiss,
            $crate::commands::settings::autostart_get,
            $crate::commands::settings::autostart_set,
            $crate::commands::network::proxy_system_info,
            $crate::commands::network::proxy_password_set,
            $crate::commands::network::proxy_password_status,
            $crate::commands::upload_with::upload_with_pending,
            $crate::commands::upload_with::upload_with_plan,
            $crate::commands::upload_with::upload_with_dismiss,
            $crate::commands::preview::preview_open,
            $crate::commands::preview::preview_text,
            $crate::commands::preview::preview_pdf,
            $crate::commands::preview::open_with_default,
            $crate::commands::preview::open_with_upload,
            $crate::commands::preview::open_with_dismiss,
            $crate::commands::versions::versions_list,
            $crate::commands::versions::versions_download,
            $crate::commands::versions::versions_set_current,
            $crate::commands::versions::versions_delete,
            $crate::commands::drag::drag_out_begin,
            $crate::commands::drag::drag_out_pointer,
            $crate::commands::drag::drag_out_end,
        ]
    };
}

/// Logs go to standard error, or to the file `CIRRUS_LOG_FILE` names (appended), which is
/// where they can be read when the app was started by a launcher or a WebDriver; `RUST_LOG`
/// sets the level as usual.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "warn,cirrus=info".into());
    let file = std::env::var_os("CIRRUS_LOG_FILE").and_then(|path| {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| eprintln!("Cirrus cannot write its log to {}: {e}", path.display()))
            .ok()
    });
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = match file {
        Some(file) => builder
            .with_ansi(false)
            .with_writer(std::sync::Mutex::new(file))
            .try_init(),
        None => builder.try_init(),
    };
}

/// Builds and runs the desktop app until the user quits.
pub fn run() {
    init_logging();
    // WebKitGTK's DMA-BUF renderer shows blank windows on some GPUs; only set it if unset.
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // SAFETY: set at start-up before any thread that reads the environment is spawned.
        unsafe { std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1") };
    }
    let data_dir = match cirrus_core::Cirrus::default_data_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("Cirrus cannot start: {}", e.message());
            std::process::exit(1);
        }
    };
    let media = match cirrus_core::preview::MediaStore::new() {
        Ok(media) => media,
        Err(e) => {
            eprintln!("Cirrus cannot start: {}", e.message());
            std::process::exit(1);
        }
    };
    let state = match AppState::open(data_dir) {
        Ok(state) => state,
        Err(e) => {
            eprintln!("Cirrus cannot start: {}", e.message);
            std::process::exit(1);
        }
    };
    let cwd = std::env::current_dir().unwrap_or_default();
    let request = launch::parse(std::env::args_os().skip(1), &cwd);
    launch::queue(&state, &request);
    // Files to upload need the dialog, so they win over `--minimized`.
    let start_hidden = request.minimized && request.paths.is_empty();
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|app, argv, cwd| {
            launch::receive(app, &argv, std::path::Path::new(&cwd))
        }))
        .plugin(tauri_plugin_window_state::Builder::default().build())
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .manage(state)
        .register_asynchronous_uri_scheme_protocol(media_thumb::SCHEME, media_thumb::handle)
        .manage(media)
        .manage(commands::preview::OpenWith::default())
        .manage(commands::drag::DragOut::default())
        .register_asynchronous_uri_scheme_protocol(media_preview::SCHEME, media_preview::handle)
        .invoke_handler(cirrus_handlers!())
        .on_window_event(window::on_window_event)
        .setup(move |app| {
            let handle = app.handle().clone();
            tray::setup(&handle)?;
            // Audio and video previews need plain HTTP on Linux; without it they are the only
            // previews that fail, so the app still starts.
            match media_loopback::start(handle.clone()) {
                Ok(door) => {
                    app.manage(door);
                }
                Err(e) => tracing::warn!("media previews over loopback unavailable: {e}"),
            }
            if start_hidden && let Some(window) = handle.get_webview_window("main") {
                // Started at login: stay in the tray until the user opens the window.
                window.hide()?;
            }
            window::install_e2e_drop(&handle);
            commands::drag::install_e2e_drag_out(&handle);
            #[cfg(target_os = "linux")]
            drag_source::install(&handle);
            media_thumb::setup(&handle);
            watcher::start(handle.clone());
            task_watch::start(handle.clone());
            commands::preview::start_watching(handle.clone());
            let resumer = handle.clone();
            tauri::async_runtime::spawn(async move {
                resumer.state::<AppState>().resume_transfers().await;
            });
            Ok(())
        })
        .run(tauri::generate_context!())
        .expect("error while running Cirrus");
}
