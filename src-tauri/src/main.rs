//! Cirrus desktop: a thin Tauri shell over `cirrus-core`.

// Keep a console window from appearing on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

// The same allocator as the CLI: listings and transfer bookkeeping allocate a lot.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    cirrus_desktop::run();
}
