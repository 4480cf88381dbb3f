//! Building the per-account HTTP client.

use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

use super::pinning::PinnedCertVerifier;

/// Timeout for control calls (listing, rename, sign-in…). Chunk uploads use their own.
pub const CONTROL_TIMEOUT: Duration = Duration::from_secs(30);

/// Per-account HTTP settings.
#[derive(Clone, Debug, Default)]
pub struct HttpOptions {
    /// Accept exactly this certificate (SHA-256 of its DER, hex) instead of the CA chain.
    /// Only set when the user explicitly opted in for a self-signed server.
    pub pinned_cert_sha256: Option<String>,
    /// The proxy to go through (the system's by default).
    pub proxy: super::proxy::ProxyConfig,
}

/// `Cirrus/<version>`.
pub fn user_agent() -> String {
    format!("Cirrus/{}", crate::VERSION)
}

/// A client with rustls, connection reuse, connect/read timeouts and our User-Agent.
pub fn build_client(opts: &HttpOptions) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .user_agent(user_agent())
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(120))
        .pool_idle_timeout(Duration::from_secs(90))
        // Redirects would leak the bearer token to other hosts; the API never needs them.
        .redirect(reqwest::redirect::Policy::none());
    builder = super::proxy::apply(builder, &opts.proxy)?;
    if let Some(pin) = &opts.pinned_cert_sha256 {
        let verifier = PinnedCertVerifier::new(pin)?;
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| {
            Error::with_message(
                crate::error::ErrorKind::Tls,
                format!("TLS setup failed: {e}"),
            )
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
        builder = builder.use_preconfigured_tls(config);
    }
    builder
        .build()
        .map_err(|e| Error::io(format!("Could not create the HTTP client: {e}")))
}
