//! HTTP plumbing shared by providers: one reqwest client per account, error classification,
//! and certificate pinning for self-signed servers.

mod client;
mod errors;
pub mod pinning;

pub use client::{CONTROL_TIMEOUT, HttpOptions, build_client, user_agent};
pub use errors::{from_reqwest, retry_after};
