//! Uploads (local policy), downloads with Range, and client-side encryption.

mod common;

use std::time::Duration;

use cirrus_sandbox::SandboxConfig;
use common::*;
use serde_json::{Value, json};

fn small_chunks() -> SandboxConfig {
    SandboxConfig {
        chunk_size: 1024,
        ..SandboxConfig::default()
    }
}

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

async fn session(env: &Env, body: Value) -> Value {
    let v = env.put("/file/upload", body).await;
    assert_eq!(v["code"], 0, "{v}");
    v["data"].clone()
}

#[tokio::test]
async fn placeholder_lock_content_length_and_out_of_order_chunks() {
    let env = demo(small_chunks()).await;
    let data = pattern(2500);
    let s = session(&env, json!({"uri": "cloudreve://my/up/file one.bin", "size": 2500, "last_modified": 1_700_000_000_000i64})).await;
    let sid = s["session_id"].as_str().unwrap().to_string();
    assert_eq!(s["chunk_size"], 1024);
    assert_eq!(s["upload_id"], "");
    assert_eq!(s["uri"], "cloudreve://my/up/file%20one.bin");
    assert_eq!(s["callback_secret"].as_str().unwrap().len(), 32);
    assert!(s["expires"].as_i64().unwrap() > chrono::Utc::now().timestamp());
    assert_eq!(s["storage_policy"]["type"], "local");
    assert!(s.get("encrypt_metadata").is_none());
    assert_eq!(env.sb.active_upload_sessions(), 1);

    // Placeholder is visible at once.
    let l = env.list("cloudreve://my/up", "").await;
    let f = &l["data"]["files"][0];
    assert_eq!(f["name"], "file one.bin");
    assert_eq!(f["size"], 0);
    assert_eq!(f["metadata"]["sys:upload_session_id"], sid.as_str());

    // Second upload to the path: new file → 40004, overwrite → 40073 lock conflict.
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/up/file one.bin", "size": 3}),
        )
        .await;
    assert_eq!(v["code"], 40004);
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/up/file one.bin", "size": 3, "entity_type": "version"}),
        )
        .await;
    assert_eq!(v["code"], 40073);
    assert_eq!(v["data"][0]["owner"]["application"]["type"], "upload");

    // Exact Content-Length rule.
    let v = env.chunk(&sid, 0, data[..1000].to_vec()).await;
    assert_eq!(v["code"], 40013);
    assert_eq!(v["msg"], "Invalid Content-Length (expected: 1024)");
    let v = env.chunk(&sid, 2, data[2048..2400].to_vec()).await;
    assert_eq!(v["msg"], "Invalid Content-Length (expected: 452)");
    let v = env.chunk(&sid, 3, vec![0; 10]).await;
    assert_eq!(v["code"], 40012);

    // Out of order, with an idempotent re-send; completes on the last missing chunk.
    assert_eq!(
        env.chunk(&sid, 2, data[2048..].to_vec()).await,
        json!({"code": 0, "msg": ""})
    );
    assert_eq!(env.chunk(&sid, 0, data[..1024].to_vec()).await["code"], 0);
    assert_eq!(env.chunk(&sid, 0, data[..1024].to_vec()).await["code"], 0);
    let mid = env.list("cloudreve://my/up", "").await;
    assert_eq!(mid["data"]["files"][0]["size"], 0, "not complete yet");
    assert_eq!(
        env.chunk(&sid, 1, data[1024..2048].to_vec()).await["code"],
        0
    );

    let l = env.list("cloudreve://my/up", "").await;
    let f = &l["data"]["files"][0];
    assert_eq!(f["size"], 2500);
    assert!(f["metadata"].get("sys:upload_session_id").is_none());
    let updated = chrono::DateTime::parse_from_rfc3339(f["updated_at"].as_str().unwrap()).unwrap();
    assert_eq!(updated.timestamp(), 1_700_000_000);
    assert_eq!(env.sb.active_upload_sessions(), 0);
    assert_eq!(env.download("cloudreve://my/up/file%20one.bin").await, data);
    // The session is gone after completion.
    assert_eq!(
        env.chunk(&sid, 0, data[..1024].to_vec()).await["code"],
        40011
    );

    // Overwrite as a new version with `previous`; a stale `previous` is 40076.
    let prev = f["primary_entity"].as_str().unwrap().to_string();
    let s2 = session(&env, json!({"uri": "cloudreve://my/up/file one.bin", "size": 5, "entity_type": "version", "previous": prev})).await;
    assert_eq!(
        env.chunk(s2["session_id"].as_str().unwrap(), 0, b"hello".to_vec())
            .await["code"],
        0
    );
    assert_eq!(
        env.download("cloudreve://my/up/file%20one.bin").await,
        b"hello"
    );
    let v = env
        .put("/file/upload", json!({"uri": "cloudreve://my/up/file one.bin", "size": 1, "entity_type": "version", "previous": prev}))
        .await;
    assert_eq!(v["code"], 40076);
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/up/bad|name", "size": 1}),
        )
        .await;
    assert_eq!(v["code"], 40052);
}

