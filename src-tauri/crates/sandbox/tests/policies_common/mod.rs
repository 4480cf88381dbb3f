//! Helpers for the per-policy tests (raw HTTP through reqwest, no client code).
#![allow(dead_code)]

use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::policy::PolicyKind;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

#[path = "../common/mod.rs"]
mod common;
pub use common::*;

/// A demo sandbox whose default policy is `kind`, with `chunk_size`-byte chunks.
pub async fn env_with(kind: PolicyKind, chunk_size: u64, encryption: bool) -> Env {
    demo(SandboxConfig {
        policy: kind,
        chunk_size,
        chunk_concurrency: 3,
        encryption,
        ..SandboxConfig::default()
    })
    .await
}

/// Deterministic, non-repeating-ish test bytes.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7919 + i / 251) % 256) as u8).collect()
}

/// Hex SHA-256.
pub fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// `PUT /file/upload` and return `data` (asserting success).
pub async fn create_session(env: &Env, uri: &str, size: usize, extra: Value) -> Value {
    let mut body = json!({"uri": uri, "size": size, "last_modified": 1_700_000_000_000i64});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let v = env.put("/file/upload", body).await;
    assert_eq!(v["code"], 0, "create session: {v}");
    v["data"].clone()
}

/// The key material of a session's `encrypt_metadata`.
pub fn key_of(meta: &Value) -> cirrus_sandbox::crypto::EncryptionKey {
    use base64::Engine;
    let b64 = |k: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(meta[k].as_str().expect("key material"))
            .unwrap()
    };
    cirrus_sandbox::crypto::EncryptionKey {
        key: b64("key_plain_text").try_into().unwrap(),
        iv: b64("iv").try_into().unwrap(),
    }
}

/// Encrypt (or decrypt) `data` with a session's `encrypt_metadata`, from byte 0.
pub fn ctr_apply(meta: &Value, data: &[u8]) -> Vec<u8> {
    let mut out = data.to_vec();
    key_of(meta).stream_at(0).apply(&mut out);
    out
}

/// Byte ranges of the chunks of a `size`-byte file (one empty chunk for empty files).
pub fn chunks(size: usize, chunk_size: usize) -> Vec<(usize, usize)> {
    if size == 0 || chunk_size == 0 {
        return vec![(0, size)];
    }
    (0..size)
        .step_by(chunk_size)
        .map(|a| (a, (a + chunk_size).min(size)))
        .collect()
}

/// The listing entry of `name` in `folder`.
pub async fn entry(env: &Env, folder: &str, name: &str) -> Value {
    let l = env.list(folder, "").await;
    l["data"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .cloned()
        .unwrap_or(Value::Null)
}

/// Download `uri` through `POST /file/url` and return the bytes.
pub async fn fetch(env: &Env, uri: &str) -> Vec<u8> {
    let url = env.url_of(uri, false).await;
    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200, "download {url}");
    r.bytes().await.unwrap().to_vec()
}

/// Half of the part uploads fail (5xx, 429 or a dropped connection), replayably by `seed`.
pub fn flaky_parts(seed: u64) -> cirrus_sandbox::faults::FaultConfig {
    use cirrus_sandbox::faults::{FaultConfig, FaultKind};
    FaultConfig {
        seed,
        part_fail_rate: 0.5,
        kinds: vec![
            FaultKind::ServerError,
            FaultKind::TooManyRequests,
            FaultKind::Drop,
        ],
        ..FaultConfig::default()
    }
}
