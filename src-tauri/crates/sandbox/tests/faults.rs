//! Fault injection: each fault kind fires (counters), a fixed seed replays the same fault
//! sequence, stored data stays intact, connections can be cut, and seeding is fast.

mod common;

use std::time::{Duration, Instant};

use cirrus_sandbox::faults::{FaultConfig, FaultKind, FaultTarget};
use cirrus_sandbox::{SandboxConfig, demo as demo_user};
use common::*;
use futures::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn chunk_faults(seed: u64) -> SandboxConfig {
    SandboxConfig {
        chunk_size: 1024,
        faults: FaultConfig {
            seed,
            chunk_fail_rate: 0.5,
            kinds: vec![FaultKind::ServerError, FaultKind::TooManyRequests],
            ..FaultConfig::default()
        },
        ..SandboxConfig::default()
    }
}

/// Upload 20 chunks, retrying failed ones; returns the HTTP status of every attempt.
async fn upload_with_retries(env: &Env, data: &[u8]) -> Vec<u16> {
    let s = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/f.bin", "size": data.len()}),
        )
        .await;
    let sid = s["data"]["session_id"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    for (i, c) in data.chunks(1024).enumerate() {
        loop {
            let r = env
                .req(reqwest::Method::POST, &format!("/file/upload/{sid}/{i}"))
                .body(c.to_vec())
                .send()
                .await
                .unwrap();
            let st = r.status().as_u16();
            statuses.push(st);
            if st == 429 {
                assert_eq!(r.headers()["retry-after"], "1");
            }
            if st == 200 {
                let v: serde_json::Value = r.json().await.unwrap();
                assert_eq!(v["code"], 0, "{v}");
                break;
            }
            assert!(st == 429 || st >= 500, "{st}");
        }
    }
    statuses
}

#[tokio::test]
async fn seeded_chunk_failures_replay_and_never_corrupt() {
    let data = cirrus_sandbox::seed::seeded_bytes(20 * 1024, 5);
    let env = demo(chunk_faults(1234)).await;
    let first = upload_with_retries(&env, &data).await;
    let st = env.sb.fault_stats();
    assert!(st.server_errors > 0 && st.too_many_requests > 0, "{st:?}");
    assert_eq!(
        first.iter().filter(|s| **s != 200).count() as u64,
        st.server_errors + st.too_many_requests
    );
    assert!(st.events.iter().all(|e| e.target == FaultTarget::Chunk));
    assert_eq!(sha(&env.download("cloudreve://my/f.bin").await), sha(&data));

    // Same seed, fresh server: identical sequence. Another seed: a different one.
    let again = demo(chunk_faults(1234)).await;
    assert_eq!(upload_with_retries(&again, &data).await, first);
    assert_eq!(again.sb.fault_stats().events, st.events);
    let other = demo(chunk_faults(99)).await;
    assert_ne!(upload_with_retries(&other, &data).await, first);

    // set_faults restarts the run: the same seed replays on the same server too.
    env.sb.set_faults(chunk_faults(1234).faults);
    env.delete(
        "/file",
        json!({"uris": ["cloudreve://my/f.bin"], "skip_soft_delete": true}),
    )
    .await;
    assert_eq!(upload_with_retries(&env, &data).await, first);
}

#[tokio::test]
async fn dropped_chunk_is_not_written_and_retry_succeeds() {
    let env = demo(SandboxConfig {
        chunk_size: 4096,
        ..SandboxConfig::default()
    })
    .await;
    let data = cirrus_sandbox::seed::seeded_bytes(8192, 1);
    let s = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/d.bin", "size": 8192}),
        )
        .await;
    let sid = s["data"]["session_id"].as_str().unwrap().to_string();
    env.sb.set_faults(FaultConfig {
        chunk_fail_rate: 1.0,
        kinds: vec![FaultKind::Drop],
        ..FaultConfig::default()
    });
    let r = env
        .req(reqwest::Method::POST, &format!("/file/upload/{sid}/0"))
        .body(vec![0xEEu8; 4096])
        .send()
        .await;
    assert!(r.is_err(), "connection must drop: {r:?}");
    let st = env.sb.fault_stats();
    assert_eq!(st.drops, 1);
    assert!(st.connections_cut >= 1, "{st:?}");
    env.sb.set_faults(FaultConfig::default());
    // The garbage chunk never reached the blob: the real chunks complete the file intact.
    for (i, c) in data.chunks(4096).enumerate() {
        assert_eq!(env.chunk(&sid, i as u64, c.to_vec()).await["code"], 0);
    }
    assert_eq!(env.download("cloudreve://my/d.bin").await, data);
}

