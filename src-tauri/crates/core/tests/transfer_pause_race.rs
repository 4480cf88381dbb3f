//! "Pause all" while uploads are running and thousands wait: stopping the running ones frees
//! their slots, and the scheduler may start waiting files before the pause has moved them.
//! None of those may keep running: after the pause, every file is paused or was done before.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cirrus_core::transfer::{ConflictPolicy, EngineConfig, ItemState};
use cirrus_core::transfer_hub::{HubSelection, TransferHub};
use cirrus_core::{AddAccountOutcome, Cirrus};
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::faults::FaultConfig;

const FILES: usize = 2_000;
const ROUNDS: usize = 6;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_all_leaves_no_file_running() {
    common::use_file_secrets();
    // Every request takes 300 ms, so a file that slipped through is still running when looked at.
    let sandbox = common::sandbox(SandboxConfig {
        faults: FaultConfig {
            latency: Duration::from_millis(300),
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cirrus = Arc::new(Cirrus::open(dir.path()).unwrap());
    let AddAccountOutcome::Added(account) = cirrus
        .add_account(common::demo_login(&sandbox.base_url()))
        .await
        .expect("sign in")
    else {
        panic!("demo user has no 2FA")
    };
    let hub = TransferHub::new(cirrus.clone(), EngineConfig::default());
    let engine = hub.engine(&account.id).await.unwrap();
    let provider = cirrus.provider(&account.id).await.unwrap();
    let local = tempfile::tempdir().unwrap();
    for i in 0..FILES {
        let path = local.path().join(format!("f{i:05}.txt"));
        std::fs::write(&path, format!("file {i}")).unwrap();
        engine
            .enqueue_upload(&path, &provider.root(), ConflictPolicy::Ask)
            .unwrap();
    }

    let state_counts = || {
        let mut running = 0;
        let mut waiting = 0;
        for item in engine.list().unwrap() {
            match item.state {
                ItemState::Running => running += 1,
                ItemState::Queued => waiting += 1,
                _ => {}
            }
        }
        (running, waiting)
    };
    for round in 0..ROUNDS {
        // Wait for uploads to be under way, then pause everything.
        let mut tries = 0;
        while state_counts().0 == 0 {
            tries += 1;
            assert!(tries < 500, "round {round}: nothing started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        hub.pause(&HubSelection::All).await.unwrap();
        // Stopped uploads record "paused" within milliseconds; one that slipped through
        // would still be in its first 300 ms request.
        tokio::time::sleep(Duration::from_millis(150)).await;
        let (running, waiting) = state_counts();
        assert_eq!(
            (running, waiting),
            (0, 0),
            "round {round}: files still running or waiting after Pause all"
        );
        hub.resume(&HubSelection::All).await.unwrap();
    }
    hub.pause(&HubSelection::All).await.unwrap();
    hub.shutdown().await;
}
