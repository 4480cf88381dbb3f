//! Declares the app's commands to the ACL so each one must be granted in a capability file;
//! without this list Tauri would not check app commands at all.

const COMMANDS: &[&str] = &[
    "accounts_list",
    "account_add",
    "account_2fa",
    "account_switch",
    "account_rename",
    "account_remove",
    "account_sign_out",
    "sandbox_start",
    "browse_list",
    "browse_search",
    "browse_trash",
    "capacity",
    "file_info",
    "files_mkdir",
    "files_rename",
    "files_move",
    "files_copy",
    "files_delete",
    "files_restore",
    "transfers_pick_upload",
    "transfers_plan_drop",
    "transfers_start_upload",
    "transfers_download",
    "transfers_list",
    "transfers_subscribe",
    "transfers_pause",
    "transfers_resume",
    "transfers_cancel",
    "transfers_retry",
    "transfers_clear_finished",
    "shares_create",
    "shares_list",
    "shares_delete",
    "shares_edit",
    "clipboard_copy",
    "tasks_list",
    "tasks_archive",
    "tasks_extract",
    "tasks_remote_download",
    "tasks_cancel",
    "settings_get",
    "settings_set",
    "settings_pick_download_folder",
    "secret_store_info",
    "secret_notice_dismiss",
    "autostart_get",
    "autostart_set",
    "upload_with_pending",
    "upload_with_plan",
    "upload_with_dismiss",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("failed to run the Tauri build script");
}
