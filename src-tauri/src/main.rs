//! Cirrus desktop: a thin Tauri shell over `cirrus-core`.

// Keep a console window from appearing on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    cirrus_desktop::run();
}
