//! S3-family policies: presigned `UploadPart` URLs against a real S3 implementation,
//! `CompleteMultipartUpload` by the client, then the Cloudreve callback (GET for S3/KS3/COS,
//! POSTed by the storage for OBS), size checks and presigned downloads.

mod policies_common;

use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

/// PUT every part and return the `CompleteMultipartUpload` XML built from the ETags.
async fn put_parts(env: &Env, s: &Value, data: &[u8], chunk: usize) -> String {
    let urls = s["upload_urls"].as_array().unwrap();
    let parts = chunks(data.len(), chunk);
    assert_eq!(urls.len(), parts.len());
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (i, (a, b)) in parts.into_iter().enumerate() {
        let r = env
            .http
            .put(urls[i].as_str().unwrap())
            .header("Content-Type", "application/octet-stream")
            .body(data[a..b].to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "part {i}: {}", r.text().await.unwrap());
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        xml += &format!(
            "<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>",
            i + 1
        );
    }
    xml + "</CompleteMultipartUpload>"
}

async fn complete(env: &Env, s: &Value, xml: String) -> reqwest::Response {
    env.http
        .post(s["completeURL"].as_str().unwrap())
        .header("Content-Type", "application/octet-stream")
        .body(xml)
        .send()
        .await
        .unwrap()
}

