//! Uploads to every storage policy under seeded faults (failed chunks and parts, 429 with
//! `Retry-After`, dropped and stalled connections, failed callbacks): every file completes
//! byte-identical and no upload session stays open. Also: an upload that keeps failing
//! keeps its session for Retry, and cancelling it leaves nothing behind on the server.

mod common;
mod uploads_common;

use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::faults::{FaultConfig, FaultKind, FaultTarget, decide_pure};
use cirrus_sandbox::policy::PolicyKind;
use std::sync::Arc;
use std::time::Duration;
use uploads_common::*;

fn faults(seed: u64) -> FaultConfig {
    FaultConfig {
        seed,
        chunk_fail_rate: 0.15,
        part_fail_rate: 0.15,
        callback_fail_rate: 0.2,
        drop_rate: 0.02,
        retry_after: Duration::from_secs(1),
        stall: Duration::from_millis(300),
        ..FaultConfig::default()
    }
}

/// Sizes per policy: several chunks each, plus a one-chunk file.
fn sizes(kind: PolicyKind) -> Vec<usize> {
    let c = chunk_for(kind) as usize;
    if kind.is_s3_family() || kind == PolicyKind::Qiniu {
        vec![c + 3, 2 * c + 1, 3 * c]
    } else {
        vec![1, c + 1, 7 * c + 5, 12 * c]
    }
}

/// Whether the storage, not the client, calls Cloudreve back. A failed storage callback
/// cannot be repeated by the client: the upload starts over (tested on its own below), so
/// callback faults are left out of the general fault runs of these policies.
fn storage_calls_back(kind: PolicyKind) -> bool {
    matches!(
        kind,
        PolicyKind::Obs | PolicyKind::Oss | PolicyKind::Qiniu | PolicyKind::Upyun
    )
}

