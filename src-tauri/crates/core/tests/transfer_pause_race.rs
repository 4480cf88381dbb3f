//! "Pause all" or "Cancel all" while uploads are running and thousands wait: stopping the
//! running ones frees their slots, and the scheduler may start waiting files before the
//! command has moved them. None of those may keep running: afterwards every file is paused
//! (or cancelled), or was done before.

mod common;

use std::sync::Arc;
use std::time::Duration;

use cirrus_core::transfer::{ConflictPolicy, ItemState, TransferEngine};
use cirrus_core::transfer_hub::{HubSelection, TransferHub};
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::faults::FaultConfig;

const FILES: usize = 2_000;
const ROUNDS: usize = 6;

struct Busy {
    _sandbox: cirrus_sandbox::Sandbox,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    hub: TransferHub,
    engine: Arc<TransferEngine>,
}

impl Busy {
    /// Running and waiting files in the queue now.
    fn running_and_waiting(&self) -> (usize, usize) {
        let mut running = 0;
        let mut waiting = 0;
        for item in self.engine.list().unwrap() {
            match item.state {
                ItemState::Running => running += 1,
                ItemState::Queued => waiting += 1,
                _ => {}
            }
        }
        (running, waiting)
    }

    fn completed(&self) -> usize {
        let items = self.engine.list().unwrap();
        items
            .iter()
            .filter(|i| i.state == ItemState::Completed)
            .count()
    }

    /// Waits until uploads are under way.
    async fn until_running(&self, round: usize) {
        let mut tries = 0;
        while self.running_and_waiting().0 == 0 {
            tries += 1;
            assert!(tries < 500, "round {round}: nothing started");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// An account with `FILES` small uploads queued against a server that takes 300 ms a request,
/// so a file that slipped through is still running when looked at.
async fn busy_queue() -> Busy {
    common::use_file_secrets();
    let sandbox = common::sandbox(SandboxConfig {
        faults: FaultConfig {
            latency: Duration::from_millis(300),
            ..Default::default()
        },
        ..SandboxConfig::default()
    })
    .await;
    let common::HubEnv {
        hub,
        engine,
        provider,
        dir,
        ..
    } = common::hub_env(&sandbox).await;
    let local = tempfile::tempdir().unwrap();
    for i in 0..FILES {
        let path = local.path().join(format!("f{i:05}.txt"));
        std::fs::write(&path, format!("file {i}")).unwrap();
        engine
            .enqueue_upload(&path, &provider.root(), ConflictPolicy::Ask)
            .unwrap();
    }

    Busy {
        _sandbox: sandbox,
        _dirs: (dir, local),
        hub,
        engine,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_all_leaves_no_file_running() {
    let b = busy_queue().await;
    for round in 0..ROUNDS {
        b.until_running(round).await;
        b.hub.pause(&HubSelection::All).await.unwrap();
        // Stopped uploads record "paused" within milliseconds; one that slipped through
        // would still be in its first 300 ms request.
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            b.running_and_waiting(),
            (0, 0),
            "round {round}: files still running or waiting after Pause all"
        );
        b.hub.resume(&HubSelection::All).await.unwrap();
    }
    b.hub.pause(&HubSelection::All).await.unwrap();
    b.hub.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_all_leaves_no_file_running_or_uploaded_afterwards() {
    let b = busy_queue().await;
    for round in 0..3 {
        b.until_running(round).await;
        // A file finishing while the command runs must neither fail it nor be cancelled.
        b.hub.cancel(&HubSelection::All).await.unwrap();
        let done = b.completed();
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(
            b.running_and_waiting(),
            (0, 0),
            "round {round}: files still running or waiting after Cancel all"
        );
        // Long enough for a file that slipped through to finish its two requests.
        tokio::time::sleep(Duration::from_millis(700)).await;
        assert_eq!(
            b.completed(),
            done,
            "round {round}: a file finished uploading after Cancel all"
        );
        b.hub.retry(&HubSelection::All).await.unwrap();
    }
    b.hub.shutdown().await;
}