#[tokio::test]
async fn zero_byte_upload_needs_one_empty_chunk() {
    let env = demo(small_chunks()).await;
    let s = session(&env, json!({"uri": "cloudreve://my/empty.txt", "size": 0})).await;
    let sid = s["session_id"].as_str().unwrap();
    assert_eq!(env.sb.active_upload_sessions(), 1);
    assert_eq!(env.chunk(sid, 1, vec![]).await["code"], 40012);
    assert_eq!(env.chunk(sid, 0, vec![]).await["code"], 0);
    assert_eq!(env.sb.active_upload_sessions(), 0);
    let info = env
        .get(&format!(
            "/file/info?uri={}",
            enc("cloudreve://my/empty.txt")
        ))
        .await;
    assert!(
        info["data"]["metadata"]
            .get("sys:upload_session_id")
            .is_none()
    );
    assert_eq!(env.download("cloudreve://my/empty.txt").await, b"");
}

#[tokio::test]
async fn cancel_removes_placeholder() {
    let env = demo(small_chunks()).await;
    let s = session(
        &env,
        json!({"uri": "cloudreve://my/cancel me.bin", "size": 2000}),
    )
    .await;
    let sid = s["session_id"].as_str().unwrap();
    assert_eq!(env.chunk(sid, 0, vec![1; 1024]).await["code"], 0);
    let used = env.get("/user/capacity").await["data"]["used"]
        .as_u64()
        .unwrap();
    let wrong = env
        .delete(
            "/file/upload",
            json!({"id": sid, "uri": "cloudreve://my/Welcome.txt"}),
        )
        .await;
    assert_eq!(wrong["code"], 404);
    let v = env
        .delete(
            "/file/upload",
            json!({"id": sid, "uri": "cloudreve://my/cancel%20me.bin"}),
        )
        .await;
    assert_eq!(v, json!({"code": 0, "msg": ""}));
    assert_eq!(env.sb.active_upload_sessions(), 0);
    let names = Env::names(&env.list("cloudreve://my", "").await);
    assert!(!names.contains(&"cancel me.bin".to_string()));
    assert_eq!(env.get("/user/capacity").await["data"]["used"], used - 2000);
    assert_eq!(env.chunk(sid, 1, vec![1; 976]).await["code"], 40011);
}

