//! cirrus-core: everything Cirrus knows about cloud drives, with no Tauri dependency.
//!
//! Providers (Cloudreve v4 first), accounts and sessions, and the transfer engine live here;
//! the CLI and the desktop shell are thin layers over this crate.

pub mod account;
pub mod crypto;
pub mod drag_out;
pub mod error;
pub mod facade;
pub mod listing_window;
pub mod net;
pub mod preview;
pub mod provider;
pub mod secrets;
pub mod session;
pub mod settings;
pub mod task_view;
pub mod thumb_cache;
pub mod transfer;
pub mod transfer_hub;

pub use error::{Error, ErrorKind, Result};
pub use facade::{AddAccount, AddAccountOutcome, Cirrus};

/// The version of the Cirrus core, shared by the CLI and the desktop app.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
