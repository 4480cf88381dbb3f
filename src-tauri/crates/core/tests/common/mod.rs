//! Shared helpers: a real sandbox server over HTTP and a Cirrus facade in a temp data dir.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use cirrus_core::provider::Provider;
use cirrus_core::{AddAccount, AddAccountOutcome, Cirrus};
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};

pub struct Env {
    pub sandbox: Sandbox,
    pub cirrus: Cirrus,
    pub dir: tempfile::TempDir,
}

/// Use the file secret store in tests unless a test chooses otherwise.
pub fn use_file_secrets() {
    // SAFETY: nextest runs every test in its own process; set before any thread reads it.
    unsafe { std::env::set_var("CIRRUS_SECRET_STORE", "file") };
}

pub async fn sandbox(config: SandboxConfig) -> Sandbox {
    Sandbox::start(config).await.expect("sandbox starts")
}

pub async fn env(config: SandboxConfig) -> Env {
    use_file_secrets();
    let sandbox = sandbox(config).await;
    let dir = tempfile::tempdir().unwrap();
    let cirrus = Cirrus::open(dir.path()).unwrap();
    Env {
        sandbox,
        cirrus,
        dir,
    }
}

/// The demo user signed in on a fresh Cirrus with a transfer hub: its engine and provider.
pub struct HubEnv {
    pub cirrus: Arc<Cirrus>,
    pub hub: cirrus_core::transfer_hub::TransferHub,
    pub engine: Arc<cirrus_core::transfer::TransferEngine>,
    pub provider: Arc<dyn Provider>,
    pub dir: tempfile::TempDir,
}

pub async fn hub_env(sandbox: &Sandbox) -> HubEnv {
    use_file_secrets();
    let dir = tempfile::tempdir().unwrap();
    let cirrus = Arc::new(Cirrus::open(dir.path()).unwrap());
    let AddAccountOutcome::Added(account) = cirrus
        .add_account(demo_login(&sandbox.base_url()))
        .await
        .expect("sign in")
    else {
        panic!("demo user has no 2FA")
    };
    let hub = cirrus_core::transfer_hub::TransferHub::new(
        cirrus.clone(),
        cirrus_core::transfer::EngineConfig::default(),
    );
    let engine = hub.engine(&account.id).await.unwrap();
    let provider = cirrus.provider(&account.id).await.unwrap();
    HubEnv {
        cirrus,
        hub,
        engine,
        provider,
        dir,
    }
}

pub fn demo_login(base: &str) -> AddAccount {
    AddAccount {
        server_url: base.to_string(),
        email: demo::EMAIL.into(),
        password: demo::PASSWORD.into(),
        ..Default::default()
    }
}

impl Env {
    /// Sign in the demo user and return its provider.
    pub async fn signed_in(&self) -> (String, Arc<dyn Provider>) {
        let out = self
            .cirrus
            .add_account(demo_login(&self.sandbox.base_url()))
            .await
            .expect("sign in");
        let AddAccountOutcome::Added(a) = out else {
            panic!("demo user has no 2FA")
        };
        let p = self.cirrus.provider(&a.id).await.unwrap();
        (a.id, p)
    }

    /// Sign in to a 123pan sandbox with the demo client id and secret; return its provider.
    pub async fn signed_in_pan123(&self) -> Arc<dyn Provider> {
        let out = self
            .cirrus
            .add_account(AddAccount {
                server_url: self.sandbox.base_url(),
                email: demo::PAN123_CLIENT_ID.into(),
                password: demo::PAN123_CLIENT_SECRET.into(),
                provider: Some(cirrus_core::account::ProviderKind::Pan123),
                ..Default::default()
            })
            .await
            .expect("sign in");
        let AddAccountOutcome::Added(a) = out else {
            panic!("client credentials have no second factor")
        };
        self.cirrus.provider(&a.id).await.unwrap()
    }
}

pub fn short_tokens(access_secs: u64) -> SandboxConfig {
    SandboxConfig {
        access_ttl: Duration::from_secs(access_secs),
        ..Default::default()
    }
}

/// Every entry of a folder, page by page, and how many pages it took.
pub async fn list_all(
    p: &dyn cirrus_core::provider::Provider,
    folder: &cirrus_core::provider::RemoteRef,
    opts: &cirrus_core::provider::ListOptions,
) -> (Vec<cirrus_core::provider::Entry>, usize) {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = p.list(folder, opts, cursor.as_deref()).await.unwrap();
        pages += 1;
        out.extend(page.entries);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return (out, pages),
        }
    }
}
