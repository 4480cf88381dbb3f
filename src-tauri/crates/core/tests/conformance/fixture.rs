//! Provider fixtures: how to start a provider's sandbox and sign in to it. This is the only
//! provider-specific code of the suite.

use std::sync::Arc;

use cirrus_core::account::ProviderKind;
use cirrus_core::provider::Provider;
use cirrus_core::{AddAccount, AddAccountOutcome, Cirrus};
use cirrus_sandbox::policy::PolicyKind;
use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};

/// A provider under test.
pub trait Fixture: Send + Sync + 'static {
    /// Short name for messages.
    const NAME: &'static str;
    /// Major server version the sign-in must detect.
    const MAJOR: u32;
    /// `base` (provider-neutral settings) adjusted so the sandbox serves this provider's API.
    fn config(base: SandboxConfig) -> SandboxConfig;
    /// The storage policies this provider's sandbox serves uploads on.
    fn policies(sandbox: &Sandbox) -> Vec<PolicyKind> {
        sandbox.available_policies()
    }
    /// Whether signing in detects the server's version by itself (Cloudreve) rather than the
    /// user choosing the service (123pan).
    const DETECTED: bool = true;
    /// Whether accounts can have two-factor authentication.
    const TWO_FACTOR: bool = true;
    /// Whether the sign-in form can demand a captcha.
    const CAPTCHA: bool = true;
    /// The `email` an account of the demo user is saved with (123pan: the client id).
    const ACCOUNT_EMAIL: &'static str = demo::EMAIL;
    /// Whether abandoning an upload removes its session on the server (123pan has no call
    /// for it: an unfinished upload expires there by itself).
    const SERVER_CANCELS_UPLOADS: bool = true;
    /// Settings applied to the running sandbox that `config` cannot express.
    fn prepare(_sandbox: &Sandbox, _base: &SandboxConfig) {}
    /// The demo user's sign-in form for `sandbox`.
    fn login(sandbox: &Sandbox) -> AddAccount {
        AddAccount {
            server_url: sandbox.base_url(),
            email: demo::EMAIL.into(),
            password: demo::PASSWORD.into(),
            ..Default::default()
        }
    }
}

/// Cloudreve 4 (`/api/v4`).
pub struct CloudreveV4;

impl Fixture for CloudreveV4 {
    const NAME: &'static str = "cloudreve v4";
    const MAJOR: u32 = 4;
    fn config(base: SandboxConfig) -> SandboxConfig {
        SandboxConfig {
            api: Api::V4,
            ..base
        }
    }
}

/// Cloudreve 3.8 (`/api/v3`).
pub struct CloudreveV3;

impl Fixture for CloudreveV3 {
    const NAME: &'static str = "cloudreve v3";
    const MAJOR: u32 = 3;
    fn config(base: SandboxConfig) -> SandboxConfig {
        SandboxConfig {
            api: Api::V3,
            ..base
        }
    }
}

/// The 123pan Open Platform: a developer client id and secret, no version to detect.
pub struct Pan123;

impl Fixture for Pan123 {
    const NAME: &'static str = "123pan";
    /// Not a Cloudreve version; the sign-in scenario does not probe when `DETECTED` is false.
    const MAJOR: u32 = 0;
    const DETECTED: bool = false;
    const TWO_FACTOR: bool = false;
    const CAPTCHA: bool = false;
    const ACCOUNT_EMAIL: &'static str = demo::PAN123_CLIENT_ID;
    const SERVER_CANCELS_UPLOADS: bool = false;
    /// 123pan has no storage policies: one flow for every file.
    fn policies(_sandbox: &Sandbox) -> Vec<PolicyKind> {
        vec![PolicyKind::Local]
    }
    /// The scenarios' chunk size becomes the slice size `create` hands out (16 MiB by
    /// default), so their small files are cut into slices as large ones are on 123pan.
    fn prepare(sandbox: &Sandbox, base: &SandboxConfig) {
        sandbox.set_pan123_slice_size(base.chunk_size);
    }
    fn config(base: SandboxConfig) -> SandboxConfig {
        SandboxConfig {
            api: Api::Pan123,
            ..base
        }
    }
    fn login(sandbox: &Sandbox) -> AddAccount {
        AddAccount {
            server_url: sandbox.base_url(),
            email: demo::PAN123_CLIENT_ID.into(),
            password: demo::PAN123_CLIENT_SECRET.into(),
            provider: Some(ProviderKind::Pan123),
            ..Default::default()
        }
    }
}

/// A running sandbox and a Cirrus facade in a temporary data folder.
pub struct Env {
    pub sandbox: Sandbox,
    pub cirrus: Cirrus,
    pub _dir: tempfile::TempDir,
    login: AddAccount,
}

/// Starts `F`'s sandbox with `base` settings.
pub async fn start<F: Fixture>(base: SandboxConfig) -> Env {
    crate::common::use_file_secrets();
    let sandbox = Sandbox::start(F::config(base.clone()))
        .await
        .expect("sandbox starts");
    F::prepare(&sandbox, &base);
    let dir = tempfile::tempdir().unwrap();
    let cirrus = Cirrus::open(dir.path()).unwrap();
    Env {
        login: F::login(&sandbox),
        sandbox,
        cirrus,
        _dir: dir,
    }
}

impl Env {
    /// The demo user's sign-in form.
    pub fn demo_login(&self) -> AddAccount {
        self.login.clone()
    }

    /// Signs in the demo user; the account id and its provider.
    pub async fn signed_in(&self) -> (String, Arc<dyn Provider>) {
        let out = self
            .cirrus
            .add_account(self.demo_login())
            .await
            .expect("sign in");
        let AddAccountOutcome::Added(a) = out else {
            panic!("the demo user has no 2FA")
        };
        let p = self.cirrus.provider(&a.id).await.unwrap();
        (a.id, p)
    }
}
