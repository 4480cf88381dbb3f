//! 123pan Open Platform uploads: `domain`, V2 create with instant upload (`reuse`), slices on
//! the upload host (1-based, per-slice MD5, exact sizes), `upload_complete` polling with
//! `completed:false`/20103 and the whole-file MD5 check, single-step upload, `duplicate`
//! 1/2 and SHA-1 reuse.

mod pan123_common;

use cirrus_sandbox::demo;
use pan123_common::{md5_hex, start};
use serde_json::json;

fn data(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test]
async fn domain_lists_the_upload_host_and_slices_are_not_on_the_api_host() {
    let env = start(false).await;
    let v = env.get("/upload/v2/file/domain").await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["data"], json!([env.sb.pan123_upload_url().unwrap()]));
    assert_ne!(v["data"][0].as_str().unwrap(), env.sb.base_url());
    let r = env
        .http
        .post(env.url("/upload/v2/file/slice"))
        .header("Platform", "open_platform")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The upload host wants the headers too.
    let r = env
        .http
        .post(env.upload_url("/upload/v2/file/single/create"))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_ne!(v["code"], 0);
}

#[tokio::test]
async fn create_reuses_a_known_md5_and_size() {
    let env = start(false).await;
    let content = b"Welcome to the Cirrus sandbox.\n";
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "copy.txt", "etag": md5_hex(content),
                "size": content.len()}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["reuse"], true);
    let id = v["data"]["fileID"].as_i64().unwrap();
    assert!(id > 0);
    let item = env.find(0, "copy.txt").await.unwrap();
    assert_eq!(item["fileId"], id);
    assert_eq!(item["etag"], md5_hex(content));
    // Same MD5, other size: no reuse.
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileId": 0, "filename": "other.txt", "etag": md5_hex(content),
                "size": content.len() + 1}),
        )
        .await;
    assert_eq!(v["data"]["reuse"], false);
    // Seeded content is indexed too.
    let _ = env
        .sb
        .seed_file_with_content(demo::EMAIL, "seeded.bin", 5000, 7)
        .unwrap();
    let bytes = cirrus_sandbox::seed::seeded_bytes(5000, 7);
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "seeded2.bin", "etag": md5_hex(&bytes),
                "size": 5000}),
        )
        .await;
    assert_eq!(v["data"]["reuse"], true, "{v}");
    assert_eq!(env.sb.pan123_stats().reused, 2);
}

