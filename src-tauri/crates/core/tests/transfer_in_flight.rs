//! How much the engine keeps in flight, counted by the sandbox itself (the most chunk or
//! part requests it handled at once) over a line with a round trip, so requests overlap only
//! when the client sends them together: `chunk_concurrency` chunks on local and slave
//! policies (relay sessions take the whole file in one request), several S3 parts whatever the policy says, and many small files per slot.

mod common;
mod uploads_common;

use cirrus_core::provider::*;
use cirrus_core::transfer::engine::SMALL_PER_SLOT;
use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::faults::{FaultTarget, LinkProfile};
use cirrus_sandbox::policy::PolicyKind;
use std::sync::Arc;
use uploads_common::{S3_PART, data, download_bytes, remote_entry, sha, write};

fn line(policy: PolicyKind, chunk_size: u64, chunk_concurrency: u32) -> SandboxConfig {
    SandboxConfig {
        policy,
        chunk_size,
        chunk_concurrency,
        // No bandwidth cap: the round trip alone makes requests overlap when sent together.
        link: LinkProfile::new(40, 0.0),
        ..Default::default()
    }
}

async fn upload_all(p: Arc<dyn Provider>, files: &[(String, Vec<u8>)], parallel: usize) {
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let config = EngineConfig {
        parallel_files: parallel,
        retry: RetryPolicy::fast(4),
        ..Default::default()
    };
    let e = TransferEngine::new(p.clone(), q.clone(), config).unwrap();
    for (name, content) in files {
        let f = write(dir.path(), name, content);
        e.enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
            .unwrap();
    }
    e.wait_idle().await.unwrap();
    for item in q.list().unwrap() {
        assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    }
}

/// The file arrived whole and byte-identical.
async fn arrived(p: &Arc<dyn Provider>, name: &str, content: &[u8]) {
    let entry = remote_entry(p.as_ref(), &p.root(), name).await;
    assert_eq!(entry.size, content.len() as u64, "{name}");
    assert_eq!(
        sha(&download_bytes(p.clone(), &entry).await),
        sha(content),
        "{name}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunked_policies_keep_chunk_concurrency_chunks_in_flight() {
    for policy in [PolicyKind::Local, PolicyKind::Relay, PolicyKind::Remote] {
        for cc in [1u32, 4] {
            let env = common::env(line(policy, 64 << 10, cc)).await;
            let (_, p) = env.signed_in().await;
            let content = data((1 << 20) + 123, 7);
            upload_all(p.clone(), &[("big.bin".into(), content.clone())], 1).await;
            let peak = env.sandbox.faults().peak_in_flight(FaultTarget::Chunk);
            // A relay session has chunk size 0: the whole file is one request (§8.4).
            let want = if policy == PolicyKind::Relay { 1 } else { cc };
            assert_eq!(peak, want as u64, "{policy:?} chunk_concurrency {cc}");
            arrived(&p, "big.bin", &content).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_parts_go_several_at_once_even_when_the_policy_says_one() {
    let env = common::env(line(PolicyKind::S3, S3_PART, 1)).await;
    let (_, p) = env.signed_in().await;
    let content = data((5 * S3_PART + 1000) as usize, 9);
    upload_all(p.clone(), &[("parts.bin".into(), content.clone())], 1).await;
    let peak = env.sandbox.faults().peak_in_flight(FaultTarget::Part);
    assert_eq!(peak, 4, "S3 parts in flight");
    arrived(&p, "parts.bin", &content).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_files_fill_a_slot_sixteen_at_a_time_with_two_requests_each() {
    let env = common::env(line(PolicyKind::Local, 1 << 20, 1)).await;
    let (_, p) = env.signed_in().await;
    let files: Vec<(String, Vec<u8>)> = (0..48)
        .map(|i| (format!("s{i:02}.bin"), data(3000 + i, i as u8)))
        .collect();
    let before = env.sandbox.fault_stats().requests;
    let t = std::time::Instant::now();
    upload_all(p.clone(), &files, 1).await;
    let took = t.elapsed();
    let requests = env.sandbox.fault_stats().requests - before;
    let peak = env.sandbox.faults().peak_in_flight(FaultTarget::Chunk);
    // One slot = 16 small files at once: 48 files in about three waves of two round trips,
    // instead of 48 × 2 round trips one after another (≈ 4 s).
    assert_eq!(peak, SMALL_PER_SLOT as u64, "small files in flight");
    assert!(took.as_secs_f64() < 2.0, "{took:?}");
    assert!(requests <= 2 * 48 + 4, "{requests} requests for 48 files");
    for (name, content) in files.iter().step_by(7) {
        arrived(&p, name, content).await;
    }
}
