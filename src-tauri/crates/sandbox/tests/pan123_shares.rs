//! 123pan Open Platform shares (fixed expiry choices, comma-separated `fileIDList`,
//! `lastShareId` paging, traffic updates) and offline download with progress.

mod pan123_common;

use std::time::Duration;

use cirrus_sandbox::demo;
use pan123_common::start;
use serde_json::json;

#[tokio::test]
async fn shares_with_fixed_expiry_choices() {
    let env = start(false).await;
    let w = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();
    let d = env.sb.pan123_file_id(demo::EMAIL, "Documents").unwrap();
    for bad in [2, 3, 365, -1] {
        let v = env
            .post(
                "/api/v1/share/create",
                json!({"shareName": "x", "shareExpire": bad, "fileIDList": w.to_string()}),
            )
            .await;
        assert_eq!(v["code"], 1, "{bad}: {v}");
    }
    // An array is not a comma-separated string.
    let v = env
        .post(
            "/api/v1/share/create",
            json!({"shareName": "x", "shareExpire": 7, "fileIDList": [w]}),
        )
        .await;
    assert_eq!(v["code"], 1);
    let mut ids = Vec::new();
    for exp in [1, 7, 30, 0] {
        let v = env
            .post(
                "/api/v1/share/create",
                json!({"shareName": format!("s{exp}"), "shareExpire": exp,
                    "fileIDList": format!("{w},{d}"), "sharePwd": "abcd"}),
            )
            .await;
        assert_eq!(v["code"], 0, "{v}");
        assert!(v["data"]["shareKey"].as_str().unwrap().len() >= 5);
        ids.push(v["data"]["shareID"].as_i64().unwrap());
    }
    assert_eq!(
        env.post(
            "/api/v1/share/create",
            json!({"shareName": "x", "shareExpire": 0, "fileIDList": "777777"})
        )
        .await["code"],
        5066
    );
    let v = env.get("/api/v1/share/list?limit=3").await;
    assert_eq!(v["data"]["shareList"].as_array().unwrap().len(), 3);
    let last = v["data"]["lastShareId"].as_i64().unwrap();
    assert_eq!(last, ids[2]);
    let v = env
        .get(&format!("/api/v1/share/list?limit=3&lastShareId={last}"))
        .await;
    let list = v["data"]["shareList"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(v["data"]["lastShareId"], -1);
    assert_eq!(list[0]["shareName"], "s0");
    assert_eq!(list[0]["expired"], 0);
    assert_eq!(list[0]["sharePwd"], "abcd");

    let v = env
        .put(
            "/api/v1/share/list/info",
            json!({"shareIdList": [ids[0]], "trafficSwitch": 4, "trafficLimitSwitch": 2,
                "trafficLimit": 1024}),
        )
        .await;
    assert_eq!(v["code"], 0);
    let v = env.get("/api/v1/share/list?limit=1").await;
    assert_eq!(v["data"]["shareList"][0]["trafficSwitch"], 4);
    assert_eq!(v["data"]["shareList"][0]["trafficLimit"], 1024);
}

#[tokio::test]
async fn offline_download_reports_progress_and_lands_the_file() {
    let env = start(false).await;
    let _ = env
        .sb
        .seed_file_with_content(demo::EMAIL, "src.bin", 20_000, 9)
        .unwrap();
    let id = env.sb.pan123_file_id(demo::EMAIL, "src.bin").unwrap();
    let v = env
        .get(&format!("/api/v1/file/download_info?fileId={id}"))
        .await;
    let url = v["data"]["downloadUrl"].as_str().unwrap().to_string();

    assert_eq!(
        env.post("/api/v1/offline/download", json!({"url": "ftp://x/y"}))
            .await["code"],
        1
    );
    assert_eq!(
        env.post("/api/v1/offline/download", json!({"url": url, "dirID": 0}))
            .await["code"],
        1,
        "root is not allowed"
    );
    let v = env
        .post(
            "/api/v1/offline/download",
            json!({"url": url, "fileName": "got.bin"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let task = v["data"]["taskID"].as_i64().unwrap();
    let mut seen = Vec::new();
    for _ in 0..100 {
        let v = env
            .get(&format!("/api/v1/offline/download/process?taskID={task}"))
            .await;
        assert_eq!(v["code"], 0, "{v}");
        seen.push((
            v["data"]["process"].as_i64().unwrap(),
            v["data"]["status"].as_i64().unwrap(),
        ));
        if v["data"]["status"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen.last().unwrap(), &(100, 2), "{seen:?}");
    let f = env
        .sb
        .pan123_file_id(demo::EMAIL, "来自:离线下载/got.bin")
        .expect("landed in the default folder");
    let v = env.get(&format!("/api/v1/file/detail?fileID={f}")).await;
    assert_eq!(v["data"]["size"], 20_000);

    // A failing URL ends in status 1.
    let v = env
        .post(
            "/api/v1/offline/download",
            json!({"url": format!("{}/download/nope/x", env.sb.pan123_upload_url().unwrap())}),
        )
        .await;
    let task = v["data"]["taskID"].as_i64().unwrap();
    let mut status = 0;
    for _ in 0..100 {
        let v = env
            .get(&format!("/api/v1/offline/download/process?taskID={task}"))
            .await;
        status = v["data"]["status"].as_i64().unwrap();
        if status == 1 || status == 2 {
            assert_eq!(v["data"]["process"], 0);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, 1);
}