#[tokio::test]
async fn download_drop_stall_latency_and_bandwidth() {
    let env = demo(SandboxConfig::default()).await;
    let hash = env
        .sb
        .seed_file_with_content(demo_user::EMAIL, "big/blob.bin", 64 * 1024, 3)
        .unwrap();
    let url = env.url_of("cloudreve://my/big/blob.bin", false).await;

    // Drop mid-body: headers arrive, the body is cut.
    env.sb.set_faults(FaultConfig {
        download_fail_rate: 1.0,
        kinds: vec![FaultKind::Drop],
        ..FaultConfig::default()
    });
    let r = env.http.get(&url).send().await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed, "truncated body must fail");
    assert_eq!(env.sb.fault_stats().drops, 1);

    // Stall: the client gives up.
    env.sb.set_faults(FaultConfig {
        download_fail_rate: 1.0,
        kinds: vec![FaultKind::Stall],
        stall: Duration::from_secs(10),
        ..FaultConfig::default()
    });
    let client = reqwest::Client::builder()
        .timeout(Duration::from_millis(800))
        .build()
        .unwrap();
    let r = client.get(&url).send().await;
    let failed = match r {
        Err(_) => true,
        Ok(r) => r.bytes().await.is_err(),
    };
    assert!(failed);
    assert_eq!(env.sb.fault_stats().stalls, 1);

    // Latency and a bandwidth cap slow things down but deliver the right bytes.
    env.sb.set_faults(FaultConfig {
        latency: Duration::from_millis(300),
        bandwidth_bps: 64 * 1024,
        ..FaultConfig::default()
    });
    let t = Instant::now();
    let body = env
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(1100),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(sha(&body), hash);
    let st = env.sb.fault_stats();
    assert_eq!(st.delayed, 1);
    assert_eq!(st.throttled, 1);

    // Other requests are untouched by download faults.
    env.sb.set_faults(FaultConfig {
        download_fail_rate: 1.0,
        kinds: vec![FaultKind::ServerError],
        ..FaultConfig::default()
    });
    assert_eq!(env.list("cloudreve://my", "").await["code"], 0);
    let r = env.http.get(&url).send().await.unwrap();
    assert!(r.status().is_server_error());
    assert_eq!(env.sb.fault_stats().server_errors, 1);
}

#[tokio::test]
async fn restart_cuts_open_connections_and_keeps_state() {
    let env = demo(SandboxConfig::default()).await;
    let hash = env
        .sb
        .seed_file_with_content(demo_user::EMAIL, "r.bin", 256 * 1024, 11)
        .unwrap();
    let url = env.url_of("cloudreve://my/r.bin", false).await;
    // A slow download stays open long enough to be cut.
    env.sb.set_faults(FaultConfig {
        bandwidth_bps: 64 * 1024,
        ..FaultConfig::default()
    });
    let r = env.http.get(&url).send().await.unwrap();
    let mut body = r.bytes_stream();
    let first = body.next().await.unwrap();
    assert!(first.is_ok());
    env.sb.restart_connections();
    let mut failed = false;
    while let Some(c) = body.next().await {
        if c.is_err() {
            failed = true;
            break;
        }
    }
    assert!(failed, "open download must be cut");
    let st = env.sb.fault_stats();
    assert_eq!(st.restarts, 1);
    assert!(st.connections_cut >= 1, "{st:?}");
    // New connections work and state survived.
    env.sb.set_faults(FaultConfig::default());
    assert_eq!(sha(&env.download("cloudreve://my/r.bin").await), hash);
}

#[tokio::test]
async fn seeding_100k_entries_is_fast() {
    let env = demo(SandboxConfig::default()).await;
    let t = Instant::now();
    env.sb.seed_files(demo_user::EMAIL, "huge", 100_000);
    assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    let l = env.list("cloudreve://my/huge", "&page_size=2000").await;
    assert_eq!(l["data"]["files"].as_array().unwrap().len(), 2000);
    assert_eq!(l["data"]["files"][0]["name"], "file-000001.txt");
    // Deterministic content: the same seed gives the same hash, a different one does not.
    let a = env
        .sb
        .seed_file_with_content(demo_user::EMAIL, "s/a.bin", 5000, 1)
        .unwrap();
    let b = env
        .sb
        .seed_file_with_content(demo_user::EMAIL, "s/b.bin", 5000, 1)
        .unwrap();
    let c = env
        .sb
        .seed_file_with_content(demo_user::EMAIL, "s/c.bin", 5000, 2)
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert!(
        env.sb
            .seed_file_with_content(demo_user::EMAIL, "s/a.bin", 1, 1)
            .is_err()
    );
    assert_eq!(sha(&env.download("cloudreve://my/s/c.bin").await), c);
}
