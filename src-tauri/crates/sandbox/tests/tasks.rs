//! Background tasks: archive, extract and remote download to completion with their results
//! checked, progress while running, listing by category, and cancelling a download.

mod common;

use std::io::{Cursor, Read, Write};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use cirrus_sandbox::{SandboxConfig, demo as demo_user};
use common::*;
use futures::StreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Poll `GET /workflow?category=…` until task `id` reaches a final status.
async fn wait_final(env: &Env, category: &str, id: &str) -> Value {
    for _ in 0..400 {
        let l = env
            .get(&format!("/workflow?category={category}&page_size=100"))
            .await;
        assert_eq!(l["code"], 0, "{l}");
        if let Some(t) = l["data"]["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == id)
            && matches!(
                t["status"].as_str(),
                Some("completed" | "error" | "canceled")
            )
        {
            return t.clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("task {id} did not finish");
}

/// Serve `routes` on 127.0.0.1 and return the base URL.
async fn serve(routes: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, routes).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn archive_contains_sources_byte_identical() {
    let env = demo(SandboxConfig::default()).await;
    let big = env
        .sb
        .seed_file_with_content(demo_user::EMAIL, "Documents/big.bin", 300_000, 7)
        .unwrap();
    let v = env
        .post(
            "/workflow/archive",
            json!({"src": ["cloudreve://my/Documents", "cloudreve://my/Welcome.txt", "cloudreve://my/missing"],
                   "dst": "cloudreve://my/out/all.zip"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let t = &v["data"];
    assert_eq!(t["type"], "create_archive");
    assert_eq!(t["summary"]["props"]["dst"], "cloudreve://my/out/all.zip");
    assert_eq!(
        t["summary"]["props"]["src_multiple"][1],
        "cloudreve://my/Welcome.txt"
    );
    let id = t["id"].as_str().unwrap().to_string();
    let done = wait_final(&env, "general", &id).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["summary"]["phase"], "upload_archive");
    assert_eq!(done["summary"]["props"]["failed"], 1);

    let zip = env.download("cloudreve://my/out/all.zip").await;
    let mut z = zip::ZipArchive::new(Cursor::new(zip)).unwrap();
    let mut read = |name: &str| {
        let mut f = z.by_name(name).unwrap();
        let mut b = Vec::new();
        f.read_to_end(&mut b).unwrap();
        b
    };
    assert_eq!(read("Welcome.txt"), b"Welcome to the Cirrus sandbox.\n");
    assert_eq!(read("Documents/Report 2024.txt"), b"Quarterly numbers.\n");
    assert_eq!(read("Documents/中文文件.txt"), "你好，世界\n".as_bytes());
    assert_eq!(sha(&read("Documents/big.bin")), big);

    // The destination must be new.
    let again = env
        .post(
            "/workflow/archive",
            json!({"src": ["cloudreve://my/Welcome.txt"], "dst": "cloudreve://my/out/all.zip"}),
        )
        .await;
    assert_eq!(again["code"], 40004);
    let missing = env
        .post("/workflow/archive", json!({"dst": "cloudreve://my/x.zip"}))
        .await;
    assert_eq!(missing["code"], 40001);
}

#[tokio::test]
async fn extract_recreates_files() {
    let env = demo(SandboxConfig::default()).await;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    w.add_directory("empty/", opts).unwrap();
    w.start_file("a.txt", opts).unwrap();
    w.write_all(b"alpha").unwrap();
    w.start_file("dir/sub/b.bin", opts).unwrap();
    let b: Vec<u8> = (0..50_000u32).map(|i| (i % 251) as u8).collect();
    w.write_all(&b).unwrap();
    let zip = w.finish().unwrap().into_inner();
    assert_eq!(env.write("cloudreve://my/in.zip", &zip).await["code"], 0);
    env.post(
        "/file/create",
        json!({"uri": "cloudreve://my/ex", "type": "folder"}),
    )
    .await;
    let bad = env
        .post(
            "/workflow/extract",
            json!({"src": ["cloudreve://my/in.zip"], "dst": "cloudreve://my/nope"}),
        )
        .await;
    assert_eq!(bad["code"], 40016);
    assert_eq!(bad["msg"], "Invalid destination");
    let v = env
        .post(
            "/workflow/extract",
            json!({"src": ["cloudreve://my/in.zip"], "dst": "cloudreve://my/ex"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["type"], "extract_archive");
    assert_eq!(
        v["data"]["summary"]["props"]["src"],
        "cloudreve://my/in.zip"
    );
    let done = wait_final(&env, "general", v["data"]["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(env.download("cloudreve://my/ex/a.txt").await, b"alpha");
    assert_eq!(env.download("cloudreve://my/ex/dir/sub/b.bin").await, b);
    let l = env.list("cloudreve://my/ex/empty", "").await;
    assert_eq!(l["code"], 0);
}

#[tokio::test]
async fn remote_download_stores_served_bytes() {
    let env = demo(SandboxConfig::default()).await;
    let payload: Vec<u8> = cirrus_sandbox::seed::seeded_bytes(200_000, 99);
    let p = payload.clone();
    let base = serve(Router::new().route(
        "/files/data%20set.bin",
        get(move || {
            let p = p.clone();
            async move { p }
        }),
    ))
    .await;
    let url = format!("{base}/files/data%20set.bin");
    let v = env
        .post(
            "/workflow/download",
            json!({"src": [url], "dst": "cloudreve://my/Downloads"}),
        )
        .await;
    // The destination folder must exist.
    assert_eq!(v["code"], 40016, "{v}");
    env.post(
        "/file/create",
        json!({"uri": "cloudreve://my/Downloads", "type": "folder"}),
    )
    .await;
    let v = env
        .post(
            "/workflow/download",
            json!({"src": [url], "dst": "cloudreve://my/Downloads"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let t = &v["data"][0];
    assert_eq!(t["type"], "remote_download");
    assert_eq!(t["status"], "queued");
    assert_eq!(t["summary"]["props"]["src_str"], url);
    let done = wait_final(&env, "downloaded", t["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(done["summary"]["phase"], "seeding");
    let st = &done["summary"]["props"]["download"];
    assert_eq!(st["state"], "completed");
    assert_eq!(st["total"], 200_000);
    assert_eq!(st["name"], "data set.bin");
    let got = env.download("cloudreve://my/Downloads/data set.bin").await;
    assert_eq!(sha(&got), sha(&payload));
    // Non-http sources fail per URL.
    let v = env
        .post(
            "/workflow/download",
            json!({"src": ["magnet:?xt=urn:btih:abc"], "dst": "cloudreve://my/Downloads"}),
        )
        .await;
    assert_eq!(v["code"], 40081);
}

#[tokio::test]
async fn progress_while_running_and_cancel_download() {
    let env = demo(SandboxConfig {
        task_step_delay: Duration::from_millis(150),
        ..SandboxConfig::default()
    })
    .await;
    // Archive with a visible step delay: progress counters appear, then vanish when done.
    let v = env
        .post(
            "/workflow/archive",
            json!({"src": ["cloudreve://my/Documents"], "dst": "cloudreve://my/d.zip"}),
        )
        .await;
    let id = v["data"]["id"].as_str().unwrap().to_string();
    let mut seen = None;
    for _ in 0..100 {
        let p = env.get(&format!("/workflow/progress/{id}")).await;
        if p["data"]["archive_count"].is_object() {
            seen = Some(p["data"].clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seen = seen.expect("archive progress visible");
    assert_eq!(seen["archive_count"]["total"], 6);
    assert!(seen["archive_size"]["total"].as_i64().unwrap() > 0);
    let l = env.get("/workflow?category=general&page_size=10").await;
    assert_eq!(l["data"]["tasks"][0]["status"], "processing");
    assert_eq!(l["data"]["tasks"][0]["summary"]["phase"], "compress_files");
    let done = wait_final(&env, "general", &id).await;
    assert_eq!(done["status"], "completed");
    assert!(done["duration"].as_u64().unwrap() >= 150);
    let p = env.get(&format!("/workflow/progress/{id}")).await;
    assert_eq!(p["data"], json!({}));

    // A download that never finishes: cancel it.
    let base = serve(Router::new().route(
        "/slow.bin",
        get(|| async {
            let s = futures::stream::once(async { Ok::<_, std::io::Error>(vec![1u8; 1000]) })
                .chain(futures::stream::pending());
            axum::response::Response::builder()
                .header("content-length", "100000")
                .body(Body::from_stream(s))
                .unwrap()
        }),
    ))
    .await;
    let v = env
        .post(
            "/workflow/download",
            json!({"src": [format!("{base}/slow.bin")], "dst": "cloudreve://my"}),
        )
        .await;
    let id = v["data"][0]["id"].as_str().unwrap().to_string();
    let mut downloading = false;
    for _ in 0..100 {
        let l = env.get("/workflow?category=downloading&page_size=10").await;
        if let Some(t) = l["data"]["tasks"].as_array().unwrap().first()
            && t["summary"]["props"]["download"]["downloaded"] == 1000
        {
            assert_eq!(t["status"], "suspending");
            assert_eq!(t["summary"]["phase"], "monitor");
            assert_eq!(t["summary"]["props"]["download"]["state"], "downloading");
            downloading = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(downloading, "download in progress");
    let c = env
        .json(
            reqwest::Method::DELETE,
            &format!("/workflow/download/{id}"),
            None,
        )
        .await;
    assert_eq!(c["code"], 0, "{c}");
    let done = wait_final(&env, "downloaded", &id).await;
    assert_eq!(done["status"], "canceled");
    let l = env.list("cloudreve://my", "").await;
    assert!(!Env::names(&l).contains(&"slow.bin".to_string()));
    // Unknown or foreign tasks are 404; malformed ids 40001.
    let c = env
        .json(reqwest::Method::DELETE, "/workflow/download/xyz", None)
        .await;
    assert_eq!(c["code"], 40001);
    // Listing validation.
    assert_eq!(env.get("/workflow?category=general").await["code"], 40001);
    assert_eq!(
        env.get("/workflow?category=bogus&page_size=10").await["code"],
        40001
    );
}
