//! AES-256-CTR stream transform and HMAC URL signatures.

use aes::Aes256;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use ctr::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

type Aes256Ctr = ctr::Ctr128BE<Aes256>;

/// Per-entity key material of client- or server-side encryption.
#[derive(Debug, Clone)]
pub struct EncryptionKey {
    pub key: [u8; 32],
    pub iv: [u8; 16],
}

impl EncryptionKey {
    /// Fresh random key and IV.
    pub fn generate() -> Self {
        let mut key = [0u8; 32];
        let mut iv = [0u8; 16];
        rand::rng().fill_bytes(&mut key);
        rand::rng().fill_bytes(&mut iv);
        Self { key, iv }
    }

    /// The `encrypt_metadata` object returned with an upload session.
    pub fn metadata_json(&self) -> serde_json::Value {
        serde_json::json!({
            "algorithm": "aes-256-ctr",
            "key": null,
            "key_plain_text": STANDARD.encode(self.key),
            "iv": STANDARD.encode(self.iv),
        })
    }

    /// A keystream positioned at absolute byte `offset` of the entity.
    ///
    /// `Ctr128BE` treats the whole IV as a 128-bit big-endian counter, so seeking yields
    /// counter = IV + offset/16 with `offset % 16` bytes discarded, as Cloudreve does.
    pub fn stream_at(&self, offset: u64) -> CtrStream {
        let mut c = Aes256Ctr::new(&self.key.into(), &self.iv.into());
        c.seek(offset);
        CtrStream(c)
    }
}

/// Stateful keystream applied to consecutive slices.
pub struct CtrStream(Aes256Ctr);

impl CtrStream {
    /// XOR the next `buf.len()` keystream bytes into `buf`.
    pub fn apply(&mut self, buf: &mut [u8]) {
        self.0.apply_keystream(buf);
    }
}

/// HMAC signer for content URLs (`sign=<b64url(hmac(path:expiry))>:<expiry>`).
pub struct UrlSigner {
    secret: Vec<u8>,
}

/// Why a signature was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum SignError {
    Expired,
    Invalid,
}

impl UrlSigner {
    /// A signer with a random secret.
    pub fn random() -> Self {
        let mut secret = vec![0u8; 32];
        rand::rng().fill_bytes(&mut secret);
        Self { secret }
    }

    fn mac(&self, path: &str, expiry: i64) -> String {
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret).expect("hmac key");
        m.update(format!("{path}:{expiry}").as_bytes());
        URL_SAFE.encode(m.finalize().into_bytes())
    }

    /// Sign a (decoded) URL path until `expiry` (Unix seconds).
    pub fn sign(&self, path: &str, expiry: i64) -> String {
        format!("{}:{expiry}", self.mac(path, expiry))
    }

    /// Verify `sign` for `path` at time `now`.
    pub fn verify(&self, path: &str, sign: &str, now: i64) -> Result<(), SignError> {
        let (mac, exp) = sign.rsplit_once(':').ok_or(SignError::Invalid)?;
        let expiry: i64 = exp.parse().map_err(|_| SignError::Invalid)?;
        let expected = self.mac(path, expiry);
        let mut m = Hmac::<Sha256>::new_from_slice(&self.secret).expect("hmac key");
        m.update(format!("{path}:{expiry}").as_bytes());
        // Constant-time compare through the Mac API.
        let given = URL_SAFE.decode(mac).map_err(|_| SignError::Invalid)?;
        if m.verify_slice(&given).is_err() || expected.is_empty() {
            return Err(SignError::Invalid);
        }
        if expiry > 0 && now > expiry {
            return Err(SignError::Expired);
        }
        Ok(())
    }
}
