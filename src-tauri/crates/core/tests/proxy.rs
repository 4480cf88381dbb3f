//! Every connection goes through the configured proxy: sign-in, listing, upload and download
//! (to the storage host too), for HTTP forwarding and SOCKS5, with credentials from the
//! secret store that reach the proxy and never the log; a wrong proxy is named in the error.

mod common;
mod proxy_common;

use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use cirrus_core::net::proxy::{
    AccountProxy, ManualProxy, ProxyConfig, ProxyProtocol, ProxySetting,
};
use cirrus_core::settings::Settings;
use cirrus_core::transfer::{ConflictPolicy, EngineConfig, ItemState};
use cirrus_core::transfer_hub::TransferHub;
use cirrus_core::{AddAccountOutcome, Cirrus, ErrorKind};
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use proxy_common::{FAKE_HOST, TestProxy};

fn manual(protocol: ProxyProtocol, port: u16, user: Option<&str>) -> ManualProxy {
    ManualProxy {
        protocol,
        host: "127.0.0.1".into(),
        port,
        username: user.map(str::to_string),
    }
}

fn save_proxy(dir: &std::path::Path, proxy: ProxySetting) {
    Settings {
        proxy,
        ..Settings::default()
    }
    .save(dir)
    .unwrap();
}

/// The sandbox under a name only the test proxy resolves.
fn hidden_url(sandbox: &Sandbox) -> String {
    format!("http://{FAKE_HOST}:{}", sandbox.addr().port())
}

async fn sign_in(cirrus: &Cirrus, server: &str) -> cirrus_core::Result<String> {
    let mut req = common::demo_login(server);
    req.email = demo::EMAIL.into();
    match cirrus.add_account(req).await? {
        AddAccountOutcome::Added(a) => Ok(a.id),
        AddAccountOutcome::TwoFactorRequired { .. } => panic!("demo user has no 2FA"),
    }
}

/// Signs in, lists, uploads and downloads (through the transfer hub, as the app does).
async fn journey(cirrus: Arc<Cirrus>, server: &str) {
    let id = sign_in(&cirrus, server)
        .await
        .expect("sign in through the proxy");
    let p = cirrus.provider(&id).await.unwrap();
    let (entries, _) = common::list_all(p.as_ref(), &p.root(), &Default::default()).await;
    assert!(
        !entries.is_empty(),
        "the demo drive lists through the proxy"
    );
    let dest = p
        .create_folder(&p.root(), "via-proxy")
        .await
        .unwrap()
        .remote;

    let hub = TransferHub::new(cirrus.clone(), EngineConfig::default());
    let engine = hub.engine(&id).await.unwrap();
    let local = tempfile::tempdir().unwrap();
    let file = local.path().join("hello.bin");
    let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::File::create(&file)
        .unwrap()
        .write_all(&body)
        .unwrap();
    engine
        .enqueue_upload(&file, &dest, ConflictPolicy::Ask)
        .unwrap();
    engine.wait_idle().await.unwrap();
    let entry = p
        .list(&dest, &Default::default(), None)
        .await
        .unwrap()
        .entries
        .into_iter()
        .find(|e| e.name == "hello.bin")
        .expect("uploaded through the proxy");
    let down = tempfile::tempdir().unwrap();
    engine
        .enqueue_download(&entry, down.path(), ConflictPolicy::Ask)
        .unwrap();
    engine.wait_idle().await.unwrap();
    for item in engine.list().unwrap() {
        assert_eq!(
            item.state,
            ItemState::Completed,
            "{} {:?}",
            item.name,
            item.error
        );
    }
    assert_eq!(std::fs::read(down.path().join("hello.bin")).unwrap(), body);
    hub.shutdown().await;
}

#[tokio::test]
async fn every_request_of_a_journey_goes_through_an_http_proxy() {
    common::use_file_secrets();
    let sandbox = common::sandbox(SandboxConfig::default()).await;
    let proxy = TestProxy::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    save_proxy(
        dir.path(),
        ProxySetting::Manual(manual(ProxyProtocol::Http, proxy.addr.port(), None)),
    );
    let cirrus = Arc::new(Cirrus::open(dir.path()).unwrap());
    let before = sandbox.fault_stats().requests;
    journey(cirrus, &hidden_url(&sandbox)).await;
    let seen = sandbox.fault_stats().requests - before;
    assert!(seen > 5, "the journey made requests ({seen})");
    // The proxy forwards one request per connection, so its count is a request count.
    assert_eq!(
        proxy.forwarded(),
        seen,
        "every request went through the proxy"
    );
}

