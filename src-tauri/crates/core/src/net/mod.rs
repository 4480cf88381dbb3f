//! HTTP plumbing shared by providers: one reqwest client per account, error classification,
//! certificate pinning for self-signed servers, and the proxy every client goes through.

mod client;
mod errors;
pub mod pinning;
pub mod proxy;

pub use client::{CONTROL_TIMEOUT, HttpOptions, build_client, user_agent};
pub use errors::{from_reqwest, retry_after};