async fn survives_faults(kind: PolicyKind, encryption: bool, seed: u64) {
    let env = common::env(SandboxConfig {
        policy: kind,
        encryption,
        ..Default::default()
    })
    .await;
    env.sandbox
        .set_policy_chunking(kind, chunk_for(kind), 2)
        .unwrap();
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(12, true)).unwrap();
    let mut files = vec![];
    // Before the first enqueue: the engine starts at once, and this restarts the counters.
    let mut cfg = faults(seed);
    if storage_calls_back(kind) {
        cfg.callback_fail_rate = 0.0;
    }
    env.sandbox.set_faults(cfg);
    for (i, size) in sizes(kind).into_iter().enumerate() {
        let name = format!("faulty-{i}.bin");
        let content = data(size, 40 + i as u8);
        let f = write(dir.path(), &name, &content);
        e.enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
            .unwrap();
        files.push((name, content));
    }
    e.wait_idle().await.unwrap();
    let stats = env.sandbox.fault_stats();
    env.sandbox.set_faults(FaultConfig::default());
    for it in q.list().unwrap() {
        assert_eq!(
            it.state,
            ItemState::Completed,
            "{kind}: {} {:?} {:?}",
            it.name,
            it.error,
            stats.events
        );
    }
    let injected = stats.server_errors + stats.too_many_requests + stats.drops + stats.stalls;
    assert!(injected > 0, "{kind}: no fault fired: {stats:?}");
    assert_eq!(env.sandbox.active_upload_sessions(), 0, "{kind}");
    for (name, content) in &files {
        let entry = remote_entry(p.as_ref(), &p.root(), name).await;
        let got = download_bytes(p.clone(), &entry).await;
        assert_eq!(sha(&got), sha(content), "{kind} {name} differs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_survives_faults() {
    survives_faults(PolicyKind::Local, true, 11).await;
    survives_faults(PolicyKind::Local, false, 12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_survives_faults() {
    survives_faults(PolicyKind::Relay, true, 13).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_node_survives_faults() {
    survives_faults(PolicyKind::Remote, true, 14).await;
    survives_faults(PolicyKind::Remote, false, 15).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_survives_faults() {
    survives_faults(PolicyKind::S3, false, 16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ks3_and_cos_survive_faults() {
    survives_faults(PolicyKind::Ks3, false, 17).await;
    survives_faults(PolicyKind::Cos, false, 18).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_survives_faults() {
    survives_faults(PolicyKind::Obs, false, 19).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onedrive_survives_faults() {
    survives_faults(PolicyKind::OneDrive, false, 20).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qiniu_survives_faults() {
    survives_faults(PolicyKind::Qiniu, false, 21).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upyun_survives_faults() {
    survives_faults(PolicyKind::Upyun, false, 22).await;
}

/// Policies the sandbox gained later (OSS, …) face the same faults.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_policy_survives_faults() {
    let env = common::env(SandboxConfig::default()).await;
    let available = env.sandbox.available_policies();
    for (i, kind) in available
        .into_iter()
        .filter(|k| !COVERED_POLICIES.contains(k))
        .enumerate()
    {
        eprintln!("also covering the {kind} policy");
        survives_faults(kind, true, 30 + i as u64).await;
    }
}

/// A storage callback that fails once (OSS/OBS answer 203): the session cannot finish, the
/// engine cancels it and starts over once, and the file arrives intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_storage_callback_starts_the_upload_over() {
    storage_callback_fails_once(PolicyKind::Obs).await;
}

/// The same with Qiniu, whose store answers 579 when its callback failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_qiniu_callback_starts_the_upload_over() {
    storage_callback_fails_once(PolicyKind::Qiniu).await;
}

async fn storage_callback_fails_once(kind: PolicyKind) {
    let env = common::env(SandboxConfig {
        policy: kind,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(3, false)).unwrap();
    let content = data(4000, 5);
    let f = write(dir.path(), "again.bin", &content);
    // A seed whose first callback fails with a 5xx and whose second one goes through.
    let mut cfg = FaultConfig {
        callback_fail_rate: 0.5,
        kinds: vec![FaultKind::ServerError],
        ..FaultConfig::default()
    };
    cfg.seed = (0..1000)
        .find(|&seed| {
            let c = FaultConfig {
                seed,
                ..cfg.clone()
            };
            decide_pure(&c, FaultTarget::Callback, 0).is_some()
                && decide_pure(&c, FaultTarget::Callback, 1).is_none()
        })
        .unwrap();
    env.sandbox.set_faults(cfg);
    let id = e
        .enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    assert_eq!(env.sandbox.fault_stats().server_errors, 1);
    let entry = remote_entry(p.as_ref(), &p.root(), "again.bin").await;
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&content));
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

/// Every part fails with 5xx: the engine gives up but keeps the session (Retry resumes it);
/// cancelling then removes the session and the placeholder from the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_s3_upload_leaves_no_session_behind() {
    let env = common::env(SandboxConfig {
        policy: PolicyKind::S3,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(2, false)).unwrap();
    let f = write(dir.path(), "doomed.bin", &data((S3_PART + 9) as usize, 1));
    env.sandbox.set_faults(FaultConfig {
        part_fail_rate: 1.0,
        kinds: vec![FaultKind::ServerError],
        ..FaultConfig::default()
    });
    let id = e
        .enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Failed);
    assert_eq!(
        item.error_kind.as_deref(),
        Some("server"),
        "{:?}",
        item.error
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 1, "kept for Retry");
    e.cancel(&Selection::Ids(vec![id])).await.unwrap();
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
    let page = p
        .list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(page.entries.iter().all(|e| e.name != "doomed.bin"));
}

/// Completion needs the receipt (ETag) of every part: a missing one is a final error, not
/// something to retry; with all of them the upload completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completion_needs_every_part_receipt() {
    let env = common::env(SandboxConfig {
        policy: PolicyKind::S3,
        ..Default::default()
    })
    .await;
    env.sandbox
        .set_policy_chunking(PolicyKind::S3, S3_PART, 1)
        .unwrap();
    let (_, p) = env.signed_in().await;
    let req = upload_request(p.root(), "short.bin", S3_PART + 10);
    let s = p.begin_upload(&req).await.unwrap();
    let mut receipts = ChunkReceipts::new();
    let r = p
        .upload_chunk(&s, 0, bytes::Bytes::from(data(S3_PART as usize, 2)).into())
        .await
        .unwrap();
    receipts.insert(0, r.token().unwrap().to_string());
    // Part 2 is missing: completion is refused locally before anything is sent.
    let e = p.finish_upload(&s, &receipts).await.unwrap_err();
    assert!(!e.is_retryable(), "{e:?}");
    let r = p
        .upload_chunk(&s, 1, bytes::Bytes::from(data(10, 3)).into())
        .await
        .unwrap();
    receipts.insert(1, r.token().unwrap().to_string());
    assert_eq!(
        p.finish_upload(&s, &receipts).await.unwrap().size,
        S3_PART + 10
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

/// OneDrive keeps the arrived part of a fragment cut off on the wire, so the session then
/// expects bytes from the middle of a chunk: the client sends just the rest of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onedrive_resumes_from_the_middle_of_a_cut_off_fragment() {
    let kind = PolicyKind::OneDrive;
    let env = common::env(SandboxConfig {
        policy: kind,
        ..Default::default()
    })
    .await;
    env.sandbox
        .set_policy_chunking(kind, chunk_for(kind), 1)
        .unwrap();
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(12, false)).unwrap();
    env.sandbox.set_faults(FaultConfig {
        seed: 77,
        part_fail_rate: 0.3,
        kinds: vec![FaultKind::Drop],
        drops_reach_handler: true,
        ..FaultConfig::default()
    });
    let c = chunk_for(kind) as usize;
    let mut files = vec![];
    for (i, size) in [3 * c + 17, 6 * c].into_iter().enumerate() {
        let name = format!("cut-{i}.bin");
        let content = data(size, 90 + i as u8);
        let f = write(dir.path(), &name, &content);
        e.enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
            .unwrap();
        files.push((name, content));
    }
    e.wait_idle().await.unwrap();
    let stats = env.sandbox.fault_stats();
    env.sandbox.set_faults(FaultConfig::default());
    for it in q.list().unwrap() {
        assert_eq!(it.state, ItemState::Completed, "{} {:?}", it.name, it.error);
    }
    assert!(stats.drops > 0, "{stats:?}");
    assert!(
        env.sandbox.onedrive_partial_fragments() > 0,
        "no fragment was kept in part: {stats:?}"
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
    for (name, content) in &files {
        let entry = remote_entry(p.as_ref(), &p.root(), name).await;
        assert_eq!(
            sha(&download_bytes(p.clone(), &entry).await),
            sha(content),
            "{name}"
        );
    }
}
