//! Reliability under faults: a batch of mixed-size files (0 B up to the max) is uploaded and
//! downloaded while the sandbox fails chunk requests (5xx, 429 with Retry-After, dropped and
//! stalled connections), drops 2 % of all connections and fails downloads. Every file must
//! complete, come back SHA-256 identical, and leave no upload session or duplicate behind.
//!
//! Quick (`make test`): 40 files up to 8 MiB. Soak (`CIRRUS_SOAK=1`, `make soak`): 200 files
//! up to 64 MiB.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use cirrus_core::transfer::{ConflictPolicy, ItemState, TransferEngine};
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::faults::{FaultConfig, FaultKind};
use cirrus_tests::{files_below, scale, seeded_file, sha256_file};
use rand::{Rng, SeedableRng};

/// Sizes that hit the chunk edges, then seeded random ones up to `max`.
fn sizes(count: usize, max: u64, chunk: u64) -> Vec<u64> {
    let mut v = vec![0, 1, chunk - 1, chunk, chunk + 1, max];
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xFA17);
    while v.len() < count {
        // Mostly small files, some large: sizes spread over orders of magnitude.
        let exp = rng.random_range(0..=max.ilog2());
        v.push(rng.random_range(0..=(1u64 << exp)).min(max));
    }
    v
}

fn faults() -> FaultConfig {
    FaultConfig {
        seed: 7,
        chunk_fail_rate: 0.10,
        download_fail_rate: 0.10,
        drop_rate: 0.02,
        // 429 listed twice: rate limiting is what real servers do most.
        kinds: vec![
            FaultKind::ServerError,
            FaultKind::TooManyRequests,
            FaultKind::TooManyRequests,
            FaultKind::Drop,
            FaultKind::Stall,
        ],
        retry_after: Duration::from_secs(1),
        stall: Duration::from_millis(300),
        ..FaultConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mixed_batch_survives_chunk_failures_drops_and_rate_limits() {
    let started = Instant::now();
    let (count, max) = scale((40, 8u64 << 20), (200, 64 << 20));
    let chunk = scale(1u64 << 20, 4 << 20);
    let env = common::env(SandboxConfig {
        chunk_size: chunk,
        chunk_concurrency: 2,
        user_quota: 1 << 40,
        ..SandboxConfig::default()
    })
    .await;
    let local = env.dir.path().join("batch");
    std::fs::create_dir_all(&local).unwrap();
    let mut expected = BTreeMap::new();
    for (i, size) in sizes(count, max, chunk).into_iter().enumerate() {
        let p = local.join(format!("file-{i:03}.bin"));
        seeded_file(&p, size, i as u64).unwrap();
        expected.insert(format!("file-{i:03}.bin"), (size, sha256_file(&p).unwrap()));
    }

    env.sandbox.set_faults(faults());
    let engine = env.engine(common::patient_retry(), 3);
    let root = env.provider.resolve_path("/").await.unwrap();
    engine
        .enqueue_upload(&local, &root, ConflictPolicy::Ask)
        .unwrap();
    all_complete(&engine, "uploads").await;
    let up_stats = env.sandbox.fault_stats();

    // The server holds each file exactly once, at full size, and no session is left open.
    let remote = env.list_all("/batch").await;
    let names: BTreeMap<_, _> = remote.iter().map(|e| (e.name.clone(), e.size)).collect();
    assert_eq!(
        remote.len(),
        count,
        "duplicates or missing files: {names:?}"
    );
    for (name, (size, _)) in &expected {
        assert_eq!(names.get(name), Some(size), "{name}");
    }
    assert_eq!(
        env.sandbox.active_upload_sessions(),
        0,
        "orphan upload sessions"
    );

    let out = env.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let folder = env
        .provider
        .stat(&env.provider.resolve_path("/batch").await.unwrap())
        .await
        .unwrap();
    engine
        .enqueue_download(&folder, &out, ConflictPolicy::Ask)
        .unwrap();
    all_complete(&engine, "downloads").await;
    let got = files_below(&out);
    assert_eq!(got.len(), count, "{got:?}");
    for (name, (_, hash)) in &expected {
        let p = out.join("batch").join(name);
        assert_eq!(&sha256_file(&p).unwrap(), hash, "{name} differs");
    }

    let all = env.sandbox.fault_stats();
    let injected = |s: &cirrus_sandbox::faults::FaultStats| {
        s.server_errors + s.too_many_requests + s.drops + s.stalls
    };
    // The run must really have been hostile, on the way up and on the way down.
    assert!(
        injected(&up_stats) >= 5,
        "too few upload faults: {up_stats:?}"
    );
    assert!(up_stats.too_many_requests > 0, "no 429 fired: {up_stats:?}");
    assert!(injected(&all) > injected(&up_stats), "no download faults");
    eprintln!(
        "{count} files, {} faults injected ({} 5xx, {} 429, {} drops, {} stalls) in {:?}",
        injected(&all),
        all.server_errors,
        all.too_many_requests,
        all.drops,
        all.stalls,
        started.elapsed()
    );
}

/// Waits for the engine to go idle and checks that every item completed.
async fn all_complete(engine: &TransferEngine, what: &str) {
    common::idle_within(
        engine,
        scale(Duration::from_secs(240), Duration::from_secs(1800)),
    )
    .await;
    let failed: Vec<_> = engine
        .list()
        .unwrap()
        .into_iter()
        .filter(|i| i.state != ItemState::Completed)
        .collect();
    assert!(failed.is_empty(), "{what} not completed: {failed:#?}");
}
