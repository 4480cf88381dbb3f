//! 123pan Open Platform downloads: `download_info` URLs on the CDN host that honour Range
//! and expire, 5066 for missing files and 5113 when the traffic quota is used up.

mod pan123_common;

use std::time::Duration;

use cirrus_sandbox::demo;
use pan123_common::start;

#[tokio::test]
async fn download_info_honours_range_and_expires() {
    let env = start(false).await;
    let _ = env
        .sb
        .seed_file_with_content(demo::EMAIL, "r.bin", 10_000, 3)
        .unwrap();
    let bytes = cirrus_sandbox::seed::seeded_bytes(10_000, 3);
    let id = env.sb.pan123_file_id(demo::EMAIL, "r.bin").unwrap();
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={id}"))
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let url = v["data"]["downloadUrl"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&env.sb.pan123_upload_url().unwrap()),
        "{url}"
    );

    // No auth headers on the CDN.
    let r = env.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(&r.bytes().await.unwrap()[..], &bytes[..]);
    let r = env
        .http
        .get(&url)
        .header("Range", "bytes=100-199")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 100-199/10000");
    assert_eq!(&r.bytes().await.unwrap()[..], &bytes[100..200]);
    let r = env
        .http
        .get(&url)
        .header("Range", "bytes=9990-")
        .send()
        .await
        .unwrap();
    assert_eq!(&r.bytes().await.unwrap()[..], &bytes[9990..]);

    env.sb.set_pan123_download_ttl(Duration::from_secs(1));
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={id}"))
        .await;
    let short = v["data"]["downloadUrl"].as_str().unwrap().to_string();
    assert_eq!(env.http.get(&short).send().await.unwrap().status(), 200);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(env.http.get(&short).send().await.unwrap().status(), 403);
}

#[tokio::test]
async fn download_info_errors() {
    let env = start(false).await;
    assert_eq!(
        env.get("/api/v1/file/download_info?fileId=424242").await["code"],
        5066
    );
    let docs = env.sb.pan123_file_id(demo::EMAIL, "Documents").unwrap();
    assert_eq!(
        env.get(&format!("/api/v1/file/download_info?fileId={docs}"))
            .await["code"],
        5066
    );
    let w = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();
    env.sb.set_pan123_traffic_quota(40);
    assert_eq!(
        env.get(&format!("/api/v1/file/download_info?fileId={w}"))
            .await["code"],
        0
    );
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={w}"))
        .await;
    assert_eq!(v["code"], 5113, "{v}");
    assert!(v["data"].is_null());
}
