//! OSS policy: presigned parts, completion the way the official client does it (empty body,
//! `x-oss-complete-all: yes`, `x-oss-forbid-overwrite: true`, both signed into the URL), the
//! store's own signed callback to the master whose answer becomes the completion response,
//! and the master's checks of that callback (secret, signature, declared size).

mod policies_common;

use cirrus_sandbox::faults::{FaultConfig, FaultTarget};
use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

const PART: usize = 5 << 20;

/// PUT parts `0..count` (retrying injected failures); returns the failed attempts.
async fn put_parts(env: &Env, s: &Value, data: &[u8], count: usize) -> usize {
    let urls = s["upload_urls"].as_array().unwrap();
    let mut failures = 0;
    for (i, (a, b)) in chunks(data.len(), PART).into_iter().take(count).enumerate() {
        loop {
            let r = env
                .http
                .put(urls[i].as_str().unwrap())
                .header("Content-Type", "application/octet-stream")
                .body(data[a..b].to_vec())
                .send()
                .await;
            match r {
                Ok(r) if r.status() == 200 => break,
                Ok(r) => assert!(
                    r.status() == 429 || r.status().is_server_error(),
                    "part {i}: {}",
                    r.status()
                ),
                Err(_) => {}
            }
            failures += 1;
            assert!(failures < 50);
        }
    }
    failures
}

/// The web client's completion request.
async fn complete_all(env: &Env, s: &Value) -> reqwest::Response {
    env.http
        .post(s["completeURL"].as_str().unwrap())
        .header("Content-Type", "application/octet-stream")
        .header("x-oss-forbid-overwrite", "true")
        .header("x-oss-complete-all", "yes")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn multipart_upload_storage_callback_and_download() {
    let env = env_with(PolicyKind::Oss, 1024, false).await;
    let data = pattern(2 * PART + 4321);
    let s = create_session(&env, "cloudreve://my/oss/big.bin", data.len(), json!({})).await;
    assert_eq!(s["storage_policy"]["type"], "oss");
    assert_eq!(s["chunk_size"], PART);
    assert_eq!(s["upload_urls"].as_array().unwrap().len(), 3);
    assert!(!s["upload_id"].as_str().unwrap().is_empty());
    let complete = s["completeURL"].as_str().unwrap();
    assert!(complete.contains("callback="), "{complete}");
    assert!(complete.contains("x-oss-complete-all"), "{complete}");
    assert_eq!(put_parts(&env, &s, &data, 3).await, 0);
    // Not visible as complete before the store's callback.
    assert_eq!(
        entry(&env, "cloudreve://my/oss", "big.bin").await["size"],
        0
    );
    let r = complete_all(&env, &s).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The completion answer is the master's answer to the storage callback.
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"code": 0, "msg": ""}));
    assert_eq!(
        entry(&env, "cloudreve://my/oss", "big.bin").await["size"],
        data.len()
    );
    let dl = env.url_of("cloudreve://my/oss/big.bin", true).await;
    assert!(!dl.starts_with(&env.sb.base_url()), "{dl}");
    let r = env.http.get(&dl).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&data));
    let r = env
        .http
        .get(&dl)
        .header("Range", "bytes=5242870-5242889")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        data[5_242_870..5_242_890]
    );

    // Empty files: one empty part, then the same completion.
    let s = create_session(&env, "cloudreve://my/oss/empty.bin", 0, json!({})).await;
    assert_eq!(put_parts(&env, &s, &[], 1).await, 0);
    let r = complete_all(&env, &s).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 0);
    assert!(fetch(&env, "cloudreve://my/oss/empty.bin").await.is_empty());
}

#[tokio::test]
async fn completion_and_callback_checks() {
    let env = env_with(PolicyKind::Oss, 1024, false).await;
    let data = pattern(PART + 10);
    let s = create_session(&env, "cloudreve://my/c.bin", data.len(), json!({})).await;
    let sid = s["session_id"].as_str().unwrap();
    let secret = s["callback_secret"].as_str().unwrap();
    put_parts(&env, &s, &data, 2).await;
    // The OSS headers are signed: an S3-style completion without them is refused.
    let r = env
        .http
        .post(s["completeURL"].as_str().unwrap())
        .header("Content-Type", "application/octet-stream")
        .body("<CompleteMultipartUpload></CompleteMultipartUpload>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Complete-all with a body is an OSS argument error.
    let r = env
        .http
        .post(s["completeURL"].as_str().unwrap())
        .header("Content-Type", "application/octet-stream")
        .header("x-oss-forbid-overwrite", "true")
        .header("x-oss-complete-all", "yes")
        .body("<CompleteMultipartUpload/>")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("InvalidArgument"));
    // Callbacks not coming from the store: wrong secret, then no signature.
    let body = json!({"name": "", "source_name": "x", "size": data.len(), "pic_info": ","});
    let r = env
        .http
        .post(env.api(&format!("/callback/oss/{sid}/wrong")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 40020);
    let r = env
        .http
        .post(env.api(&format!("/callback/oss/{sid}/{secret}")))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "Failed to verify callback request."})
    );
    assert_eq!(entry(&env, "cloudreve://my", "c.bin").await["size"], 0);
    // The real completion works afterwards.
    let r = complete_all(&env, &s).await;
    assert_eq!(r.status(), 200);
    assert_eq!(sha(&fetch(&env, "cloudreve://my/c.bin").await), sha(&data));
}

#[tokio::test]
async fn a_short_object_fails_the_callback_with_203() {
    let env = env_with(PolicyKind::Oss, 1024, false).await;
    let data = pattern(PART + 10);
    let s = create_session(&env, "cloudreve://my/s.bin", data.len(), json!({})).await;
    // Only the first part: complete-all builds a 5 MiB object, the session says 5 MiB + 10.
    put_parts(&env, &s, &data, 1).await;
    let r = complete_all(&env, &s).await;
    assert_eq!(r.status(), 203, "OSS reports a failed callback with 203");
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "size mismatch"})
    );
    assert_eq!(entry(&env, "cloudreve://my", "s.bin").await["size"], 0);
}

#[tokio::test]
async fn faulty_part_uploads_are_retried_and_the_data_stays_intact() {
    let env = env_with(PolicyKind::Oss, 1024, false).await;
    env.sb.set_faults(flaky_parts(9));
    let data = pattern(3 * PART + 99);
    let s = create_session(&env, "cloudreve://my/f.bin", data.len(), json!({})).await;
    let failures = put_parts(&env, &s, &data, 4).await;
    let st = env.sb.fault_stats();
    assert!(
        failures > 0 && failures == st.events.len(),
        "{failures} {st:?}"
    );
    assert!(st.events.iter().all(|e| e.target == FaultTarget::Part));
    let r = complete_all(&env, &s).await;
    assert_eq!(r.status(), 200);
    env.sb.set_faults(FaultConfig::default());
    assert_eq!(sha(&fetch(&env, "cloudreve://my/f.bin").await), sha(&data));
}
