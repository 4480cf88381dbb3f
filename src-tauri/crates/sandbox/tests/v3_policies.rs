//! Cloudreve 3.8.3 upload flows of the remote policies, end to end against the shared policy
//! stores: slave node, OneDrive, S3, OSS, Qiniu, Upyun and COS (one signed form POST).

mod v3_common;

use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::policy::PolicyKind;
use reqwest::Method;
use serde_json::{Value, json};
use v3_common::{V3Env, demo};

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

async fn env(kind: PolicyKind, chunk_size: u64) -> V3Env {
    demo(SandboxConfig {
        policy: kind,
        chunk_size,
        ..Default::default()
    })
    .await
}

/// Create the session of `name` in `/` and check the policy type of the listing.
async fn session(env: &mut V3Env, ty: &str, name: &str, size: usize) -> Value {
    let l = env.list("/").await;
    assert_eq!(l["data"]["policy"]["type"], ty, "{l}");
    let v = env.session("/", name, size as u64).await;
    assert_eq!(v["code"], 0, "{v}");
    let s = v["data"].clone();
    assert!(s["sessionID"].is_string() && s["expires"].is_i64(), "{s}");
    assert!(s.get("upload_urls").is_none(), "camelCase only: {s}");
    s
}

/// The file is listed only now and downloads intact (through the provider's URL).
async fn check_done(env: &mut V3Env, name: &str, data: &[u8]) {
    assert_eq!(env.sb.active_upload_sessions(), 0);
    let o = env
        .object("/", name)
        .await
        .expect("listed after completion");
    assert_eq!(o["size"], data.len());
    assert_eq!(env.download("/", name).await, data);
}

#[tokio::test]
async fn remote_slave_chunks_with_the_credential() {
    let mut env = env(PolicyKind::Remote, 1000).await;
    let data = pattern(2500);
    let s = session(&mut env, "remote", "r.bin", data.len()).await;
    assert_eq!(s["chunkSize"], 1000);
    let url = s["uploadURLs"][0].as_str().unwrap().to_string();
    let cred = s["credential"].as_str().unwrap().to_string();
    for (i, part) in data.chunks(1000).enumerate() {
        assert!(
            env.object("/", "r.bin").await.is_none(),
            "hidden until done"
        );
        let v: Value = env
            .http
            .post(format!("{url}?chunk={i}"))
            .header("Authorization", &cred)
            .header("Content-Type", "application/octet-stream")
            .body(part.to_vec())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["code"], 0, "chunk {i}: {v}");
    }
    check_done(&mut env, "r.bin", &data).await;
}

#[tokio::test]
async fn onedrive_ranges_then_finish_callback() {
    let mut env = env(PolicyKind::OneDrive, 327_680).await;
    let data = pattern(700_000);
    let s = session(&mut env, "onedrive", "o.bin", data.len()).await;
    let cs = s["chunkSize"].as_u64().unwrap() as usize;
    let url = s["uploadURLs"][0].as_str().unwrap().to_string();
    let sid = s["sessionID"].as_str().unwrap().to_string();
    // Finishing early fails.
    let v = env
        .post(&format!("/callback/onedrive/finish/{sid}"), json!({}))
        .await;
    assert_ne!(v["code"], 0, "{v}");
    let mut start = 0;
    while start < data.len() {
        let end = (start + cs).min(data.len());
        let r = env
            .http
            .put(&url)
            .header(
                "Content-Range",
                format!("bytes {start}-{}/{}", end - 1, data.len()),
            )
            .body(data[start..end].to_vec())
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        start = end;
    }
    let v = env
        .post(&format!("/callback/onedrive/finish/{sid}"), json!({}))
        .await;
    assert_eq!(v["code"], 0, "{v}");
    check_done(&mut env, "o.bin", &data).await;
}

#[tokio::test]
async fn s3_presigned_parts_complete_and_callback() {
    let mut env = env(PolicyKind::S3, 5 << 20).await;
    let data = pattern((5 << 20) + 1000);
    let s = session(&mut env, "s3", "s.bin", data.len()).await;
    let cs = s["chunkSize"].as_u64().unwrap() as usize;
    let urls = s["uploadURLs"].as_array().unwrap().clone();
    assert_eq!(urls.len(), 2);
    assert!(s["uploadID"].is_string());
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, part) in data.chunks(cs).enumerate() {
        let r = env
            .http
            .put(urls[i].as_str().unwrap())
            .body(part.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        xml += &format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
            i + 1
        );
    }
    xml += "</CompleteMultipartUpload>";
    let r = env
        .http
        .post(s["completeURL"].as_str().unwrap())
        .body(xml)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let sid = s["sessionID"].as_str().unwrap();
    let v = env.get(&format!("/callback/s3/{sid}")).await;
    assert_eq!(v["code"], 0, "{v}");
    check_done(&mut env, "s.bin", &data).await;
}

#[tokio::test]
async fn oss_parts_then_complete_all_calls_back() {
    let mut env = env(PolicyKind::Oss, 100 << 10).await;
    let data = pattern(250 << 10);
    let s = session(&mut env, "oss", "a.bin", data.len()).await;
    let cs = s["chunkSize"].as_u64().unwrap() as usize;
    let urls = s["uploadURLs"].as_array().unwrap().clone();
    for (i, part) in data.chunks(cs).enumerate() {
        let r = env
            .http
            .put(urls[i].as_str().unwrap())
            .header("Content-Type", "application/octet-stream")
            .body(part.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "part {i}");
    }
    let r = env
        .http
        .post(s["completeURL"].as_str().unwrap())
        .header("Content-Type", "application/octet-stream")
        .header("x-oss-forbid-overwrite", "true")
        .header("x-oss-complete-all", "yes")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    check_done(&mut env, "a.bin", &data).await;
}