async fn callback(env: &Env, ty: &str, s: &Value, secret: &str) -> (u16, Value) {
    let r = env
        .http
        .get(env.api(&format!(
            "/callback/{ty}/{}/{secret}",
            s["session_id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn s3_ks3_cos_multipart_upload_callback_and_download() {
    let env = env_with(PolicyKind::S3, 1024, false).await;
    let part = 5 << 20;
    for kind in [PolicyKind::S3, PolicyKind::Ks3, PolicyKind::Cos] {
        env.sb
            .set_user_policy(cirrus_sandbox::demo::EMAIL, kind)
            .unwrap();
        let ty = kind.type_name();
        let data = pattern(2 * part + 2600);
        let uri = format!("cloudreve://my/{ty}/big.bin");
        let s = create_session(&env, &uri, data.len(), json!({})).await;
        assert_eq!(s["storage_policy"]["type"], ty);
        assert_eq!(s["chunk_size"], part, "S3 parts are at least 5 MiB");
        assert_eq!(s["upload_urls"].as_array().unwrap().len(), 3);
        assert!(!s["upload_id"].as_str().unwrap().is_empty());
        let url0 = s["upload_urls"][0].as_str().unwrap();
        assert!(url0.contains("X-Amz-Signature="), "{url0}");
        assert!(url0.contains("partNumber=1"), "{url0}");
        let xml = put_parts(&env, &s, &data, part).await;
        let r = complete(&env, &s, xml).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        // Not visible as complete until the callback.
        assert_eq!(
            entry(&env, &format!("cloudreve://my/{ty}"), "big.bin").await["size"],
            0
        );
        let (status, v) = callback(&env, ty, &s, "wrong").await;
        assert_eq!((status, v["code"].clone()), (401, json!(40020)));
        let other = if ty == "s3" { "cos" } else { "s3" };
        let (status, v) = callback(&env, other, &s, s["callback_secret"].as_str().unwrap()).await;
        assert_eq!((status, v["code"].clone()), (401, json!(40006)));
        let (status, v) = callback(&env, ty, &s, s["callback_secret"].as_str().unwrap()).await;
        assert_eq!(
            (status, v.clone()),
            (200, json!({"code": 0, "msg": ""})),
            "{v}"
        );
        assert_eq!(
            entry(&env, &format!("cloudreve://my/{ty}"), "big.bin").await["size"],
            data.len()
        );
        // Downloads are presigned GETs on the object store.
        let dl = env.url_of(&uri, true).await;
        assert!(dl.contains("X-Amz-Signature="), "{dl}");
        assert!(!dl.starts_with(&env.sb.base_url()));
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
            .header("Range", "bytes=5-9")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(r.bytes().await.unwrap().to_vec(), data[5..10].to_vec());
    }
}

#[tokio::test]
async fn tampered_presigned_urls_are_rejected() {
    let env = env_with(PolicyKind::S3, 1024, false).await;
    let part = 5usize << 20;
    let data = pattern(part + 1500);
    let s = create_session(&env, "cloudreve://my/t.bin", data.len(), json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    // Another part number under the same signature.
    let forged = url.replace("partNumber=1", "partNumber=2");
    let r = env
        .http
        .put(&forged)
        .body(data[..part].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("SignatureDoesNotMatch"));
    // A flipped signature character.
    let i = url.find("X-Amz-Signature=").unwrap() + 16;
    let mut bad = url.to_string();
    let c = if &bad[i..i + 1] == "0" { "1" } else { "0" };
    bad.replace_range(i..i + 1, c);
    let r = env
        .http
        .put(&bad)
        .body(data[..part].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // A part of another length than signed (content-length is a signed header).
    let r = env
        .http
        .put(url)
        .body(data[..1000].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The genuine URL still works.
    let r = env
        .http
        .put(url)
        .body(data[..part].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn size_mismatch_is_40055_with_http_400_and_empty_files_work() {
    let env = env_with(PolicyKind::S3, 1024, false).await;
    let part = 5 << 20;
    let data = pattern(part + 2000);
    let s = create_session(&env, "cloudreve://my/m.bin", data.len(), json!({})).await;
    let full = put_parts(&env, &s, &data, part).await;
    // Complete with the first part only: the object is shorter than declared.
    let first = full
        .split("<Part>")
        .take(2)
        .collect::<Vec<_>>()
        .join("<Part>")
        + "</CompleteMultipartUpload>";
    assert_eq!(complete(&env, &s, first).await.status(), 200);
    let (status, v) = callback(&env, "s3", &s, s["callback_secret"].as_str().unwrap()).await;
    assert_eq!(status, 400);
    assert_eq!(v["code"], 40055);
    assert_eq!(
        v["msg"],
        "File size not match, expected: 5244880, actual: 5242880"
    );

    let s = create_session(&env, "cloudreve://my/empty.bin", 0, json!({})).await;
    assert_eq!(s["upload_urls"].as_array().unwrap().len(), 1);
    let xml = put_parts(&env, &s, &[], part).await;
    assert_eq!(complete(&env, &s, xml).await.status(), 200);
    let (status, _) = callback(&env, "s3", &s, s["callback_secret"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert!(fetch(&env, "cloudreve://my/empty.bin").await.is_empty());
}

#[tokio::test]
async fn obs_storage_posts_the_callback() {
    let env = env_with(PolicyKind::Obs, 1024, false).await;
    let part = 5 << 20;
    let data = pattern(part + 3000);
    let s = create_session(&env, "cloudreve://my/o.bin", data.len(), json!({})).await;
    assert_eq!(s["storage_policy"]["type"], "obs");
    assert!(
        s["completeURL"]
            .as_str()
            .unwrap()
            .contains("x-obs-callback=")
    );
    // GET callbacks are not routed for OBS.
    let r = env
        .http
        .get(env.api(&format!(
            "/callback/obs/{}/{}",
            s["session_id"].as_str().unwrap(),
            s["callback_secret"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let xml = put_parts(&env, &s, &data, part).await;
    let r = complete(&env, &s, xml).await;
    assert_eq!(r.status(), 200);
    // The completion response is the master's answer to the storage's callback.
    let v: Value = r.json().await.unwrap();
    assert_eq!(v, json!({"code": 0, "msg": ""}));
    assert_eq!(
        entry(&env, "cloudreve://my", "o.bin").await["size"],
        data.len()
    );
    assert_eq!(sha(&fetch(&env, "cloudreve://my/o.bin").await), sha(&data));
}
