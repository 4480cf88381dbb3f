//! 123pan sandbox: the shared fault layer covers the upload host (slices count as chunks,
//! CDN downloads as downloads), and `--api pan123` parses.

mod pan123_common;

use cirrus_sandbox::Api;
use cirrus_sandbox::demo;
use cirrus_sandbox::faults::{FaultConfig, FaultKind};
use pan123_common::{md5_hex, start};
use serde_json::json;

#[test]
fn api_names_parse() {
    assert_eq!("pan123".parse::<Api>().unwrap(), Api::Pan123);
    assert_eq!("123pan".parse::<Api>().unwrap(), Api::Pan123);
    assert_eq!(Api::Pan123.to_string(), "pan123");
}

#[tokio::test]
async fn slices_and_cdn_downloads_see_injected_faults() {
    let env = start(false).await;
    env.sb.set_pan123_slice_size(1000);
    env.sb.set_pan123_complete_polls(0);
    let body: Vec<u8> = (0..1500u32).map(|i| (i % 251) as u8).collect();
    let v = env
        .post(
            "/upload/v2/file/create",
            json!({"parentFileID": 0, "filename": "f.bin", "etag": md5_hex(&body),
                "size": body.len()}),
        )
        .await;
    let pre = v["data"]["preuploadID"].as_str().unwrap().to_string();
    let server = v["data"]["servers"][0].as_str().unwrap().to_string();

    env.sb.set_faults(FaultConfig {
        chunk_fail_rate: 1.0,
        download_fail_rate: 1.0,
        kinds: vec![FaultKind::ServerError],
        ..FaultConfig::default()
    });
    let form = reqwest::multipart::Form::new()
        .text("preuploadID", pre.clone())
        .text("sliceNo", "1")
        .text("sliceMD5", md5_hex(&body[..1000]))
        .part(
            "slice",
            reqwest::multipart::Part::bytes(body[..1000].to_vec()).file_name("s"),
        );
    let r = env
        .http
        .post(format!("{server}/upload/v2/file/slice"))
        .header("Platform", "open_platform")
        .header("Authorization", format!("Bearer {}", env.token))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    // API calls are not chunk/download targets.
    let w = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={w}"))
        .await;
    assert_eq!(v["code"], 0);
    let r = env
        .http
        .get(v["data"]["downloadUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(r.status().is_server_error(), "{}", r.status());
    assert!(
        env.sb.fault_stats().server_errors >= 2,
        "{:?}",
        env.sb.fault_stats()
    );
    assert_eq!(env.sb.pan123_stats().slices, 0);

    env.sb.set_faults(FaultConfig::default());
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
    assert_eq!(v["data"]["completed"], true, "{v}");
}
