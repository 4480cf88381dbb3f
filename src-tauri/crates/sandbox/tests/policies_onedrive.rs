//! OneDrive policy: an upload-session URL taking `Content-Range` fragments in order (202 with
//! `nextExpectedRanges`, 201 with the item at the end, 416 for overlaps and gaps), resumption
//! through `GET` on the upload URL, the client's completion callback with its size check, and
//! pre-authenticated downloads. Raw HTTP only, following the official web client's flow.

mod policies_common;

use cirrus_sandbox::faults::{FaultConfig, FaultKind, FaultTarget};
use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::{Value, json};

const FRAG: usize = 320 << 10;

/// One fragment `PUT`; `Err` when the connection failed.
async fn put_range(
    env: &Env,
    url: &str,
    data: &[u8],
    start: usize,
    end: usize,
    total: usize,
) -> Result<(u16, Value), reqwest::Error> {
    let r = env
        .http
        .put(url)
        .header("Content-Type", "application/octet-stream")
        .header(
            "Content-Range",
            format!("bytes {start}-{}/{total}", end - 1),
        )
        .body(data[start..end].to_vec())
        .send()
        .await?;
    let status = r.status().as_u16();
    let v = r.json().await.unwrap_or(Value::Null);
    Ok((status, v))
}

async fn status_of(env: &Env, url: &str) -> (u16, Value) {
    let r = env.http.get(url).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn next_start(v: &Value) -> usize {
    v["nextExpectedRanges"][0]
        .as_str()
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

async fn callback(env: &Env, s: &Value, secret: &str) -> (u16, Value) {
    let r = env
        .http
        .post(env.api(&format!(
            "/callback/onedrive/{}/{secret}",
            s["session_id"].as_str().unwrap()
        )))
        .body("{}")
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

fn secret(s: &Value) -> &str {
    s["callback_secret"].as_str().unwrap()
}

/// Upload `data` fragment by fragment like the web client, resuming from the drive's
/// `nextExpectedRanges` whenever a `PUT` fails. Returns how many attempts failed.
async fn upload_resuming(env: &Env, s: &Value, data: &[u8]) -> usize {
    let url = s["upload_urls"][0].as_str().unwrap();
    let chunk = s["chunk_size"].as_u64().unwrap() as usize;
    let mut failures = 0;
    let mut pos = 0;
    while pos < data.len() {
        let end = (pos + chunk).min(data.len());
        match put_range(env, url, data, pos, end, data.len()).await {
            Ok((202, v)) => {
                assert_eq!(next_start(&v), end, "{v}");
                pos = end;
            }
            Ok((201, v)) => {
                assert_eq!(v["size"], data.len(), "{v}");
                pos = end;
            }
            other => {
                failures += 1;
                assert!(failures < 50, "too many failures: {other:?}");
                let (st, v) = status_of(env, url).await;
                assert_eq!(st, 200, "{v}");
                pos = next_start(&v);
            }
        }
    }
    failures
}

#[tokio::test]
async fn multi_fragment_upload_callback_and_download() {
    let env = env_with(PolicyKind::OneDrive, 1024, false).await;
    let l = env.list("cloudreve://my", "").await;
    assert_eq!(l["data"]["storage_policy"]["type"], "onedrive");
    let data = pattern(3 * FRAG + 12_345);
    let s = create_session(&env, "cloudreve://my/od/big.bin", data.len(), json!({})).await;
    assert_eq!(s["storage_policy"]["type"], "onedrive");
    assert_eq!(s["chunk_size"], FRAG, "rounded up to a multiple of 320 KiB");
    let urls = s["upload_urls"].as_array().unwrap();
    assert_eq!(urls.len(), 1);
    let url = urls[0].as_str().unwrap();
    assert!(!url.starts_with(&env.sb.base_url()), "{url}");
    let (st, v) = status_of(&env, url).await;
    assert_eq!((st, v["nextExpectedRanges"].clone()), (200, json!(["0-"])));
    assert!(v["expirationDateTime"].as_str().unwrap().ends_with('Z'));

    for (i, (a, b)) in chunks(data.len(), FRAG).into_iter().enumerate() {
        let (st, v) = put_range(&env, url, &data, a, b, data.len()).await.unwrap();
        if b < data.len() {
            assert_eq!(st, 202, "fragment {i}: {v}");
            assert_eq!(
                v["nextExpectedRanges"],
                json!([format!("{b}-{}", data.len() - 1)])
            );
        } else {
            assert_eq!(st, 201, "{v}");
            assert_eq!(v["size"], data.len());
            assert!(v["file"].is_object());
        }
    }
    // The session is gone once the item is complete.
    assert_eq!(status_of(&env, url).await.0, 404);
    // Not visible as complete until the client's callback.
    assert_eq!(entry(&env, "cloudreve://my/od", "big.bin").await["size"], 0);
    let (st, v) = callback(&env, &s, "wrong").await;
    assert_eq!((st, v["code"].clone()), (401, json!(40020)));
    let (st, v) = callback(&env, &s, secret(&s)).await;
    assert_eq!((st, v.clone()), (200, json!({"code": 0, "msg": ""})), "{v}");
    assert_eq!(
        entry(&env, "cloudreve://my/od", "big.bin").await["size"],
        data.len()
    );
    // Downloads are pre-authenticated URLs on the drive.
    let dl = env.url_of("cloudreve://my/od/big.bin", true).await;
    assert!(!dl.starts_with(&env.sb.base_url()), "{dl}");
    let r = env.http.get(&dl).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&data));
    let r = env
        .http
        .get(&dl)
        .header("Range", "bytes=327670-327689")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().to_vec(), data[327_670..327_690]);
    // A tampered download URL is refused.
    let bad = dl.replace("tempauth=", "tempauth=x");
    assert_eq!(env.http.get(&bad).send().await.unwrap().status(), 401);
}