#[tokio::test]
async fn socks5_with_credentials_from_the_secret_store() {
    common::use_file_secrets();
    let sandbox = common::sandbox(SandboxConfig::default()).await;
    let proxy = TestProxy::start(Some(("alice", "s0cks-pass"))).await;
    let dir = tempfile::tempdir().unwrap();
    save_proxy(
        dir.path(),
        ProxySetting::Manual(manual(
            ProxyProtocol::Socks5,
            proxy.addr.port(),
            Some("alice"),
        )),
    );
    let cirrus = Arc::new(Cirrus::open(dir.path()).unwrap());
    cirrus.set_proxy_password(None, Some("s0cks-pass")).unwrap();
    assert!(cirrus.has_proxy_password(None).unwrap());
    journey(cirrus, &hidden_url(&sandbox)).await;
    assert!(proxy.counters.socks.load(Ordering::SeqCst) > 0);
    assert_eq!(proxy.counters.refused.load(Ordering::SeqCst), 0);
    let settings = std::fs::read_to_string(Settings::path(dir.path())).unwrap();
    assert!(
        !settings.contains("s0cks-pass"),
        "no password in settings.json"
    );
}

/// A log writer the test can read back.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn proxy_credentials_reach_the_proxy_and_never_the_log() {
    common::use_file_secrets();
    let log = Captured::default();
    let writer = log.clone();
    // Global, as the app's: a thread-local subscriber misses the sandbox's and hyper's threads.
    let _ = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .try_init();

    let sandbox = common::sandbox(SandboxConfig::default()).await;
    let proxy = TestProxy::start(Some(("bob", "pr0xy-secret"))).await;
    let dir = tempfile::tempdir().unwrap();
    save_proxy(
        dir.path(),
        ProxySetting::Manual(manual(ProxyProtocol::Http, proxy.addr.port(), Some("bob"))),
    );
    let cirrus = Cirrus::open(dir.path()).unwrap();

    // No password kept yet: the proxy refuses, and the error says it was the proxy.
    let refused = sign_in(&cirrus, &hidden_url(&sandbox)).await.unwrap_err();
    assert!(
        refused.message().to_lowercase().contains("proxy"),
        "{refused:?}"
    );
    assert!(proxy.counters.refused.load(Ordering::SeqCst) > 0);

    cirrus
        .set_proxy_password(None, Some("pr0xy-secret"))
        .unwrap();
    let id = sign_in(&cirrus, &hidden_url(&sandbox)).await.unwrap();
    cirrus
        .provider(&id)
        .await
        .unwrap()
        .capacity()
        .await
        .unwrap();
    let expected = "Basic Ym9iOnByMHh5LXNlY3JldA=="; // bob:pr0xy-secret
    assert!(
        proxy
            .counters
            .credentials
            .lock()
            .unwrap()
            .iter()
            .any(|c| c == expected),
        "Proxy-Authorization reached the proxy"
    );
    let text = String::from_utf8_lossy(&log.0.lock().unwrap()).to_string();
    assert!(text.contains("signed in"), "the log was captured: {text}");
    assert!(!text.contains("pr0xy-secret"));
    assert!(!text.contains("Ym9iOnByMHh5LXNlY3JldA"));
}

#[tokio::test]
async fn a_wrong_proxy_is_named_in_the_error() {
    common::use_file_secrets();
    let sandbox = common::sandbox(SandboxConfig::default()).await;
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    save_proxy(
        dir.path(),
        ProxySetting::Manual(manual(ProxyProtocol::Http, port, None)),
    );
    let cirrus = Cirrus::open(dir.path()).unwrap();
    let e = sign_in(&cirrus, &sandbox.base_url()).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unreachable, "{e:?}");
    assert!(
        e.message().contains(&format!("proxy 127.0.0.1:{port}")),
        "{}",
        e.message()
    );
}

#[tokio::test]
async fn an_account_override_and_the_command_line_beat_the_app_setting() {
    common::use_file_secrets();
    let sandbox = common::sandbox(SandboxConfig::default()).await;
    let proxy = TestProxy::start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let cirrus = Cirrus::open(dir.path()).unwrap();
    // Signed in directly (the app setting is the system's, and the machine has none).
    let id = sign_in(&cirrus, &sandbox.base_url()).await.unwrap();
    let mut settings = Settings::load(dir.path()).unwrap();
    settings.account_proxies.insert(
        id.clone(),
        AccountProxy::Manual(manual(ProxyProtocol::Http, proxy.addr.port(), None)),
    );
    settings.save(dir.path()).unwrap();
    cirrus.reset_connections();
    cirrus
        .provider(&id)
        .await
        .unwrap()
        .capacity()
        .await
        .unwrap();
    let through = proxy.forwarded();
    assert!(through > 0, "the account's own proxy is used");

    // --no-proxy: direct again, whatever the account says.
    cirrus.set_proxy_override(Some(ProxyConfig::Direct));
    cirrus
        .provider(&id)
        .await
        .unwrap()
        .capacity()
        .await
        .unwrap();
    assert_eq!(proxy.forwarded(), through);
    assert_eq!(cirrus.proxy_for(Some(&id)).unwrap(), ProxyConfig::Direct);

    // "No proxy" for the account beats a manual app proxy that points nowhere.
    cirrus.set_proxy_override(None);
    settings.proxy = ProxySetting::Manual(manual(ProxyProtocol::Http, 9, None));
    settings
        .account_proxies
        .insert(id.clone(), AccountProxy::None);
    settings.save(dir.path()).unwrap();
    cirrus.reset_connections();
    cirrus
        .provider(&id)
        .await
        .unwrap()
        .capacity()
        .await
        .unwrap();
}