#[tokio::test]
async fn sliced_upload_with_complete_polling() {
    let env = start(false).await;
    env.sb.set_pan123_slice_size(1000);
    env.sb.set_pan123_complete_polls(3);
    let body = data(2500, 1);
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "big.bin", "etag": md5_hex(&body),
                "size": body.len(), "duplicate": 1}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let d = &v["data"];
    assert_eq!(d["reuse"], false);
    assert_eq!(d["sliceSize"], 1000);
    let pre = d["preuploadID"].as_str().unwrap().to_string();
    let server = d["servers"][0].as_str().unwrap().to_string();
    assert_eq!(server, env.sb.pan123_upload_url().unwrap());

    // Completing early is refused.
    let v = env
        .post(
            "/upload/v2/file/upload_complete",
            json!({"preuploadID": pre}),
        )
        .await;
    assert_eq!(v["code"], 1, "{v}");

    let s1 = &body[..1000];
    let s2 = &body[1000..2000];
    let s3 = &body[2000..];
    // sliceNo is 1-based.
    assert_eq!(
        env.slice(&server, &pre, 0, s1, &md5_hex(s1)).await["code"],
        1
    );
    // Wrong slice MD5.
    assert_eq!(
        env.slice(&server, &pre, 1, s1, &md5_hex(s2)).await["code"],
        1
    );
    // Non-last slices must be exactly sliceSize.
    assert_eq!(
        env.slice(&server, &pre, 1, &s1[..999], &md5_hex(&s1[..999]))
            .await["code"],
        1
    );
    // Out of order is fine.
    assert_eq!(
        env.slice(&server, &pre, 3, s3, &md5_hex(s3)).await["code"],
        0
    );
    assert_eq!(
        env.slice(&server, &pre, 1, s1, &md5_hex(s1)).await["code"],
        0
    );
    assert_eq!(
        env.slice(&server, &pre, 2, s2, &md5_hex(s2)).await["code"],
        0
    );
    let st = env.sb.pan123_stats();
    assert_eq!(st.slices, 3);
    assert_eq!(st.slices_rejected, 3);

    let mut pending = Vec::new();
    let file_id = loop {
        let v = env
            .post(
                "/upload/v2/file/upload_complete",
                json!({"preuploadID": pre}),
            )
            .await;
        match v["code"].as_i64().unwrap() {
            0 if v["data"]["completed"] == true => break v["data"]["fileID"].as_i64().unwrap(),
            0 => pending.push(0),
            20103 => pending.push(20103),
            _ => panic!("{v}"),
        }
        assert!(pending.len() < 10);
    };
    assert_eq!(pending.len(), 3);
    assert!(
        pending.contains(&0) && pending.contains(&20103),
        "{pending:?}"
    );
    assert!(file_id > 0);
    // Asking again answers the same file.
    let v = env
        .post(
            "/upload/v2/file/upload_complete",
            json!({"preuploadID": pre}),
        )
        .await;
    assert_eq!(v["data"]["fileID"], file_id);
    let item = env.find(0, "big.bin").await.unwrap();
    assert_eq!(item["fileId"], file_id);
    assert_eq!(item["size"], 2500);
    assert_eq!(item["etag"], md5_hex(&body));

    // Download it back.
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={file_id}"))
        .await;
    let got = env
        .http
        .get(v["data"]["downloadUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], &body[..]);
}

#[tokio::test]
async fn complete_checks_the_whole_file_md5() {
    let env = start(false).await;
    env.sb.set_pan123_slice_size(1000);
    env.sb.set_pan123_complete_polls(0);
    let body = data(1500, 2);
    let lie = data(1500, 3);
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "lie.bin", "etag": md5_hex(&lie),
                "size": 1500}),
        )
        .await;
    let pre = v["data"]["preuploadID"].as_str().unwrap().to_string();
    let server = v["data"]["servers"][0].as_str().unwrap().to_string();
    assert_eq!(
        env.slice(&server, &pre, 1, &body[..1000], &md5_hex(&body[..1000]))
            .await["code"],
        0
    );
    assert_eq!(
        env.slice(&server, &pre, 2, &body[1000..], &md5_hex(&body[1000..]))
            .await["code"],
        0
    );
    let v = env
        .post(
            "/upload/v2/file/upload_complete",
            json!({"preuploadID": pre}),
        )
        .await;
    assert_eq!(v["code"], 1, "{v}");
    assert!(env.find(0, "lie.bin").await.is_none());
}

#[tokio::test]
async fn single_step_upload_duplicate_policies_and_limits() {
    let env = start(false).await;
    let a = data(3000, 4);
    let v = env.single(0, "one.bin", &a, None).await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["completed"], true);
    let first = v["data"]["fileID"].as_i64().unwrap();

    // A clash without a duplicate policy is refused.
    let b = data(3000, 5);
    assert_eq!(env.single(0, "one.bin", &b, None).await["code"], 1);
    // duplicate=1 keeps both with a suffix.
    let v = env.single(0, "one.bin", &b, Some(1)).await;
    assert_eq!(v["code"], 0, "{v}");
    let kept = env.find(0, "one(1).bin").await.unwrap();
    assert_eq!(kept["fileId"], v["data"]["fileID"]);
    assert_eq!(env.find(0, "one.bin").await.unwrap()["fileId"], first);
    // duplicate=2 overwrites with a new file id.
    let c = data(10, 6);
    let v = env.single(0, "one.bin", &c, Some(2)).await;
    let new_id = v["data"]["fileID"].as_i64().unwrap();
    assert_ne!(new_id, first);
    let now = env.find(0, "one.bin").await.unwrap();
    assert_eq!(now["fileId"], new_id);
    assert_eq!(now["size"], 10);
    assert_eq!(
        env.get(&format!("/api/v1/file/detail?fileID={first}"))
            .await["code"],
        5066
    );

    // The declared MD5 must match the body.
    let form = reqwest::multipart::Form::new()
        .text("parentFileID", "0")
        .text("filename", "bad.bin")
        .text("etag", md5_hex(b"other"))
        .text("size", "5")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"hello".to_vec()).file_name("bad.bin"),
        );
    let v = env
        .form(&env.upload_url("/upload/v2/file/single/create"), form)
        .await;
    assert_eq!(v["code"], 1, "{v}");
    // Over 1 GiB is refused before reading the file.
    let form = reqwest::multipart::Form::new()
        .text("parentFileID", "0")
        .text("filename", "huge.bin")
        .text("etag", md5_hex(b"x"))
        .text("size", ((1u64 << 30) + 1).to_string())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("huge.bin"),
        );
    let v = env
        .form(&env.upload_url("/upload/v2/file/single/create"), form)
        .await;
    assert_eq!(v["code"], 1, "{v}");

    // containDir creates the folders.
    let form = reqwest::multipart::Form::new()
        .text("parentFileID", "0")
        .text("filename", "/a/b/deep.txt")
        .text("containDir", "true")
        .text("etag", md5_hex(b"deep"))
        .text("size", "4")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"deep".to_vec()).file_name("deep.txt"),
        );
    let v = env
        .form(&env.upload_url("/upload/v2/file/single/create"), form)
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert!(env.sb.pan123_file_id(demo::EMAIL, "a/b/deep.txt").is_some());
}

