//! Qiniu policy: resumable-upload v2 as the official client drives it — `PUT
//! {upload_urls[0]}/{n}` with `Authorization: UpToken {credential}`, then `POST
//! {upload_urls[0]}` with the part list — after which the store calls the master back and
//! answers with the master's response. Plus token/signature checks, cancel, faults and the
//! policy's file encryption switch.

mod policies_common;

use cirrus_sandbox::faults::{FaultConfig, FaultTarget};
use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

const PART: usize = 1 << 20;

/// Upload the parts (retrying injected failures) and return `(etags, failed attempts)`.
async fn put_parts(env: &Env, s: &Value, data: &[u8]) -> (Vec<String>, usize) {
    let url = s["upload_urls"][0].as_str().unwrap();
    let token = s["credential"].as_str().unwrap();
    let mut etags = Vec::new();
    let mut failures = 0;
    for (i, (a, b)) in chunks(data.len(), PART).into_iter().enumerate() {
        loop {
            let r = env
                .http
                .put(format!("{url}/{}", i + 1))
                .header("Content-Type", "application/octet-stream")
                .header("Authorization", format!("UpToken {token}"))
                .body(data[a..b].to_vec())
                .send()
                .await;
            if let Ok(r) = r {
                if r.status() == 200 {
                    let v: Value = r.json().await.unwrap();
                    etags.push(v["etag"].as_str().unwrap().to_string());
                    break;
                }
                assert!(
                    r.status() == 429 || r.status().is_server_error(),
                    "{}",
                    r.status()
                );
            }
            failures += 1;
            assert!(failures < 50);
        }
    }
    (etags, failures)
}

async fn finish(env: &Env, s: &Value, etags: &[String]) -> reqwest::Response {
    let parts: Vec<Value> = etags
        .iter()
        .enumerate()
        .map(|(i, e)| json!({"etag": e, "partNumber": i + 1}))
        .collect();
    env.http
        .post(s["upload_urls"][0].as_str().unwrap())
        .header(
            "Authorization",
            format!("UpToken {}", s["credential"].as_str().unwrap()),
        )
        .json(&json!({"parts": parts, "mimeType": s["mime_type"]}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn multipart_upload_callback_and_download() {
    let env = env_with(PolicyKind::Qiniu, 1024, false).await;
    let data = pattern(2 * PART + 3333);
    let s = create_session(&env, "cloudreve://my/q/big.bin", data.len(), json!({})).await;
    assert_eq!(s["storage_policy"]["type"], "qiniu");
    assert_eq!(s["chunk_size"], PART, "Qiniu parts are at least 1 MiB");
    assert!(!s["upload_id"].as_str().unwrap().is_empty());
    assert_eq!(s["mime_type"], "application/octet-stream");
    let (etags, _) = put_parts(&env, &s, &data).await;
    assert_eq!(etags.len(), 3);
    assert_eq!(entry(&env, "cloudreve://my/q", "big.bin").await["size"], 0);
    let r = finish(&env, &s, &etags).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"code": 0, "msg": ""})
    );
    assert_eq!(
        entry(&env, "cloudreve://my/q", "big.bin").await["size"],
        data.len()
    );
    let dl = env.url_of("cloudreve://my/q/big.bin", true).await;
    assert!(dl.contains("attname=") && dl.contains("token="), "{dl}");
    let r = env.http.get(&dl).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("big.bin")
    );
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&data));
    let r = env
        .http
        .get(&dl)
        .header("Range", "bytes=1048570-1048579")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(
        r.bytes().await.unwrap().to_vec(),
        data[1_048_570..1_048_580]
    );
    let bad = dl.replace("token=", "token=x");
    assert_eq!(env.http.get(&bad).send().await.unwrap().status(), 401);

    // Empty files: one empty part.
    let s = create_session(&env, "cloudreve://my/q/empty.bin", 0, json!({})).await;
    let (etags, _) = put_parts(&env, &s, &[]).await;
    assert_eq!(finish(&env, &s, &etags).await.status(), 200);
    assert!(fetch(&env, "cloudreve://my/q/empty.bin").await.is_empty());
}

