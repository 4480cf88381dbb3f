//! The Tauri shell: window setup and, later, commands grouped by feature module.

/// Builds and runs the desktop app until the user quits.
pub fn run() {
    tauri::Builder::default()
        .run(tauri::generate_context!())
        .expect("error while running Cirrus");
}