#[tokio::test]
async fn expired_session_is_40011() {
    let env = demo(SandboxConfig {
        upload_session_ttl: Duration::from_secs(1),
        ..small_chunks()
    })
    .await;
    let s = session(&env, json!({"uri": "cloudreve://my/slow.bin", "size": 10})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(env.sb.active_upload_sessions(), 0);
    let v = env
        .chunk(s["session_id"].as_str().unwrap(), 0, vec![0; 10])
        .await;
    assert_eq!(v["code"], 40011);
    assert!(is_uuid(&v["correlation_id"]));
}

#[tokio::test]
async fn anonymous_or_foreign_chunk_is_40011() {
    let mut env = demo(small_chunks()).await;
    let s = session(&env, json!({"uri": "cloudreve://my/mine.bin", "size": 10})).await;
    let token = env.token.take();
    assert_eq!(
        env.chunk(s["session_id"].as_str().unwrap(), 0, vec![0; 10])
            .await["code"],
        40011
    );
    env.token = token;
    assert_eq!(
        env.chunk(s["session_id"].as_str().unwrap(), 0, vec![0; 10])
            .await["code"],
        0
    );
}

#[tokio::test]
async fn max_size_is_enforced() {
    let env = demo(SandboxConfig::default()).await;
    env.sb.set_max_file_size(100);
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/huge.bin", "size": 101}),
        )
        .await;
    assert_eq!(v["code"], 40049);
    let l = env.list("cloudreve://my", "").await;
    assert_eq!(l["data"]["storage_policy"]["max_size"], 100);
}

#[tokio::test]
async fn encrypted_upload_is_decrypted_on_download() {
    use aes::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
    use base64::Engine;
    type Ctr = ctr::Ctr128BE<aes::Aes256>;
    let b64 = base64::engine::general_purpose::STANDARD;

    let env = demo(SandboxConfig {
        encryption: true,
        ..small_chunks()
    })
    .await;
    let l = env.list("cloudreve://my", "").await;
    assert_eq!(l["data"]["storage_policy"]["encryption"], true);
    let plain = pattern(3000);
    let s = session(
        &env,
        json!({"uri": "cloudreve://my/secret.bin", "size": 3000, "encryption_supported": ["aes-256-ctr"]}),
    )
    .await;
    let meta = &s["encrypt_metadata"];
    assert_eq!(meta["algorithm"], "aes-256-ctr");
    assert!(meta["key"].is_null());
    let key = b64
        .decode(meta["key_plain_text"].as_str().unwrap())
        .unwrap();
    let iv = b64.decode(meta["iv"].as_str().unwrap()).unwrap();
    assert_eq!((key.len(), iv.len()), (32, 16));

    // Encrypt each chunk independently at its offset, send them out of order.
    let sid = s["session_id"].as_str().unwrap();
    for idx in [2u64, 0, 1] {
        let start = (idx * 1024) as usize;
        let end = (start + 1024).min(plain.len());
        let mut c = Ctr::new(key.as_slice().into(), iv.as_slice().into());
        c.seek(start as u64);
        let mut buf = plain[start..end].to_vec();
        c.apply_keystream(&mut buf);
        assert_eq!(env.chunk(sid, idx, buf).await["code"], 0);
    }
    assert_eq!(env.download("cloudreve://my/secret.bin").await, plain);

    // Ranged read at an unaligned offset is decrypted correctly.
    let url = env.url_of("cloudreve://my/secret.bin", false).await;
    let r = env
        .http
        .get(&url)
        .header("Range", "bytes=1037-2100")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 1037-2100/3000");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &plain[1037..=2100]);

    // The entity reports its encryption.
    let info = env
        .get(&format!(
            "/file/info?uri={}&extended=true",
            enc("cloudreve://my/secret.bin")
        ))
        .await;
    assert_eq!(
        info["data"]["extended_info"]["entities"][0]["encrypted_with"],
        "aes-256-ctr"
    );

    // Without encryption_supported the file is stored in the clear.
    let s = session(&env, json!({"uri": "cloudreve://my/clear.bin", "size": 4})).await;
    assert!(s.get("encrypt_metadata").is_none());
    env.chunk(s["session_id"].as_str().unwrap(), 0, b"abcd".to_vec())
        .await;
    assert_eq!(env.download("cloudreve://my/clear.bin").await, b"abcd");
}