#[tokio::test]
async fn sha1_reuse() {
    use sha1::Digest;
    let env = start(false).await;
    let content = b"Welcome to the Cirrus sandbox.\n";
    let sha: String = sha1::Sha1::digest(content)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let v = env
        .post(
            "/upload/v2/file/sha1_reuse",
            json!({"parentFileID": 0, "filename": "w2.txt", "sha1": sha, "size": content.len()}),
        )
        .await;
    assert_eq!(v["data"]["reuse"], true, "{v}");
    assert!(env.find(0, "w2.txt").await.is_some());
    let v = env
        .post(
            "/upload/v2/file/sha1_reuse",
            json!({"parentFileID": 0, "filename": "w3.txt", "sha1": "0".repeat(40), "size": 3}),
        )
        .await;
    assert_eq!(v["data"], json!({"fileID": 0, "reuse": false}));
}

#[tokio::test]
async fn instant_upload_over_its_own_source_with_duplicate_2() {
    let env = start(false).await;
    let content = b"Welcome to the Cirrus sandbox.\n";
    let old = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "Welcome.txt", "etag": md5_hex(content),
                "size": content.len(), "duplicate": 2}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["reuse"], true);
    let id = v["data"]["fileID"].as_i64().unwrap();
    assert_ne!(id, old);
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={id}"))
        .await;
    let got = env
        .http
        .get(v["data"]["downloadUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&got[..], content);
    // The copy is found again once the indexed file is gone.
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "again.txt", "etag": md5_hex(content),
                "size": content.len()}),
        )
        .await;
    assert_eq!(v["data"]["reuse"], true, "{v}");
}

/// A client that gives up on a slow `upload_complete` and asks again (or a resumed upload
/// asking while the first request is still being verified) must get one file, not one per
/// request: 123pan finishes a `preuploadID` once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_completes_of_one_upload_make_one_file() {
    let env = start(false).await;
    env.sb.set_pan123_slice_size(8 << 20);
    env.sb.set_pan123_complete_polls(0);
    let body = data(32 << 20, 7);
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "once.bin", "etag": md5_hex(&body),
                "size": body.len(), "duplicate": 1}),
        )
        .await;
    let pre = v["data"]["preuploadID"].as_str().unwrap().to_string();
    let server = v["data"]["servers"][0].as_str().unwrap().to_string();
    for (i, s) in body.chunks(8 << 20).enumerate() {
        let r = env.slice(&server, &pre, i as u64 + 1, s, &md5_hex(s)).await;
        assert_eq!(r["code"], 0, "{r}");
    }
    let asks = (0..6).map(|_| {
        env.post(
            "/upload/v2/file/upload_complete",
            json!({"preuploadID": pre}),
        )
    });
    let answers = futures::future::join_all(asks).await;
    let mut ids: Vec<i64> = answers
        .iter()
        .filter(|v| v["code"] == 0 && v["data"]["completed"] == true)
        .map(|v| v["data"]["fileID"].as_i64().unwrap())
        .collect();
    for v in &answers {
        assert!(v["code"] == 0 || v["code"] == 20103, "{v}");
    }
    ids.dedup();
    assert!(ids.len() <= 1, "one preuploadID, several files: {ids:?}");
    let names: Vec<String> = env
        .list_all(0)
        .await
        .iter()
        .filter_map(|e| e["filename"].as_str().map(str::to_string))
        .filter(|n| n.starts_with("once"))
        .collect();
    assert_eq!(names, vec!["once.bin".to_string()], "{names:?}");
}
