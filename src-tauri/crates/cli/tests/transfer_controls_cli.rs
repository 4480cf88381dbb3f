//! The CLI as a user drives it from two terminals: bandwidth limits that hold, a pause from a
//! second terminal, Ctrl-C and kill -9 in the middle of a download, resume that keeps the
//! options a transfer was started with, destinations that do not exist yet, batches where
//! some files fail, and names the local disk cannot hold.

mod common;

use std::time::{Duration, Instant};

use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use common::*;
use serde_json::Value;

const MIB: u64 = 1 << 20;

async fn sandbox(chunk_size: u64) -> Sandbox {
    Sandbox::start(SandboxConfig {
        chunk_size,
        ..Default::default()
    })
    .await
    .unwrap()
}

fn received(sb: &Sandbox) -> u64 {
    sb.received_chunk_bytes().values().sum()
}

fn file_size(path: &std::path::Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// The CLI's transfer rows, by name.
fn transfer(cli: &Cli, name: &str) -> Value {
    let (code, v) = cli.json(&["transfers"]);
    assert_eq!(code, 0, "{v}");
    v.as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("no transfer {name}: {v}"))
        .clone()
}

fn ls_names(cli: &Cli, path: &str) -> Vec<String> {
    let (code, v) = cli.json(&["ls", path]);
    assert_eq!(code, 0, "{v}");
    let mut names: Vec<String> = v["entries"]
        .as_array()
        .or_else(|| v.as_array())
        .unwrap_or_else(|| panic!("not a listing: {v}"))
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_upload_creates_a_destination_that_does_not_exist_yet() {
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();
    let photos = work.path().join("photos");
    std::fs::create_dir_all(photos.join("2024")).unwrap();
    std::fs::write(photos.join("a.jpg"), content(1000, 1)).unwrap();
    std::fs::write(photos.join("2024/b.jpg"), content(2000, 2)).unwrap();

    let (code, v) = cli.json(&["put", photos.to_str().unwrap(), "/Not yet/there"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(ls_names(&cli, "/Not yet/there"), ["photos"]);
    assert_eq!(ls_names(&cli, "/Not yet/there/photos"), ["2024", "a.jpg"]);
    assert_eq!(ls_names(&cli, "/Not yet/there/photos/2024"), ["b.jpg"]);

    // A destination that is a file is refused before anything is sent.
    let (code, v) = cli.json(&[
        "put",
        photos.to_str().unwrap(),
        "/Not yet/there/photos/a.jpg",
    ]);
    assert_eq!(code, 5, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not a folder"),
        "{v}"
    );
    // So is a local source that does not exist.
    let (code, v) = cli.json(&["put", "/no/such/file", "/"]);
    assert_eq!(code, 6, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bwlimit_holds_for_uploads_and_downloads_whatever_the_chunk_size() {
    // One 25 MiB chunk holds the whole 3 MiB file: the limit must pace the bytes inside it.
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();
    let size = 3 * MIB as usize;
    let data = content(size, 3);
    let file = work.path().join("limited.bin");
    std::fs::write(&file, &data).unwrap();

    let start = Instant::now();
    let (code, v) = cli.json(&["put", file.to_str().unwrap(), "/", "--bwlimit", "1M"]);
    let up = start.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{v}");
    let up_rate = size as f64 / up / MIB as f64;
    assert!(
        (0.85..=1.15).contains(&up_rate),
        "upload at --bwlimit 1M ran at {up_rate:.2} MiB/s ({up:.2} s)"
    );

    let out = work.path().join("out");
    let start = Instant::now();
    let (code, v) = cli.json(&[
        "get",
        "/limited.bin",
        out.to_str().unwrap(),
        "--bwlimit",
        "1M",
    ]);
    let down = start.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{v}");
    let down_rate = size as f64 / down / MIB as f64;
    assert!(
        (0.85..=1.15).contains(&down_rate),
        "download at --bwlimit 1M ran at {down_rate:.2} MiB/s ({down:.2} s)"
    );
    assert_eq!(std::fs::read(out.join("limited.bin")).unwrap(), data);
    eprintln!("measured: upload {up_rate:.3} MiB/s, download {down_rate:.3} MiB/s at 1 MiB/s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_from_another_terminal_stops_the_put_and_resume_finishes_it_at_its_limit() {
    let sb = sandbox(MIB).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();
    let size = 12 * MIB as usize;
    let data = content(size, 4);
    let file = work.path().join("paused.bin");
    std::fs::write(&file, &data).unwrap();

    let put = cli.spawn(&[
        "--json",
        "put",
        file.to_str().unwrap(),
        "/",
        "--bwlimit",
        "2M",
    ]);
    wait_until(Duration::from_secs(30), "the upload to start", || {
        received(&sb) >= 2 * MIB
    })
    .await;
    // A second terminal.
    let (code, v) = cli.json(&["transfers", "pause"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = parse(finish(put, Duration::from_secs(10)).await);
    assert_eq!(code, 11, "the put stops as paused: {v}");
    assert_eq!(v[0]["state"], "paused", "{v}");

    let row = transfer(&cli, "paused.bin");
    assert_eq!(row["state"], "paused", "{row}");
    let done = row["bytesDone"].as_u64().unwrap();
    assert!(done < size as u64, "{row}");
    // Nothing is sent while paused.
    let before = received(&sb);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(received(&sb), before, "bytes went out while paused");

    // The bare command resumes the interrupted transfers, at the limit they were started with.
    let start = Instant::now();
    let (code, v) = cli.json(&["transfers", "resume"]);
    let took = start.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{v}");
    assert_eq!(v[0]["state"], "completed", "{v}");
    let left = (size as u64 - done) as f64 / (2 * MIB) as f64;
    assert!(
        took >= left * 0.8,
        "resume ignored --bwlimit 2M: {took:.2} s for {left:.2} s of bytes"
    );

    let out = work.path().join("back");
    let (code, v) = cli.json(&["get", "/paused.bin", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        sha_hex(&std::fs::read(out.join("paused.bin")).unwrap()),
        sha_hex(&data)
    );
    assert_eq!(sb.active_upload_sessions(), 0);
}

/// Starts a 24 MiB download at 4 MiB/s and waits until 12 MiB are in its part file.
async fn download_half(
    sb: &Sandbox,
    cli: &Cli,
    out: &std::path::Path,
) -> (std::process::Child, String) {
    let sha = sb
        .seed_file_with_content(demo::EMAIL, "/dl/big.bin", 24 * MIB, 9)
        .unwrap();
    let get = cli.spawn(&[
        "--json",
        "get",
        "/dl/big.bin",
        out.to_str().unwrap(),
        "--bwlimit",
        "4M",
    ]);
    let part = out.join("big.bin.part");
    wait_until(Duration::from_secs(30), "half of the download", || {
        file_size(&part) >= 12 * MIB
    })
    .await;
    (get, sha)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_pauses_a_download_and_resume_continues_where_it_stopped() {
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let (get, sha) = download_half(&sb, &cli, &out).await;
    interrupt(&get);
    let stopped = finish(get, Duration::from_secs(10)).await;
    assert_eq!(stopped.status.code(), Some(11), "{stopped:?}");
    let written = file_size(&out.join("big.bin.part"));

    let row = transfer(&cli, "big.bin");
    assert_eq!(row["state"], "paused", "{row}");
    let done = row["bytesDone"].as_u64().unwrap();
    // Everything written before the stop was recorded, but the range cut off by Ctrl-C.
    assert!(
        done + 4 * MIB >= written && done >= 8 * MIB,
        "recorded {done} of {written} written bytes"
    );

    // The rest, at the 4 MiB/s the download was started with: about 3 s, not 6.
    let start = Instant::now();
    let (code, v) = cli.json(&["transfers", "resume"]);
    let took = start.elapsed().as_secs_f64();
    assert_eq!(code, 0, "{v}");
    let left = (24 * MIB - done) as f64 / (4 * MIB) as f64;
    assert!(took >= left * 0.8, "the limit was not kept: {took:.2} s");
    assert!(
        took < left * 1.5 + 1.0,
        "resumed from zero? {took:.2} s for {left:.2} s of bytes"
    );
    assert_eq!(sha_hex(&std::fs::read(out.join("big.bin")).unwrap()), sha);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_download_loses_at_most_the_range_in_flight() {
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let (mut get, sha) = download_half(&sb, &cli, &out).await;
    get.kill().unwrap(); // SIGKILL: nothing is flushed or recorded on the way out.
    get.wait().unwrap();
    let written = file_size(&out.join("big.bin.part"));

    let row = transfer(&cli, "big.bin");
    assert_eq!(
        row["state"], "paused",
        "an interrupted transfer waits for resume: {row}"
    );
    let done = row["bytesDone"].as_u64().unwrap();
    assert!(
        done + 4 * MIB >= written,
        "a crash lost more than one 4 MiB range: {done} recorded, {written} written"
    );
    let (code, v) = cli.json(&["transfers", "resume"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(sha_hex(&std::fs::read(out.join("big.bin")).unwrap()), sha);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resume_leaves_failed_transfers_to_retry_and_stderr_has_no_log_lines() {
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("twice.txt");
    std::fs::write(&file, b"hello").unwrap();
    let (code, v) = cli.json(&["put", file.to_str().unwrap(), "/"]);
    assert_eq!(code, 0, "{v}");
    // The same name again: a conflict no retry can fix.
    let out = cli.run(&["put", file.to_str().unwrap(), "/"], None);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("WARN") && !stderr.contains("cirrus_core"),
        "log lines without -v: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("already exists"), "{stdout}");

    let (code, v) = cli.json(&["transfers", "resume", "--all"]);
    assert_eq!(code, 0, "resume re-ran a failed transfer: {v}");
    assert_eq!(v.as_array().map(Vec::len), Some(0), "{v}");
    let failed: Vec<Value> = cli.json(&["transfers"]).1.as_array().unwrap().clone();
    assert_eq!(
        failed.iter().filter(|i| i["state"] == "failed").count(),
        1,
        "{failed:?}"
    );
    // Retry is the way to run it again (and it fails the same way).
    let (code, v) = cli.json(&["transfers", "retry"]);
    assert_eq!(code, 5, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_where_some_files_fail_exits_9_and_lists_them() {
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let work = tempfile::tempdir().unwrap();

    // Upload: one name of nine is one the server refuses; it fails before any byte goes.
    let up = work.path().join("nine");
    std::fs::create_dir_all(&up).unwrap();
    for i in 0..8 {
        std::fs::write(up.join(format!("f{i}.txt")), content(100 + i, i as u32)).unwrap();
    }
    std::fs::write(up.join("bad:name.txt"), b"x").unwrap();
    let (code, v) = cli.json(&["put", up.to_str().unwrap(), "/"]);
    assert_eq!(code, 9, "{v}");
    let failed = v[0]["failedFiles"].as_array().unwrap();
    assert_eq!(failed.len(), 1, "{v}");
    assert_eq!(failed[0]["name"], "bad:name.txt");
    assert_eq!(failed[0]["errorKind"], "invalidName");
    assert!(failed[0]["error"].as_str().unwrap().contains("':'"), "{v}");
    assert_eq!(ls_names(&cli, "/nine").len(), 8);
    assert_eq!(sb.active_upload_sessions(), 0);

    // Download: one of nine files cannot be written (a folder stands in its place).
    let out = work.path().join("out");
    std::fs::create_dir_all(out.join("nine/f3.txt")).unwrap();
    let got = cli.run(
        &[
            "get",
            "/nine",
            out.to_str().unwrap(),
            "--conflict",
            "overwrite",
        ],
        None,
    );
    assert_eq!(got.status.code(), Some(9), "{got:?}");
    let text = String::from_utf8_lossy(&got.stdout);
    assert!(text.contains("1 of 8 file(s) failed"), "{text}");
    assert!(text.contains("f3.txt"), "{text}");
    assert_eq!(
        std::fs::read(out.join("nine/f5.txt")).unwrap(),
        content(105, 5)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_too_long_for_the_local_disk_are_shortened_and_reported() {
    let sb = sandbox(26_214_400).await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    // 253 bytes each (Cloudreve allows 255): with ".part" they are over ext4's 255.
    let a = format!("{}.txt", "数".repeat(83));
    let b = format!("{}一.txt", "数".repeat(82));
    let sha_a = sb
        .seed_file_with_content(demo::EMAIL, &format!("/long/{a}"), 1000, 1)
        .unwrap();
    let sha_b = sb
        .seed_file_with_content(demo::EMAIL, &format!("/long/{b}"), 2000, 2)
        .unwrap();
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("out");
    let (code, v) = cli.json(&["get", "/long", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    let renamed = v[0]["renamed"].as_array().unwrap();
    assert_eq!(renamed.len(), 2, "{v}");

    let mut local: Vec<(String, String)> = std::fs::read_dir(out.join("long"))
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, sha_hex(&std::fs::read(e.path()).unwrap()))
        })
        .collect();
    local.sort();
    assert_eq!(local.len(), 2, "{local:?}");
    for (name, _) in &local {
        assert!(name.len() <= 240 && name.ends_with(".txt"), "{name}");
        assert!(name.starts_with("数数数"), "{name}");
        assert!(
            renamed.iter().any(|r| r["savedAs"] == name.as_str()),
            "{name} not reported: {v}"
        );
    }
    let shas: Vec<&str> = local.iter().map(|(_, s)| s.as_str()).collect();
    assert!(shas.contains(&sha_a.as_str()) && shas.contains(&sha_b.as_str()));

    // A single file too, and the human output says what it was saved as.
    let out2 = work.path().join("single");
    let got = cli.run(
        &["get", &format!("/long/{a}"), out2.to_str().unwrap()],
        None,
    );
    assert_eq!(got.status.code(), Some(0), "{got:?}");
    let text = String::from_utf8_lossy(&got.stdout);
    assert!(text.contains("saved as"), "{text}");
}
