//! Secrets: the file fallback, the real keyring when a Secret Service exists, and the
//! guarantee that passwords and tokens never reach SQLite or the logs.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cirrus_core::provider::{ListOptions, Provider};
use cirrus_core::secrets::{SecretBackend, open_secret_store};
use cirrus_core::{AddAccount, Cirrus};
use cirrus_sandbox::demo;
use common::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn secrets_never_in_sqlite_or_logs() {
    let logs = Capture::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let e = env(short_tokens(2)).await;
    let req = AddAccount {
        remember_password: true,
        ..demo_login(&e.sandbox.base_url())
    };
    let a = match e.cirrus.add_account(req).await.unwrap() {
        cirrus_core::AddAccountOutcome::Added(a) => a,
        _ => panic!(),
    };
    let v4 = e.cirrus.cloudreve_v4(&a.id).await.unwrap();
    let first = v4.session().tokens().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    v4.list(&v4.root(), &ListOptions::default(), None)
        .await
        .unwrap();
    let second = v4.session().tokens().await.unwrap();
    assert_ne!(
        first.access_token, second.access_token,
        "a refresh happened"
    );
    let _ = v4.create_folder(&v4.root(), "x").await.unwrap();
    let err = format!("{:?} {:?}", first, e.cirrus.account(&a.id).unwrap());

    let db = std::fs::read(e.dir.path().join("accounts.sqlite3")).unwrap();
    let wal = std::fs::read(e.dir.path().join("accounts.sqlite3-wal")).unwrap_or_default();
    let logged = logs.0.lock().unwrap().clone();
    assert!(!logged.is_empty(), "logging was captured");
    for secret in [
        demo::PASSWORD,
        &first.access_token,
        &first.refresh_token,
        &second.access_token,
        &second.refresh_token,
    ] {
        assert!(!contains(&db, secret), "secret found in SQLite");
        assert!(!contains(&wal, secret), "secret found in the SQLite WAL");
        assert!(!contains(&logged, secret), "secret found in logs");
        assert!(!err.contains(secret), "secret found in Debug output");
    }
    // They are in the (0600) secrets file instead, as asked.
    let file = std::fs::read(e.dir.path().join("secrets.json")).unwrap();
    assert!(contains(&file, demo::PASSWORD));
    assert!(
        contains(&file, &second.refresh_token),
        "refreshed tokens are persisted"
    );
}

#[tokio::test]
async fn file_store_is_used_when_no_keyring_exists() {
    // No session bus → no Secret Service → the 0600 file, with a reason.
    // SAFETY: nextest runs each test in its own process; nothing else reads these yet.
    unsafe {
        std::env::remove_var("CIRRUS_SECRET_STORE");
        std::env::set_var(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/cirrus-test-bus",
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let (store, info) = open_secret_store(dir.path()).unwrap();
    assert_eq!(info.backend, SecretBackend::File);
    assert!(
        info.fallback_reason
            .as_deref()
            .unwrap_or_default()
            .contains("secrets.json")
    );
    store.set("acc", "tokens", "v").unwrap();
    assert_eq!(store.get("acc", "tokens").unwrap().as_deref(), Some("v"));
}

#[tokio::test]
async fn real_keyring_when_available() {
    // SAFETY: as above.
    unsafe { std::env::remove_var("CIRRUS_SECRET_STORE") };
    let dir = tempfile::tempdir().unwrap();
    let (store, info) = open_secret_store(dir.path()).unwrap();
    if info.backend != SecretBackend::Keyring {
        println!(
            "SKIPPED: no usable Secret Service here ({:?}); `make test` runs this under dbus-run-session with gnome-keyring",
            info.fallback_reason
        );
        return;
    }
    store.set("acc", "tokens", "keyring-value").unwrap();
    assert_eq!(
        store.get("acc", "tokens").unwrap().as_deref(),
        Some("keyring-value")
    );
    store.delete("acc", "tokens").unwrap();
    assert_eq!(store.get("acc", "tokens").unwrap(), None);
    // A whole sign-in through the keyring, and nothing in the data dir holds the tokens.
    let sandbox = sandbox(Default::default()).await;
    let cirrus = Cirrus::open(dir.path()).unwrap();
    let out = cirrus
        .add_account(demo_login(&sandbox.base_url()))
        .await
        .unwrap();
    let cirrus_core::AddAccountOutcome::Added(a) = out else {
        panic!()
    };
    let p = cirrus.provider(&a.id).await.unwrap();
    p.capacity().await.unwrap();
    assert!(!dir.path().join("secrets.json").exists());
    cirrus.remove_account(&a.id).await.unwrap();
}
