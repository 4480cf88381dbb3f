//! The `remote` (slave node) policy: chunks to the node with the `Bearer Cr` credential, the
//! node's signature checks, the node → master callback inside the last chunk, downloads.

mod policies_common;

use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

async fn send(env: &Env, url: &str, cred: Option<&str>, index: usize, body: Vec<u8>) -> Value {
    let mut r = env
        .http
        .post(format!("{url}?chunk={index}"))
        .header("Content-Type", "application/octet-stream")
        .body(body);
    if let Some(c) = cred {
        r = r.header("Authorization", c);
    }
    let resp = r.send().await.unwrap();
    assert_eq!(resp.status(), 200, "slave answers HTTP 200");
    resp.json().await.unwrap()
}

#[tokio::test]
async fn multi_chunk_upload_through_the_slave_node() {
    let env = env_with(PolicyKind::Remote, 1024, false).await;
    let data = pattern(2500);
    let s = create_session(&env, "cloudreve://my/remote/a.bin", data.len(), json!({})).await;
    assert_eq!(s["storage_policy"]["type"], "remote");
    assert_eq!(s["storage_policy"]["chunk_concurrency"], 3);
    assert_eq!(s["chunk_size"], 1024);
    let urls = s["upload_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1);
    let url = urls[0].as_str().unwrap();
    let sid = s["session_id"].as_str().unwrap();
    assert!(
        url.ends_with(&format!("/api/v4/slave/upload/{sid}")),
        "{url}"
    );
    assert!(
        !url.starts_with(&env.sb.base_url()),
        "node has its own listener"
    );
    let cred = s["credential"].as_str().unwrap();
    assert!(cred.starts_with("Bearer Cr "), "{cred}");
    let expiry: i64 = cred.rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(expiry, s["expires"].as_i64().unwrap());

    let parts = chunks(data.len(), 1024);
    // Out of order; the node pre-allocates.
    for i in [1, 0] {
        let (a, b) = parts[i];
        let v = send(&env, url, Some(cred), i, data[a..b].to_vec()).await;
        assert_eq!(v, json!({"code": 0, "msg": ""}));
    }
    // Wrong length → 40013.
    let v = send(&env, url, Some(cred), 2, vec![0; 10]).await;
    assert_eq!(v["code"], 40013);
    assert_eq!(v["msg"], "Invalid Content-Length (expected: 452)");
    assert_eq!(
        entry(&env, "cloudreve://my/remote", "a.bin").await["size"],
        0
    );
    // The last chunk's response carries the master's answer to the node's callback.
    let (a, b) = parts[2];
    let v = send(&env, url, Some(cred), 2, data[a..b].to_vec()).await;
    assert_eq!(v["code"], 0, "{v}");
    let f = entry(&env, "cloudreve://my/remote", "a.bin").await;
    assert_eq!(f["size"], 2500);
    assert!(f["metadata"].get("sys:upload_session_id").is_none());
    assert_eq!(env.sb.active_upload_sessions(), 0);

    // Downloads come from the node, signed, with Range.
    let dl = env.url_of("cloudreve://my/remote/a.bin", false).await;
    assert!(dl.contains("/api/v4/slave/file/content/"), "{dl}");
    let got = fetch(&env, "cloudreve://my/remote/a.bin").await;
    assert_eq!(sha(&got), sha(&data));
    let r = env
        .http
        .get(&dl)
        .header("Range", "bytes=1000-1099")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().to_vec(), data[1000..1100].to_vec());
    let bad = dl.replace("sign=", "sign=x");
    let v: Value = env
        .http
        .get(&bad)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 40071);

    // The session is gone on the node too.
    let v = send(&env, url, Some(cred), 0, data[..1024].to_vec()).await;
    assert_eq!(v["code"], 40011);
}

