//! Types shared by the upload/download half of the `Provider` trait. The transfer engine is
//! written against these exact shapes; `UploadSession` is persisted as JSON so an upload can
//! resume after a restart.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

use super::model::RemoteRef;

/// What to upload and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRequest {
    /// Folder to upload into.
    pub parent: RemoteRef,
    /// File name inside `parent`.
    pub name: String,
    /// Exact plaintext size in bytes.
    pub size: u64,
    /// Local modification time, Unix milliseconds.
    pub modified_ms: Option<i64>,
    /// MIME type, if known.
    pub mime: Option<String>,
    /// Replace an existing file (as a new version where supported).
    pub overwrite: bool,
    /// Ask for client-side encryption when the storage policy supports it.
    pub want_client_encryption: bool,
}

/// AES-256-CTR key material for client-side encryption. Serialized as standard base64;
/// `Debug` never prints the key.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionParams {
    /// 32-byte key.
    pub key: [u8; 32],
    /// 16-byte initial counter block.
    pub iv: [u8; 16],
}

impl fmt::Debug for EncryptionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionParams { key: <redacted>, iv: <redacted> }")
    }
}

#[derive(Serialize, Deserialize)]
struct EncryptionParamsWire {
    key: String,
    iv: String,
}

impl Serialize for EncryptionParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EncryptionParamsWire {
            key: STANDARD.encode(self.key),
            iv: STANDARD.encode(self.iv),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for EncryptionParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let w = EncryptionParamsWire::deserialize(d)?;
        let key: [u8; 32] = STANDARD
            .decode(&w.key)
            .map_err(D::Error::custom)?
            .try_into()
            .map_err(|_| D::Error::custom("encryption key must be 32 bytes"))?;
        let iv: [u8; 16] = STANDARD
            .decode(&w.iv)
            .map_err(D::Error::custom)?
            .try_into()
            .map_err(|_| D::Error::custom("encryption iv must be 16 bytes"))?;
        Ok(EncryptionParams { key, iv })
    }
}

/// What the storage answered for one acknowledged chunk that completion needs later, e.g.
/// the `ETag` of an S3 multipart part. Most storages need nothing (`ChunkReceipt::default()`).
///
/// The transfer engine persists receipts next to the acknowledged chunk index, so an upload
/// resumed after a restart can still complete without re-sending those chunks. This is the
/// only way for S3-family policies: the client holds presigned URLs for `UploadPart` and
/// `CompleteMultipartUpload` only, so it cannot ask the store for the parts (`ListParts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkReceipt(pub Option<String>);

impl ChunkReceipt {
    /// A receipt carrying `token` (opaque to everyone but the provider).
    pub fn new(token: impl Into<String>) -> Self {
        ChunkReceipt(Some(token.into()))
    }

    /// The provider's token, if the storage gave one.
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Receipts of the acknowledged chunks that have one, by chunk index.
pub type ChunkReceipts = std::collections::BTreeMap<u64, String>;

/// A server-side upload session. Everything the provider needs to continue the upload is
/// in here, so it can be stored (SQLite, JSON) and used again after a restart.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadSession {
    /// Provider session id.
    pub id: String,
    /// The file being created.
    pub target: RemoteRef,
    /// Bytes per chunk; 0 = the whole file in one request.
    pub chunk_size: u64,
    /// How many chunks may be in flight at once.
    pub chunk_concurrency: u32,
    /// When the session expires, Unix seconds.
    pub expires_at: i64,
    /// Client-side encryption parameters, when the upload must be encrypted.
    pub encryption: Option<EncryptionParams>,
    /// Provider-private state: policy type, upload URLs, credentials, callback secret…
    pub policy: serde_json::Value,
}

impl UploadSession {
    /// Number of chunks for a file of `size` bytes (at least one, even for empty files).
    pub fn chunk_count(&self, size: u64) -> u64 {
        if self.chunk_size == 0 || size == 0 {
            1
        } else {
            size.div_ceil(self.chunk_size)
        }
    }

    /// Exact length of chunk `index` for a file of `size` bytes.
    pub fn chunk_len(&self, size: u64, index: u64) -> u64 {
        if self.chunk_size == 0 {
            return size;
        }
        let start = index.saturating_mul(self.chunk_size);
        size.saturating_sub(start).min(self.chunk_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trips_through_json_with_base64_key() {
        let s = UploadSession {
            id: "abc".into(),
            target: RemoteRef::new("cloudreve://my/a%20b.txt"),
            chunk_size: 10,
            chunk_concurrency: 2,
            expires_at: 1_700_000_000,
            encryption: Some(EncryptionParams {
                key: [7; 32],
                iv: [9; 16],
            }),
            policy: serde_json::json!({"type": "local"}),
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(&STANDARD.encode([7u8; 32])));
        let back: UploadSession = serde_json::from_str(&json).unwrap();
        assert_eq!(back.encryption, s.encryption);
        assert_eq!(back.target, s.target);
        assert!(!format!("{s:?}").contains("7, 7"));
    }

    #[test]
    fn chunk_arithmetic() {
        let mut s = UploadSession {
            id: String::new(),
            target: RemoteRef::new(""),
            chunk_size: 10,
            chunk_concurrency: 1,
            expires_at: 0,
            encryption: None,
            policy: serde_json::Value::Null,
        };
        assert_eq!(s.chunk_count(0), 1);
        assert_eq!(s.chunk_count(25), 3);
        assert_eq!(s.chunk_len(25, 2), 5);
        assert_eq!(s.chunk_len(25, 0), 10);
        s.chunk_size = 0;
        assert_eq!(s.chunk_count(25), 1);
        assert_eq!(s.chunk_len(25, 0), 25);
    }
}
