//! End-to-end: `cirrus share …` and `cirrus tasks …` with `--json` against the sandbox, including
//! a remote download served by a tiny local HTTP server and `tasks watch` until the task ends.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use cirrus_sandbox::{Sandbox, SandboxConfig};

mod common;
use common::Cli;

/// A one-route HTTP/1.1 server on 127.0.0.1: `/data.bin` answers `payload`, `/slow.bin`
/// announces 100 000 bytes, sends 1000 and then holds the connection open.
fn serve(payload: Vec<u8>) -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    std::thread::spawn(move || {
        for conn in l.incoming() {
            let Ok(mut s) = conn else { continue };
            let payload = payload.clone();
            std::thread::spawn(move || {
                let mut req = Vec::new();
                let mut buf = [0u8; 1024];
                while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let head = String::from_utf8_lossy(&req);
                if head.starts_with("GET /slow.bin ") {
                    let _ = s.write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\nconnection: close\r\n\r\n",
                    );
                    let _ = s.write_all(&[1u8; 1000]);
                    let _ = s.flush();
                    // Stall until the client (the cancelled download) hangs up.
                    while !matches!(s.read(&mut buf), Ok(0) | Err(_)) {}
                } else if head.starts_with("GET /data.bin ") {
                    let _ = s.write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            payload.len()
                        )
                        .as_bytes(),
                    );
                    let _ = s.write_all(&payload);
                } else {
                    let _ = s.write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                    );
                }
            });
        }
    });
    format!("http://{addr}")
}

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn share_create_list_edit_rm() {
    let sb = sandbox().await;
    let cli = Cli::new();
    cli.login(&sb.base_url());

    let (code, v) = cli.json(&[
        "share",
        "create",
        "/Documents",
        "--password",
        "abc123",
        "--downloads",
        "5",
        "--expires",
        "3600",
    ]);
    assert_eq!(code, 0, "{v}");
    let id = v["share"]["id"].as_str().unwrap().to_string();
    assert_eq!(v["share"]["password"], "abc123");
    assert_eq!(v["share"]["isFolder"], true);
    assert_eq!(v["share"]["remainingDownloads"], 5);
    assert!(v["share"]["expiresAt"].is_string(), "{v}");
    let url = v["share"]["url"].as_str().unwrap();
    assert!(
        url.starts_with(&format!("{}/s/{id}", sb.base_url())),
        "{url}"
    );
    assert!(v["linkText"].as_str().unwrap().starts_with(url));

    let (code, v) = cli.json(&["share", "create", "/Welcome.txt", "--random-password"]);
    assert_eq!(code, 0, "{v}");
    let generated = v["share"]["password"].as_str().unwrap();
    assert_eq!(generated.len(), 8, "{v}");
    let second = v["share"]["id"].as_str().unwrap().to_string();

    let (code, v) = cli.json(&["share", "list"]);
    assert_eq!(code, 0, "{v}");
    let ids: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), id.as_str()]);

    let (code, v) = cli.json(&["share", "edit", &id, "/Documents", "--downloads", "9"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["id"], id.as_str());
    assert_eq!(v["remainingDownloads"], 9);
    // The password survives an edit, and so does the expiry that was not asked to change.
    assert_eq!(v["password"], "abc123");
    assert!(v["expiresAt"].is_string(), "the expiry was dropped: {v}");
    let (code, v) = cli.json(&["share", "edit", &id, "/Documents", "--expires", "60"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        v["remainingDownloads"], 9,
        "the download limit was dropped: {v}"
    );
    let (code, v) = cli.json(&["share", "edit", &id, "/Documents", "--no-expiry"]);
    assert_eq!(code, 0, "{v}");
    assert!(v["expiresAt"].is_null(), "{v}");
    assert_eq!(v["remainingDownloads"], 9, "{v}");

    let (code, v) = cli.json(&["share", "rm", &id]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["deleted"], id.as_str());
    let (_, v) = cli.json(&["share", "list"]);
    assert_eq!(v.as_array().unwrap().len(), 1);

    // Errors keep their class in the exit code and the JSON.
    let (code, v) = cli.json(&["share", "create", "/nope"]);
    assert_eq!(code, 4, "{v}");
    assert_eq!(v["error"]["kind"], "notFound");
    let (code, v) = cli.json(&["share", "rm", &id]);
    assert_eq!(code, 4, "{v}");
    let (code, v) = cli.json(&["share", "create", "/Photos", "--password", "a b"]);
    assert_eq!(code, 6, "{v}");
    assert_eq!(v["error"]["kind"], "invalidInput");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_archive_extract_download_watch_list_cancel() {
    let sb = sandbox().await;
    let cli = Cli::new();
    cli.login(&sb.base_url());

    // Archive, then follow it to the end.
    let (code, v) = cli.json(&[
        "tasks",
        "archive",
        "/Documents",
        "/Welcome.txt",
        "--to",
        "/",
        "--name",
        "all.zip",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["taskType"], "create_archive");
    assert_eq!(v["destination"], "cloudreve://my/all.zip");
    let archive_id = v["id"].as_str().unwrap().to_string();
    let (code, lines) = cli.json_lines(&["tasks", "watch", &archive_id, "--interval", "1"]);
    assert_eq!(code, 0, "{lines:?}");
    let last = lines.last().unwrap();
    assert_eq!(last["task"]["id"], archive_id.as_str());
    assert_eq!(last["task"]["status"], "completed");
    assert!(last["progress"]["items"].is_array(), "{last}");
    let (code, v) = cli.json(&["stat", "/all.zip"]);
    assert_eq!(code, 0, "{v}");
    assert!(v["size"].as_u64().unwrap() > 0);

    // Extract it into a new folder: the sources come back.
    let (code, v) = cli.json(&["mkdir", "/ex"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["tasks", "extract", "/all.zip", "--to", "/ex"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["taskType"], "extract_archive");
    let extract_id = v["id"].as_str().unwrap().to_string();
    let (code, lines) = cli.json_lines(&["tasks", "watch", &extract_id, "--interval", "1"]);
    assert_eq!(code, 0, "{lines:?}");
    let (code, v) = cli.json(&["ls", "/ex"]);
    assert_eq!(code, 0, "{v}");
    let mut names: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Documents", "Welcome.txt"]);
    let (_, v) = cli.json(&["stat", "/ex/Documents/Report 2024.txt"]);
    assert_eq!(v["size"], 19, "{v}");

    // Remote download of a served file.
    let payload: Vec<u8> = (0..70_000u32).map(|i| (i % 253) as u8).collect();
    let base = serve(payload.clone());
    let url = format!("{base}/data.bin");
    let (code, v) = cli.json(&["tasks", "download", &url, "--to", "/"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v[0]["taskType"], "remote_download");
    assert_eq!(v[0]["source"], url.as_str());
    let dl_id = v[0]["id"].as_str().unwrap().to_string();
    let (code, lines) = cli.json_lines(&["tasks", "watch", &dl_id, "--interval", "1"]);
    assert_eq!(code, 0, "{lines:?}");
    let last = lines.last().unwrap();
    assert_eq!(last["task"]["download"]["total"], 70_000);
    let (code, v) = cli.json(&["stat", "/data.bin"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["size"], 70_000);
    let dir = tempfile::tempdir().unwrap();
    let (code, v) = cli.json(&["get", "/data.bin", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(std::fs::read(dir.path().join("data.bin")).unwrap(), payload);

    // Lists by category.
    let (code, v) = cli.json(&["tasks", "list"]);
    assert_eq!(code, 0, "{v}");
    let general: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(general.len(), 2, "{v}");
    assert!(general.contains(&archive_id.as_str()) && general.contains(&extract_id.as_str()));
    let (_, v) = cli.json(&["tasks", "list", "--category", "downloaded"]);
    assert_eq!(v.as_array().unwrap().len(), 1, "{v}");
    assert_eq!(v[0]["id"], dl_id.as_str());
    let (_, v) = cli.json(&["tasks", "list", "--category", "downloading"]);
    assert!(v.as_array().unwrap().is_empty(), "{v}");

    // A download that never finishes: see it running, cancel it, watch reports the end.
    let (code, v) = cli.json(&[
        "tasks",
        "download",
        &format!("{base}/slow.bin"),
        "--to",
        "/",
    ]);
    assert_eq!(code, 0, "{v}");
    let slow = v[0]["id"].as_str().unwrap().to_string();
    let mut running = false;
    for _ in 0..50 {
        let (_, v) = cli.json(&["tasks", "list", "--category", "downloading"]);
        if v.as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == slow.as_str() && t["download"]["downloaded"] == 1000)
        {
            running = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(running, "slow download seen in progress");
    let (code, v) = cli.json(&["tasks", "cancel", &slow]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["canceled"], slow.as_str());
    let (code, lines) = cli.json_lines(&["tasks", "watch", &slow, "--interval", "1"]);
    assert_eq!(code, 8, "a cancelled task is not a success: {lines:?}");
    assert_eq!(lines.last().unwrap()["task"]["status"], "canceled");

    // Unknown or malformed ids.
    let (code, v) = cli.json(&["tasks", "cancel", "xyz"]);
    assert_eq!(code, 6, "{v}");
    assert_eq!(v["error"]["kind"], "invalidInput");
    let (code, lines) = cli.json_lines(&["tasks", "watch", "nope-nope", "--interval", "1"]);
    assert_eq!(code, 4, "{lines:?}");
    assert_eq!(lines.last().unwrap()["error"]["kind"], "notFound");
}
