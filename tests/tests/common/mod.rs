//! Helpers of the reliability tests: a sandbox with a signed-in Cirrus, remote listings.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use cirrus_core::provider::{Entry, ListOptions, Provider};
use cirrus_core::transfer::{EngineConfig, RetryPolicy, TransferEngine, TransferQueue};
use cirrus_core::{AddAccount, AddAccountOutcome, Cirrus};
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};

/// A sandbox, a Cirrus facade in a temp dir and the demo user's provider.
pub struct Env {
    pub sandbox: Sandbox,
    pub cirrus: Cirrus,
    pub dir: tempfile::TempDir,
    pub account_id: String,
    pub provider: Arc<dyn Provider>,
}

/// Starts `config` and signs the demo user in (file secret store: no keyring in tests).
pub async fn env(config: SandboxConfig) -> Env {
    let sandbox = Sandbox::start(config).await.expect("sandbox starts");
    let base = sandbox.base_url();
    env_at(&base, sandbox).await
}

impl Env {
    /// An engine on a queue in the temp dir with `retry`.
    pub fn engine(&self, retry: RetryPolicy, parallel: usize) -> TransferEngine {
        let queue = TransferQueue::open(&self.dir.path().join("queue.sqlite3")).unwrap();
        let config = EngineConfig {
            parallel_files: parallel,
            retry,
            ..EngineConfig::default()
        };
        TransferEngine::new(self.provider.clone(), Arc::new(queue), config).unwrap()
    }

    /// Every entry of a remote folder, all pages.
    pub async fn list_all(&self, path: &str) -> Vec<Entry> {
        let folder = self.provider.resolve_path(path).await.unwrap();
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10_000 {
            let page = self
                .provider
                .list(&folder, &ListOptions::default(), cursor.as_deref())
                .await
                .unwrap();
            out.extend(page.entries);
            cursor = page.next_cursor;
            if cursor.is_none() {
                return out;
            }
        }
        panic!("listing of {path} did not end");
    }
}

/// Retries that ride out injected faults without making the test slow.
pub fn patient_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_secs(1),
        rate_limited_delay: Duration::from_millis(500),
    }
}

/// Waits for the engine within `limit`, failing the test with the queue state otherwise.
pub async fn idle_within(engine: &TransferEngine, limit: Duration) {
    if tokio::time::timeout(limit, engine.wait_idle())
        .await
        .is_err()
    {
        let items = engine.list().unwrap();
        panic!("engine still busy after {limit:?}: {items:#?}");
    }
}

/// Like [`env`] but signs in through `base` (a proxy in front of `sandbox`).
pub async fn env_at(base: &str, sandbox: Sandbox) -> Env {
    // SAFETY: nextest runs each test in its own process; set before any thread reads it.
    unsafe { std::env::set_var("CIRRUS_SECRET_STORE", "file") };
    let dir = tempfile::tempdir().unwrap();
    let cirrus = Cirrus::open(dir.path().join("data")).unwrap();
    let out = cirrus
        .add_account(AddAccount {
            server_url: base.to_string(),
            email: demo::EMAIL.into(),
            password: demo::PASSWORD.into(),
            ..Default::default()
        })
        .await
        .expect("sign in");
    let AddAccountOutcome::Added(a) = out else {
        panic!("the demo user has no 2FA")
    };
    let provider = cirrus.provider(&a.id).await.unwrap();
    Env {
        sandbox,
        cirrus,
        dir,
        account_id: a.id,
        provider,
    }
}