#[tokio::test]
async fn wrong_ranges_are_refused_and_an_interrupted_fragment_resumes() {
    let env = env_with(PolicyKind::OneDrive, FRAG as u64, false).await;
    let data = pattern(3 * FRAG + 100);
    let total = data.len();
    let s = create_session(&env, "cloudreve://my/r.bin", total, json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    let (st, _) = put_range(&env, url, &data, 0, FRAG, total).await.unwrap();
    assert_eq!(st, 202);
    // The same fragment again overlaps committed data.
    let (st, v) = put_range(&env, url, &data, 0, FRAG, total).await.unwrap();
    assert_eq!(st, 416, "{v}");
    assert_eq!(v["error"]["code"], "invalidRange");
    assert_eq!(v["error"]["innererror"]["code"], "fragmentOverlap");
    // Skipping a fragment is out of order.
    let (st, v) = put_range(&env, url, &data, 2 * FRAG, 3 * FRAG, total)
        .await
        .unwrap();
    assert_eq!(st, 416, "{v}");
    assert_eq!(v["error"]["message"], "Uploaded fragment is out of order.");
    // A range whose length differs from the body, a missing range, another total.
    let r = env
        .http
        .put(url)
        .header(
            "Content-Range",
            format!("bytes {FRAG}-{}/{total}", 2 * FRAG),
        )
        .body(data[FRAG..2 * FRAG].to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = env.http.put(url).body(vec![1u8; 10]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let (st, _) = put_range(&env, url, &data, FRAG, 2 * FRAG, total + 1)
        .await
        .unwrap();
    assert_eq!(st, 400);
    // Nothing of the refused requests was committed.
    let (_, v) = status_of(&env, url).await;
    assert_eq!(
        v["nextExpectedRanges"],
        json!([format!("{FRAG}-{}", total - 1)])
    );

    // The next fragment's connection is dropped mid-body.
    env.sb.set_faults(FaultConfig {
        seed: 1,
        part_fail_rate: 1.0,
        kinds: vec![FaultKind::Drop],
        ..FaultConfig::default()
    });
    let r = put_range(&env, url, &data, FRAG, 2 * FRAG, total).await;
    assert!(r.is_err(), "{r:?}");
    let st = env.sb.fault_stats();
    assert_eq!(st.drops, 1, "{st:?}");
    assert_eq!(st.events[0].target, FaultTarget::Part);
    env.sb.set_faults(FaultConfig::default());
    // Resume from the drive's next expected range.
    let (st, v) = status_of(&env, url).await;
    assert_eq!(st, 200);
    assert_eq!(next_start(&v), FRAG);
    for (a, b) in chunks(total, FRAG).into_iter().skip(1) {
        let (st, v) = put_range(&env, url, &data, a, b, total).await.unwrap();
        assert!(st == 202 || st == 201, "{st} {v}");
    }
    let (st, v) = callback(&env, &s, secret(&s)).await;
    assert_eq!((st, v["code"].clone()), (200, json!(0)), "{v}");
    assert_eq!(sha(&fetch(&env, "cloudreve://my/r.bin").await), sha(&data));
}

#[tokio::test]
async fn size_mismatch_and_unfinished_uploads_fail_with_http_200() {
    let env = env_with(PolicyKind::OneDrive, 1024, false).await;
    // The drive takes whatever total the fragments declare; the master checks on callback.
    let s = create_session(&env, "cloudreve://my/m.bin", 1000, json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    let data = pattern(900);
    // Before any fragment the item does not exist.
    let (st, v) = callback(&env, &s, secret(&s)).await;
    assert_eq!(st, 200);
    assert_ne!(v["code"], 0, "{v}");
    let (st, _) = put_range(&env, url, &data, 0, 900, 900).await.unwrap();
    assert_eq!(st, 201);
    let (st, v) = callback(&env, &s, secret(&s)).await;
    assert_eq!(st, 200, "OneDrive callback failures are HTTP 200");
    assert_eq!(v["code"], 40055);
    assert_eq!(v["msg"], "File size not match, expected: 1000, actual: 900");
    assert_eq!(entry(&env, "cloudreve://my", "m.bin").await["size"], 0);
}

#[tokio::test]
async fn empty_files_cannot_go_through_an_upload_session() {
    let env = env_with(PolicyKind::OneDrive, 1024, false).await;
    let s = create_session(&env, "cloudreve://my/empty.bin", 0, json!({})).await;
    let url = s["upload_urls"][0].as_str().unwrap();
    // No byte range can describe an empty body (the web client refuses empty files here).
    let r = env
        .http
        .put(url)
        .header("Content-Range", "bytes 0-0/0")
        .body(Vec::new())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let (st, v) = callback(&env, &s, secret(&s)).await;
    assert_eq!(st, 200);
    assert_ne!(v["code"], 0, "{v}");
    // Cancelling removes the placeholder and the drive's upload session.
    let v = env
        .delete(
            "/file/upload",
            json!({"id": s["session_id"], "uri": "cloudreve://my/empty.bin"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(status_of(&env, url).await.0, 404);
    assert!(entry(&env, "cloudreve://my", "empty.bin").await.is_null());
    // Empty files are written with PUT /file/content instead.
    let v = env.write("cloudreve://my/empty.bin", b"").await;
    assert_eq!(v["code"], 0, "{v}");
}

#[tokio::test]
async fn faulty_fragments_are_retried_and_the_data_stays_intact() {
    let env = env_with(PolicyKind::OneDrive, 1024, false).await;
    env.sb.set_faults(flaky_parts(77));
    let data = pattern(6 * FRAG + 777);
    let s = create_session(&env, "cloudreve://my/f.bin", data.len(), json!({})).await;
    let failures = upload_resuming(&env, &s, &data).await;
    let st = env.sb.fault_stats();
    assert!(
        failures > 0 && st.events.len() == failures,
        "{failures} {st:?}"
    );
    assert!(st.events.iter().all(|e| e.target == FaultTarget::Part));
    let (code, v) = callback(&env, &s, secret(&s)).await;
    assert_eq!((code, v["code"].clone()), (200, json!(0)), "{v}");
    env.sb.set_faults(FaultConfig::default());
    assert_eq!(sha(&fetch(&env, "cloudreve://my/f.bin").await), sha(&data));
}