#[tokio::test]
async fn slave_credential_checks() {
    let env = env_with(PolicyKind::Remote, 1024, false).await;
    let s = create_session(&env, "cloudreve://my/c.bin", 100, json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    let cred = s["credential"].as_str().unwrap();
    let (sig, exp) = cred
        .trim_start_matches("Bearer Cr ")
        .rsplit_once(':')
        .unwrap();

    // Tampered signature.
    let mut bad = sig.to_string();
    let c = if bad.starts_with('A') { "B" } else { "A" };
    bad.replace_range(0..1, c);
    let v = send(
        &env,
        url,
        Some(&format!("Bearer Cr {bad}:{exp}")),
        0,
        vec![1; 100],
    )
    .await;
    assert_eq!(
        (v["code"].clone(), v["msg"].clone()),
        (json!(40071), json!("invalid sign"))
    );
    // Expired (expiry is checked before the signature).
    let v = send(
        &env,
        url,
        Some(&format!("Bearer Cr {sig}:1000")),
        0,
        vec![1; 100],
    )
    .await;
    assert_eq!(
        (v["code"].clone(), v["msg"].clone()),
        (json!(40005), json!("signature expired"))
    );
    // A later expiry than signed is a different signed content.
    let later = exp.parse::<i64>().unwrap() + 10;
    let v = send(
        &env,
        url,
        Some(&format!("Bearer Cr {sig}:{later}")),
        0,
        vec![1; 100],
    )
    .await;
    assert_eq!(v["code"], 40071);
    // No credential.
    let v = send(&env, url, None, 0, vec![1; 100]).await;
    assert_eq!(v["code"], 403);
    // Any X-Cr-* header is part of the signed content on the node → 40071.
    let v: Value = env
        .http
        .post(format!("{url}?chunk=0"))
        .header("Authorization", cred)
        .header("X-Cr-Client-Id", "cirrus")
        .body(vec![1; 100])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 40071);
    // X-Cr-Filename is excluded from signing.
    let v: Value = env
        .http
        .post(format!("{url}?chunk=0"))
        .header("Authorization", cred)
        .header("X-Cr-Filename", "c.bin")
        .body(vec![1; 100])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(entry(&env, "cloudreve://my", "c.bin").await["size"], 100);
}

#[tokio::test]
async fn remote_callback_auth_and_empty_files() {
    let env = env_with(PolicyKind::Remote, 1024, false).await;
    let s = create_session(&env, "cloudreve://my/e.bin", 0, json!({})).await;
    let sid = s["session_id"].as_str().unwrap();
    let secret = s["callback_secret"].as_str().unwrap();

    // Wrong secret → HTTP 401, 40020; unsigned with the right secret → HTTP 401 too.
    let r = env
        .http
        .post(env.api(&format!("/callback/remote/{sid}/wrong-secret")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 40020);
    let r = env
        .http
        .post(env.api(&format!("/callback/remote/{sid}/{secret}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 403);
    let r = env
        .http
        .post(env.api("/callback/remote/00000000-0000-0000-0000-000000000000/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 40011);
    // Chunk endpoint refuses sessions of a non-local, non-relay policy.
    assert_eq!(env.chunk(sid, 0, vec![]).await["code"], 40006);

    // Empty file: one POST with Content-Length 0.
    let url = s["upload_urls"][0].as_str().unwrap();
    let v = send(&env, url, s["credential"].as_str(), 0, vec![]).await;
    assert_eq!(v["code"], 0, "{v}");
    let f = entry(&env, "cloudreve://my", "e.bin").await;
    assert!(f["metadata"].get("sys:upload_session_id").is_none());
    assert!(fetch(&env, "cloudreve://my/e.bin").await.is_empty());
}

#[tokio::test]
async fn remote_with_client_side_encryption_and_single_chunk() {
    let env = env_with(PolicyKind::Remote, 0, true).await;
    let data = pattern(5000);
    let s = create_session(
        &env,
        "cloudreve://my/enc.bin",
        data.len(),
        json!({"encryption_supported": ["aes-256-ctr"]}),
    )
    .await;
    assert_eq!(s["chunk_size"], 0);
    let meta = &s["encrypt_metadata"];
    assert_eq!(meta["algorithm"], "aes-256-ctr");
    let key = b64(meta["key_plain_text"].as_str().unwrap());
    let iv = b64(meta["iv"].as_str().unwrap());
    let mut ct = data.clone();
    ctr_xor(&key, &iv, &mut ct);
    let v = send(
        &env,
        s["upload_urls"][0].as_str().unwrap(),
        s["credential"].as_str(),
        0,
        ct,
    )
    .await;
    assert_eq!(v["code"], 0, "{v}");
    // Encrypted entities are served (decrypted) by the master, not the node.
    let dl = env.url_of("cloudreve://my/enc.bin", false).await;
    assert!(dl.starts_with(&env.sb.base_url()), "{dl}");
    assert_eq!(
        sha(&fetch(&env, "cloudreve://my/enc.bin").await),
        sha(&data)
    );
}

fn b64(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

fn ctr_xor(key: &[u8], iv: &[u8], buf: &mut [u8]) {
    use ctr::cipher::{KeyIvInit, StreamCipher};
    let mut c = ctr::Ctr128BE::<aes::Aes256>::new(key.into(), iv.into());
    c.apply_keystream(buf);
}
