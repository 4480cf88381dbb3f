//! Tauri commands, one module per feature. Each command is a few lines over `cirrus-core`.

pub mod accounts;
pub mod browse;
pub mod drag;
pub mod files;
pub mod network;
pub mod preview;
pub mod settings;
pub mod shares;
pub mod tasks;
pub mod transfers;
pub mod upload_with;
pub mod versions;