#[tokio::test]
async fn tokens_callbacks_and_cancel_are_checked() {
    let env = env_with(PolicyKind::Qiniu, 1024, false).await;
    let data = pattern(PART + 5);
    let s = create_session(&env, "cloudreve://my/c.bin", data.len(), json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    // A forged token.
    let r = env
        .http
        .put(format!("{url}/1"))
        .header("Authorization", "UpToken x:y:z")
        .body(data[..PART].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let (etags, _) = put_parts(&env, &s, &data).await;
    // A wrong etag in the part list.
    let r = finish(&env, &s, &[etags[0].clone(), "nope".into()]).await;
    assert_eq!(r.status(), 400);
    // Callbacks not coming from the store.
    let sid = s["session_id"].as_str().unwrap();
    let r = env
        .http
        .post(env.api(&format!("/callback/qiniu/{sid}/wrong")))
        .json(&json!({"size": data.len()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["code"], 40020);
    let r = env
        .http
        .post(env.api(&format!(
            "/callback/qiniu/{sid}/{}",
            s["callback_secret"].as_str().unwrap()
        )))
        .header("Authorization", "QBox ak:forged")
        .json(&json!({"size": data.len()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"error": "Invalid signature."})
    );
    // Cancel aborts the multipart upload on the store.
    let v = env
        .delete(
            "/file/upload",
            json!({"id": sid, "uri": "cloudreve://my/c.bin"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let r = finish(&env, &s, &etags).await;
    assert_eq!(r.status(), 612);
    assert!(entry(&env, "cloudreve://my", "c.bin").await.is_null());
}

#[tokio::test]
async fn faulty_parts_are_retried_and_the_data_stays_intact() {
    let env = env_with(PolicyKind::Qiniu, 1024, false).await;
    env.sb.set_faults(flaky_parts(21));
    let data = pattern(5 * PART + 17);
    let s = create_session(&env, "cloudreve://my/f.bin", data.len(), json!({})).await;
    let (etags, failures) = put_parts(&env, &s, &data).await;
    let st = env.sb.fault_stats();
    assert!(
        failures > 0 && failures == st.events.len(),
        "{failures} {st:?}"
    );
    assert!(st.events.iter().all(|e| e.target == FaultTarget::Part));
    env.sb.set_faults(FaultConfig::default());
    assert_eq!(finish(&env, &s, &etags).await.status(), 200);
    assert_eq!(sha(&fetch(&env, "cloudreve://my/f.bin").await), sha(&data));
}

#[tokio::test]
async fn an_encrypting_policy_takes_ciphertext_parts_and_serves_plaintext() {
    let env = env_with(PolicyKind::Qiniu, 1024, false).await;
    let offer = json!({"encryption_supported": ["aes-256-ctr"]});
    // Off by default, like every object storage.
    let s = create_session(&env, "cloudreve://my/plain.bin", 10, offer.clone()).await;
    assert!(s["encrypt_metadata"].is_null(), "{s}");
    // Cloudreve's per-policy switch: sessions now carry key material.
    env.sb
        .set_policy_encryption(PolicyKind::Qiniu, true)
        .unwrap();
    let data = pattern(PART + 99);
    let s = create_session(&env, "cloudreve://my/enc.bin", data.len(), offer).await;
    assert_eq!(s["storage_policy"]["encryption"], true);
    let meta = &s["encrypt_metadata"];
    assert_eq!(meta["algorithm"], "aes-256-ctr", "{s}");
    let (etags, _) = put_parts(&env, &s, &ctr_apply(meta, &data)).await;
    assert_eq!(finish(&env, &s, &etags).await.status(), 200);
    // Encrypted entities are served (decrypted) by the master, not the store.
    let dl = env.url_of("cloudreve://my/enc.bin", false).await;
    assert!(dl.starts_with(&env.sb.base_url()), "{dl}");
    assert_eq!(
        sha(&fetch(&env, "cloudreve://my/enc.bin").await),
        sha(&data)
    );
}
