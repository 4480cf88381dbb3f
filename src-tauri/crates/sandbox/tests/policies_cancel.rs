//! Cancelling an upload (`DELETE /file/upload`) also cancels the provider side, like the
//! drivers' `CancelToken`: the S3 multipart upload is aborted and the slave node forgets its
//! session. (OneDrive is covered in `policies_onedrive.rs`.) Also: a simulated restart cuts
//! connections to the storage listeners too.

mod policies_common;

use cirrus_sandbox::faults::{FaultConfig, FaultKind};
use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

async fn cancel(env: &Env, s: &Value, uri: &str) {
    let v = env
        .delete("/file/upload", json!({"id": s["session_id"], "uri": uri}))
        .await;
    assert_eq!(v["code"], 0, "{v}");
}

#[tokio::test]
async fn cancel_aborts_the_s3_multipart_upload() {
    let env = env_with(PolicyKind::S3, 1024, false).await;
    let part = 5usize << 20;
    let data = pattern(part + 10);
    let s = create_session(&env, "cloudreve://my/c.bin", data.len(), json!({})).await;
    let urls = s["upload_urls"].as_array().unwrap();
    let r = env
        .http
        .put(urls[0].as_str().unwrap())
        .body(data[..part].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    cancel(&env, &s, "cloudreve://my/c.bin").await;
    // The upload id is gone: further parts are refused by the store.
    let r = env
        .http
        .put(urls[1].as_str().unwrap())
        .body(data[part..].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("NoSuchUpload"));
    assert!(entry(&env, "cloudreve://my", "c.bin").await.is_null());
}

#[tokio::test]
async fn cancel_removes_the_slave_session() {
    let env = env_with(PolicyKind::Remote, 1024, false).await;
    let data = pattern(2000);
    let s = create_session(&env, "cloudreve://my/r.bin", data.len(), json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    let cred = s["credential"].as_str().unwrap();
    let post = |i: usize, body: Vec<u8>| {
        env.http
            .post(format!("{url}?chunk={i}"))
            .header("Authorization", cred)
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
    };
    let v: Value = post(0, data[..1024].to_vec())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 0, "{v}");
    cancel(&env, &s, "cloudreve://my/r.bin").await;
    let v: Value = post(1, data[1024..].to_vec())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 40011, "{v}");
}

#[tokio::test]
async fn restarts_and_drops_reach_the_storage_listeners() {
    let env = env_with(PolicyKind::S3, 1024, false).await;
    let part = 5usize << 20;
    let data = pattern(part);
    let s = create_session(&env, "cloudreve://my/d.bin", data.len(), json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    // A stalled part upload hangs until the simulated restart cuts its connection.
    env.sb.set_faults(FaultConfig {
        seed: 3,
        part_fail_rate: 1.0,
        kinds: vec![FaultKind::Stall],
        stall: std::time::Duration::from_secs(30),
        ..FaultConfig::default()
    });
    let req = env.http.put(url).body(data.clone()).send();
    let cut = async {
        while env.sb.fault_stats().stalls == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        env.sb.restart_connections();
    };
    let (r, ()) = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        tokio::join!(req, cut)
    })
    .await
    .expect("the restart ends the stalled request");
    assert!(r.is_err(), "{r:?}");
    assert!(env.sb.fault_stats().connections_cut >= 1);
    env.sb.set_faults(FaultConfig::default());
    let r = env.http.put(url).body(data).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