#[tokio::test]
async fn ranged_download_and_signed_urls() {
    let env = demo(SandboxConfig::default()).await;
    let data = pattern(1000);
    let w = env.write("cloudreve://my/r 🎉.bin", &data).await;
    assert_eq!(w["code"], 0, "{w}");
    let v = env
        .post(
            "/file/url",
            json!({"uris": ["cloudreve://my/r%20%F0%9F%8E%89.bin"], "download": true}),
        )
        .await;
    let url = v["data"]["urls"][0]["url"].as_str().unwrap().to_string();
    assert!(
        url.contains("/api/v4/file/content/")
            && url.contains("download=true")
            && url.contains("sign="),
        "{url}"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(v["data"]["expires"].as_str().unwrap()).is_ok());

    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["accept-ranges"], "bytes");
    assert!(h["etag"].to_str().unwrap().starts_with('"'));
    let disp = h["content-disposition"].to_str().unwrap();
    assert!(
        disp.starts_with("attachment;") && disp.contains("filename*=UTF-8''r%20%F0%9F%8E%89.bin"),
        "{disp}"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[..]);

    let r = env
        .http
        .get(&url)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/1000");
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[10..20]);
    let r = env
        .http
        .get(&url)
        .header("Range", "bytes=-5")
        .send()
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), &data[995..]);
    let r = env
        .http
        .get(&url)
        .header("Range", "bytes=1000-")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 416);
    assert_eq!(r.headers()["content-range"], "bytes */1000");
    let r = env
        .http
        .get(&url)
        .header("If-None-Match", h["etag"].clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // Tampered signature → 40071 envelope with HTTP 200.
    let bad = url.replace("sign=", "sign=x");
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

    // Folders have no entity; missing files are aggregated.
    let v = env
        .post("/file/url", json!({"uris": ["cloudreve://my/Documents"]}))
        .await;
    assert_eq!(v["code"], 40081);
    assert_eq!(
        v["aggregated_error"]["cloudreve://my/Documents"]["code"],
        40077
    );
    let v = env
        .post("/file/url", json!({"uris": ["cloudreve://my/nope", "cloudreve://my/Welcome.txt"], "skip_error": true}))
        .await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["data"]["urls"][0]["url"], "");
    assert!(!v["data"]["urls"][1]["url"].as_str().unwrap().is_empty());

    // Redirect mode.
    let r = env
        .req(reqwest::Method::POST, "/file/url")
        .json(&json!({"uris": ["cloudreve://my/Welcome.txt"], "redirect": true}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
}

#[tokio::test]
async fn put_content_versions_and_limits() {
    let env = demo(SandboxConfig::default()).await;
    let v = env.write("cloudreve://my/notes/edit.txt", b"v1").await;
    assert_eq!(v["code"], 0);
    let prev = v["data"]["primary_entity"].as_str().unwrap().to_string();
    let r = env
        .req(
            reqwest::Method::PUT,
            &format!(
                "/file/content?uri={}&previous={}",
                enc("cloudreve://my/notes/edit.txt"),
                prev
            ),
        )
        .body("v2")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 0);
    let r = env
        .req(
            reqwest::Method::PUT,
            &format!(
                "/file/content?uri={}&previous={}",
                enc("cloudreve://my/notes/edit.txt"),
                prev
            ),
        )
        .body("v3")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 40076);
    assert_eq!(v["msg"], "File is updated during your edit");
    assert_eq!(env.download("cloudreve://my/notes/edit.txt").await, b"v2");
    let big = vec![0u8; 50 * 1024 * 1024 + 1];
    let v = env.write("cloudreve://my/notes/big.bin", &big).await;
    assert_eq!(v["code"], 40049);
    // Bad entity id kind → 40001.
    let file_id = env
        .get(&format!(
            "/file/info?uri={}",
            enc("cloudreve://my/notes/edit.txt")
        ))
        .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = env
        .req(
            reqwest::Method::PUT,
            &format!(
                "/file/content?uri={}&previous={}",
                enc("cloudreve://my/notes/edit.txt"),
                file_id
            ),
        )
        .body("x")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 40001);
    assert_eq!(v["msg"], "Failed to parse object ID");
}
