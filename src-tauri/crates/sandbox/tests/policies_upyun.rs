//! Upyun policy: one `multipart/form-data` POST to `upload_urls[0]` with `policy`,
//! `authorization` (the session's `upload_policy` and `credential`) and the file last, as
//! the official client sends it; the service notifies the master, which completes the
//! upload. Plus signature checks on both hops, size limits, faults and the policy's file
//! encryption switch.

mod policies_common;

use cirrus_sandbox::faults::{FaultConfig, FaultKind, FaultTarget, decide_pure};
use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

/// The client's form body, hand-built so the bytes on the wire are exactly these.
fn form(policy: &str, auth: &str, mime: &str, file: &[u8]) -> (String, Vec<u8>) {
    let b = "cirrusBoundary7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (k, v) in [
        ("policy", policy),
        ("authorization", auth),
        ("content-type", mime),
    ] {
        body.extend(
            format!("--{b}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend(
        format!(
            "--{b}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend(file);
    body.extend(format!("\r\n--{b}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={b}"), body)
}

async fn upload(
    env: &Env,
    s: &Value,
    auth: &str,
    file: &[u8],
) -> Result<reqwest::Response, reqwest::Error> {
    let (ct, body) = form(
        s["upload_policy"].as_str().unwrap(),
        auth,
        s["mime_type"].as_str().unwrap(),
        file,
    );
    env.http
        .post(s["upload_urls"][0].as_str().unwrap())
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
}

#[tokio::test]
async fn form_upload_notify_and_download() {
    let env = env_with(PolicyKind::Upyun, 1024, false).await;
    let data = pattern(700_001);
    let s = create_session(&env, "cloudreve://my/u/a.bin", data.len(), json!({})).await;
    assert_eq!(s["storage_policy"]["type"], "upyun");
    let cred = s["credential"].as_str().unwrap();
    assert!(cred.starts_with("UPYUN "), "{cred}");
    // A forged authorization is refused and stores nothing.
    let r = upload(&env, &s, "UPYUN op:AAAA", &data).await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(entry(&env, "cloudreve://my/u", "a.bin").await["size"], 0);
    // A larger file than declared is refused by the policy's length range.
    let mut big = data.clone();
    big.push(1);
    assert_eq!(upload(&env, &s, cred, &big).await.unwrap().status(), 400);
    let r = upload(&env, &s, cred, &data).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["code"], 200, "{v}");
    // The notify call completed the upload before the answer.
    assert_eq!(
        entry(&env, "cloudreve://my/u", "a.bin").await["size"],
        data.len()
    );
    let dl = env.url_of("cloudreve://my/u/a.bin", false).await;
    assert!(dl.contains("_upt="), "{dl}");
    assert_eq!(
        sha(&fetch(&env, "cloudreve://my/u/a.bin").await),
        sha(&data)
    );
    let r = env
        .http
        .get(&dl)
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().to_vec(), data[10..20]);
    let bad = dl.replace("_upt=", "_upt=0");
    assert_eq!(env.http.get(&bad).send().await.unwrap().status(), 403);

    // Empty files.
    let s = create_session(&env, "cloudreve://my/u/empty.bin", 0, json!({})).await;
    let r = upload(&env, &s, s["credential"].as_str().unwrap(), &[])
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(fetch(&env, "cloudreve://my/u/empty.bin").await.is_empty());
}

#[tokio::test]
async fn forged_notify_calls_are_refused() {
    let env = env_with(PolicyKind::Upyun, 1024, false).await;
    let s = create_session(&env, "cloudreve://my/n.bin", 10, json!({})).await;
    let sid = s["session_id"].as_str().unwrap();
    let body = "code=200&message=ok&url=%2Fx";
    let r = env
        .http
        .post(env.api(&format!("/callback/upyun/{sid}/wrong")))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 40020);
    let r = env
        .http
        .post(env.api(&format!(
            "/callback/upyun/{sid}/{}",
            s["callback_secret"].as_str().unwrap()
        )))
        .header("Date", "Sun, 22 Nov 2026 00:00:00 GMT")
        .header("Content-MD5", "00")
        .header("Authorization", "UPYUN op:AAAA")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "Failed to verify callback request."})
    );
    assert_eq!(entry(&env, "cloudreve://my", "n.bin").await["size"], 0);
}

#[tokio::test]
async fn a_faulty_form_upload_is_retried_and_completes() {
    let env = env_with(PolicyKind::Upyun, 1024, false).await;
    let mut cfg = FaultConfig {
        part_fail_rate: 0.6,
        kinds: vec![FaultKind::ServerError, FaultKind::Drop],
        ..FaultConfig::default()
    };
    // A seed whose first upload attempt fails, so the retry path is exercised.
    cfg.seed = (0..)
        .find(|s| {
            decide_pure(
                &FaultConfig {
                    seed: *s,
                    ..cfg.clone()
                },
                FaultTarget::Part,
                0,
            )
            .is_some()
        })
        .unwrap();
    env.sb.set_faults(cfg);
    let data = pattern(300_000);
    let s = create_session(&env, "cloudreve://my/f.bin", data.len(), json!({})).await;
    let cred = s["credential"].as_str().unwrap();
    let mut failures = 0;
    loop {
        match upload(&env, &s, cred, &data).await {
            Ok(r) if r.status() == 200 => break,
            Ok(r) => assert!(r.status().is_server_error(), "{}", r.status()),
            Err(_) => {}
        }
        failures += 1;
        assert!(failures < 30);
    }
    let st = env.sb.fault_stats();
    assert!(
        failures > 0 && failures == st.events.len(),
        "{failures} {st:?}"
    );
    assert!(st.events.iter().all(|e| e.target == FaultTarget::Part));
    env.sb.set_faults(FaultConfig::default());
    assert_eq!(sha(&fetch(&env, "cloudreve://my/f.bin").await), sha(&data));
}

#[tokio::test]
async fn an_encrypting_policy_takes_a_ciphertext_form_upload_and_serves_plaintext() {
    let env = env_with(PolicyKind::Upyun, 1024, false).await;
    let offer = json!({"encryption_supported": ["aes-256-ctr"]});
    let s = create_session(&env, "cloudreve://my/plain.bin", 10, offer.clone()).await;
    assert!(s["encrypt_metadata"].is_null(), "{s}");
    env.sb
        .set_policy_encryption(PolicyKind::Upyun, true)
        .unwrap();
    let data = pattern(70_001);
    let s = create_session(&env, "cloudreve://my/enc.bin", data.len(), offer).await;
    let meta = &s["encrypt_metadata"];
    assert_eq!(meta["algorithm"], "aes-256-ctr", "{s}");
    let cred = s["credential"].as_str().unwrap();
    let r = upload(&env, &s, cred, &ctr_apply(meta, &data))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let dl = env.url_of("cloudreve://my/enc.bin", false).await;
    assert!(dl.starts_with(&env.sb.base_url()), "{dl}");
    assert_eq!(
        sha(&fetch(&env, "cloudreve://my/enc.bin").await),
        sha(&data)
    );
}
