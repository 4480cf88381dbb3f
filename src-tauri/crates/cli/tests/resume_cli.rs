//! The `cirrus` process is killed (SIGKILL) in the middle of an upload and started again:
//! `cirrus transfers resume` finishes the same upload session, re-sending at most the chunks
//! that were in flight, and the file on the server is byte-identical.

use std::time::{Duration, Instant};

use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use sha2::{Digest, Sha256};

mod common;
use common::Cli;

const CHUNK: u64 = 1 << 20;
const CONCURRENCY: u32 = 2;
const SIZE: usize = 24 << 20;

fn content() -> Vec<u8> {
    let mut x = 0x2545_F491u32;
    (0..SIZE)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

fn sha(b: &[u8]) -> Vec<u8> {
    Sha256::digest(b).to_vec()
}

/// The one upload session's stored chunk bytes (re-sends included).
fn received(sandbox: &Sandbox) -> u64 {
    sandbox.received_chunk_bytes().values().sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_mid_upload_resumes_without_resending_acknowledged_chunks() {
    let sandbox = Sandbox::start(SandboxConfig {
        chunk_size: CHUNK,
        chunk_concurrency: CONCURRENCY,
        encryption: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let cli = Cli::new();
    let login = cli.run(
        &[
            "--json",
            "login",
            "--server",
            &sandbox.base_url(),
            "--email",
            demo::EMAIL,
            "--password-stdin",
        ],
        Some(&format!("{}\n", demo::PASSWORD)),
    );
    assert_eq!(login.status.code(), Some(0), "{login:?}");

    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("big.bin");
    let data = content();
    std::fs::write(&file, &data).unwrap();

    // 4 MiB/s: the 24 MiB take ~6 s, plenty of time to kill it part-way.
    let mut put = cli.spawn(&[
        "--json",
        "put",
        file.to_str().unwrap(),
        "/",
        "--bwlimit",
        "4M",
    ]);
    let start = Instant::now();
    while received(&sandbox) < 4 * CHUNK {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no progress: {:?}",
            put.try_wait()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    put.kill().unwrap(); // SIGKILL: no clean-up of any kind.
    put.wait().unwrap();
    let before = received(&sandbox);
    assert!(
        before < SIZE as u64,
        "killed too late: {before} bytes already stored"
    );
    assert_eq!(sandbox.active_upload_sessions(), 1, "the session survives");

    let (code, v) = cli.json(&["transfers", "resume", "--all"]);
    assert_eq!(code, 0, "{v}");
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "completed"),
        "{v}"
    );
    let sessions = sandbox.received_chunk_bytes();
    assert_eq!(sessions.len(), 1, "the same session went on: {sessions:?}");
    let total = received(&sandbox);
    let resent = total - SIZE as u64;
    eprintln!("stored {before} bytes before the kill; {resent} bytes sent twice");
    // Only chunks stored but not yet recorded as acknowledged when the process died can
    // come again: at most one per in-flight slot.
    assert!(
        resent <= CHUNK * u64::from(CONCURRENCY),
        "{resent} bytes sent twice (stored {before} before the kill)"
    );
    assert_eq!(sandbox.active_upload_sessions(), 0);

    let out = work.path().join("out");
    let (code, v) = cli.json(&["get", "/big.bin", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(
        sha(&std::fs::read(out.join("big.bin")).unwrap()),
        sha(&data)
    );
}