#[tokio::test]
async fn qiniu_parts_then_finish_calls_back() {
    let mut env = env(PolicyKind::Qiniu, 1 << 20).await;
    let data = pattern((1 << 20) + 77);
    let s = session(&mut env, "qiniu", "q.bin", data.len()).await;
    let cs = s["chunkSize"].as_u64().unwrap() as usize;
    let url = s["uploadURLs"][0].as_str().unwrap().to_string();
    let token = s["credential"].as_str().unwrap().to_string();
    let mut parts = Vec::new();
    for (i, part) in data.chunks(cs).enumerate() {
        let r = env
            .http
            .put(format!("{url}/{}", i + 1))
            .header("Content-Type", "application/octet-stream")
            .header("Authorization", format!("UpToken {token}"))
            .body(part.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        parts.push(json!({"etag": v["etag"], "partNumber": i + 1}));
    }
    let r = env
        .http
        .post(&url)
        .header("Authorization", format!("UpToken {token}"))
        .json(&json!({"parts": parts}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    check_done(&mut env, "q.bin", &data).await;
}

#[tokio::test]
async fn upyun_form_post_calls_back() {
    let mut env = env(PolicyKind::Upyun, 0).await;
    let data = pattern(300_001);
    let s = session(&mut env, "upyun", "u.bin", data.len()).await;
    let b = "cirrusV3Boundary";
    let mut body = Vec::new();
    for (k, v) in [
        ("policy", s["policy"].as_str().unwrap()),
        ("authorization", s["credential"].as_str().unwrap()),
    ] {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"u.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(&data);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    let r = env
        .http
        .post(s["uploadURLs"][0].as_str().unwrap())
        .header("Content-Type", format!("multipart/form-data; boundary={b}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    check_done(&mut env, "u.bin", &data).await;
}

/// A COS form body: the session's signed fields (with `overrides`), then the file last.
fn cos_form(s: &Value, data: &[u8], overrides: &[(&str, &str)]) -> (String, Vec<u8>) {
    let b = "cirrusCosBoundary";
    let sid = s["sessionID"].as_str().unwrap();
    let mut fields = vec![
        ("policy", s["policy"].as_str().unwrap()),
        ("key", s["path"].as_str().unwrap()),
        ("x-cos-meta-callback", s["callback"].as_str().unwrap()),
        ("x-cos-meta-key", sid),
        ("q-sign-algorithm", "sha1"),
        ("q-key-time", s["keyTime"].as_str().unwrap()),
        ("q-ak", s["ak"].as_str().unwrap()),
        ("q-signature", s["credential"].as_str().unwrap()),
        ("name", "c.bin"),
    ];
    for (k, v) in overrides {
        fields.iter_mut().find(|f| f.0 == *k).unwrap().1 = v;
    }
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.bin\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(data);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

#[tokio::test]
async fn cos_signed_form_post_then_callback() {
    let mut env = env(PolicyKind::Cos, 5 << 20).await;
    let data = pattern(700_003);
    let s = session(&mut env, "cos", "c.bin", data.len()).await;
    for k in ["policy", "path", "ak", "keyTime", "credential", "callback"] {
        assert!(s[k].as_str().is_some_and(|v| !v.is_empty()), "{k}: {s}");
    }
    let sid = s["sessionID"].as_str().unwrap();
    assert!(
        s["callback"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v3/callback/cos/{sid}"))
    );
    let url = s["uploadURLs"][0].as_str().unwrap().to_string();
    let http = env.http.clone();
    let post = |(ct, body): (String, Vec<u8>)| {
        http.post(&url).header("Content-Type", ct).body(body).send()
    };
    // A forged signature, or a key the policy does not allow, is refused by the bucket.
    let r = post(cos_form(&s, &data, &[("q-signature", "0000")]))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("SignatureDoesNotMatch"));
    let r = post(cos_form(&s, &data, &[("key", "elsewhere/c.bin")]))
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("Policy Condition failed"));
    // Before the object is stored, the callback cannot complete the session.
    let cb = env.get(&format!("/callback/cos/{sid}")).await;
    assert_ne!(cb["code"], 0, "{cb}");
    let r = post(cos_form(&s, &data, &[])).await.unwrap();
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());
    assert!(
        env.object("/", "c.bin").await.is_none(),
        "hidden until the callback"
    );
    let cb = env.get(&format!("/callback/cos/{sid}")).await;
    assert_eq!(cb["code"], 0, "{cb}");
    check_done(&mut env, "c.bin", &data).await;
}

#[tokio::test]
async fn cancel_reaches_the_provider_and_chunk_endpoint_refuses_remote_sessions() {
    let mut env = env(PolicyKind::S3, 5 << 20).await;
    let s = session(&mut env, "s3", "c.bin", 10).await;
    let sid = s["sessionID"].as_str().unwrap().to_string();
    let v = env.chunk(&sid, 0, vec![0; 10]).await;
    assert_eq!(v["code"], 40006, "{v}");
    let v = env
        .call(Method::DELETE, &format!("/file/upload/{sid}"), None)
        .await;
    assert_eq!(v["code"], 0);
    assert_eq!(env.sb.active_upload_sessions(), 0);
    // Callback auth failures are HTTP 401 with an envelope.
    let r = env
        .http
        .get(env.api(&format!("/callback/s3/{sid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 40011, "{v}");
}
