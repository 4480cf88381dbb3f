//! Certificate pinning for self-signed servers. Used only when the user explicitly opted in
//! for an account; then exactly one certificate (by SHA-256 fingerprint) is accepted, and the
//! handshake signatures are still verified.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};

use crate::error::{Error, ErrorKind, Result};

/// Normalise a fingerprint written as hex with optional `:`/spaces to 64 lower-case hex chars.
pub fn normalize_fingerprint(input: &str) -> Result<String> {
    let hex: String = input
        .trim()
        .trim_start_matches("sha256:")
        .trim_start_matches("SHA256:")
        .chars()
        .filter(|c| !matches!(c, ':' | ' ' | '-'))
        .collect::<String>()
        .to_ascii_lowercase();
    if hex.len() == 64 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(Error::invalid(
            "A certificate fingerprint is 64 hexadecimal characters (SHA-256).",
        ))
    }
}

/// SHA-256 fingerprint (lower-case hex) of a DER certificate.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Accepts exactly the pinned certificate.
#[derive(Debug)]
pub struct PinnedCertVerifier {
    pin: String,
    algorithms: WebPkiSupportedAlgorithms,
}

impl PinnedCertVerifier {
    /// A verifier for the given fingerprint.
    pub fn new(pin: &str) -> Result<Self> {
        let provider: CryptoProvider = rustls::crypto::ring::default_provider();
        Ok(PinnedCertVerifier {
            pin: normalize_fingerprint(pin)?,
            algorithms: provider.signature_verification_algorithms,
        })
    }

    /// Whether `der` is the pinned certificate.
    pub fn matches(&self, der: &[u8]) -> bool {
        fingerprint(der) == self.pin
    }
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if self.matches(end_entity.as_ref()) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate fingerprint {} does not match the pinned one",
                fingerprint(end_entity.as_ref())
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Error for a rejected pin (kept here so the message is consistent).
pub fn pin_mismatch() -> Error {
    Error::with_message(
        ErrorKind::Tls,
        "The server's certificate does not match the pinned fingerprint.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_normalise() {
        let colon = "AB:".repeat(31) + "AB";
        assert_eq!(normalize_fingerprint(&colon).unwrap(), "ab".repeat(32));
        assert_eq!(
            normalize_fingerprint(&format!("sha256:{}", "0f".repeat(32))).unwrap(),
            "0f".repeat(32)
        );
        assert!(normalize_fingerprint("abc").is_err());
        assert!(normalize_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn verifier_accepts_only_the_pinned_certificate() {
        let der = b"not really a certificate, but bytes are bytes";
        let v = PinnedCertVerifier::new(&fingerprint(der)).unwrap();
        assert!(v.matches(der));
        assert!(!v.matches(b"other"));
        let name = ServerName::try_from("example.com").unwrap();
        let ok = v.verify_server_cert(
            &CertificateDer::from(der.to_vec()),
            &[],
            &name,
            &[],
            UnixTime::now(),
        );
        assert!(ok.is_ok());
        let bad = v.verify_server_cert(
            &CertificateDer::from(b"x".to_vec()),
            &[],
            &name,
            &[],
            UnixTime::now(),
        );
        assert!(bad.is_err());
    }

    #[test]
    fn pinned_client_builds() {
        let opts = crate::net::HttpOptions {
            pinned_cert_sha256: Some("ab".repeat(32)),
            ..Default::default()
        };
        assert!(crate::net::build_client(&opts).is_ok());
    }
}
