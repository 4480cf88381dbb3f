//! Token expiry during long transfers: with a 5 s access-token lifetime, an upload and a
//! download stretched by a bandwidth cap must finish with zero failures, refreshing the
//! token many times along the way.
//!
//! Quick (`make test`): about 25 s of transfer. Soak (`CIRRUS_SOAK=1`): about 2 minutes.

mod common;

use std::time::{Duration, Instant};

use cirrus_core::transfer::{ConflictPolicy, ItemState};
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::faults::FaultConfig;
use cirrus_tests::{scale, seeded_file, sha256_file};

const TTL: Duration = Duration::from_secs(5);
const RATE: u64 = 256 << 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_tokens_never_fail_a_long_transfer() {
    // Each direction takes size / RATE seconds: 12 s quick, 60 s soak.
    let size = scale(3u64 << 20, 15 << 20);
    let env = common::env(SandboxConfig {
        access_ttl: TTL,
        chunk_size: 256 << 10,
        ..SandboxConfig::default()
    })
    .await;
    let cv4 = env.cirrus.cloudreve_v4(&env.account_id).await.unwrap();
    let refreshes_before = cv4.session().refresh_count();
    let src = env.dir.path().join("long.bin");
    seeded_file(&src, size, 5).unwrap();
    env.sandbox.set_faults(FaultConfig {
        bandwidth_bps: RATE,
        ..FaultConfig::default()
    });
    let started = Instant::now();
    // One attempt per request: a rejected token must be handled by refreshing, not by luck.
    let engine = env.engine(cirrus_core::transfer::RetryPolicy::fast(1), 1);
    let root = env.provider.resolve_path("/").await.unwrap();
    engine
        .enqueue_upload(&src, &root, ConflictPolicy::Ask)
        .unwrap();
    common::idle_within(&engine, Duration::from_secs(600)).await;
    let entry = env
        .provider
        .stat(&env.provider.resolve_path("/long.bin").await.unwrap())
        .await
        .unwrap();
    let out = env.dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    engine
        .enqueue_download(&entry, &out, ConflictPolicy::Ask)
        .unwrap();
    common::idle_within(&engine, Duration::from_secs(600)).await;
    let took = started.elapsed();

    let items = engine.list().unwrap();
    let failed: Vec<_> = items
        .iter()
        .filter(|i| i.state != ItemState::Completed)
        .collect();
    assert!(failed.is_empty(), "failures: {failed:#?}");
    assert_eq!(items.len(), 2);
    assert_eq!(
        sha256_file(&out.join("long.bin")).unwrap(),
        sha256_file(&src).unwrap()
    );
    // The transfer outlived several token lifetimes, so it must have refreshed along the way.
    assert!(
        took > TTL * 3,
        "transfer too short to test expiry: {took:?}"
    );
    let refreshes = cv4.session().refresh_count() - refreshes_before;
    assert!(refreshes >= 2, "only {refreshes} refreshes over {took:?}");
    eprintln!("{size} bytes up and down in {took:?} with {refreshes} token refreshes");
}
