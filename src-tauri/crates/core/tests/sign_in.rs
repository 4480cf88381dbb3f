//! Sign-in against the sandbox: password, 2FA, wrong password, captcha, probing.

mod common;

use cirrus_core::{AddAccount, AddAccountOutcome, ErrorKind};
use cirrus_sandbox::{SandboxConfig, demo};
use common::*;

#[tokio::test]
async fn password_sign_in_saves_active_account() {
    let e = env(SandboxConfig::default()).await;
    let (id, p) = e.signed_in().await;
    let accounts = e.cirrus.accounts().unwrap();
    assert_eq!(accounts.len(), 1);
    assert!(accounts[0].active);
    assert_eq!(accounts[0].id, id);
    assert_eq!(accounts[0].email, demo::EMAIL);
    assert!(accounts[0].server_version.starts_with('4'));
    assert_eq!(
        p.whoami().await.unwrap().email.as_deref(),
        Some(demo::EMAIL)
    );
    // Signing in again to the same server+email updates the same account.
    e.signed_in().await;
    assert_eq!(e.cirrus.accounts().unwrap().len(), 1);
}

#[tokio::test]
async fn two_factor_sign_in() {
    let e = env(SandboxConfig::default()).await;
    let req = AddAccount {
        server_url: e.sandbox.base_url(),
        email: demo::TOTP_EMAIL.into(),
        password: demo::TOTP_PASSWORD.into(),
        ..Default::default()
    };
    let AddAccountOutcome::TwoFactorRequired { pending_id } =
        e.cirrus.add_account(req).await.unwrap()
    else {
        panic!("2FA user must need a code");
    };
    let wrong = e
        .cirrus
        .complete_2fa(&pending_id, "000000")
        .await
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::TwoFactorWrong, "{wrong}");
    let a = e
        .cirrus
        .complete_2fa(&pending_id, &demo::totp_code(demo::TOTP_SECRET))
        .await
        .unwrap();
    assert_eq!(a.email, demo::TOTP_EMAIL);
    let p = e.cirrus.provider(&a.id).await.unwrap();
    p.capacity().await.unwrap();
    let gone = e
        .cirrus
        .complete_2fa("no-such-pending", "123456")
        .await
        .unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::TwoFactorWrong);
}

#[tokio::test]
async fn wrong_password_is_typed() {
    let e = env(SandboxConfig::default()).await;
    let mut req = demo_login(&e.sandbox.base_url());
    req.password = "not-the-password".into();
    let err = e.cirrus.add_account(req).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WrongPassword, "{err}");
    assert!(e.cirrus.accounts().unwrap().is_empty());
}

#[tokio::test]
async fn captcha_is_reported_clearly() {
    let e = env(SandboxConfig {
        login_captcha: true,
        ..Default::default()
    })
    .await;
    let err = e
        .cirrus
        .add_account(demo_login(&e.sandbox.base_url()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::CaptchaRequired, "{err}");
    assert!(err.message().contains("captcha"));
}

#[tokio::test]
async fn probe_distinguishes_unreachable_and_not_cloudreve() {
    let e = env(SandboxConfig::default()).await;
    // Trailing slash and a pasted API suffix are normalised away.
    let (url, info) = e
        .cirrus
        .probe(&format!("{}/api/v4/", e.sandbox.base_url()), None)
        .await
        .unwrap();
    assert_eq!(url.as_str().trim_end_matches('/'), e.sandbox.base_url());
    assert_eq!(info.major, 4);
    // A sub-path where nothing runs: something answers, but not Cloudreve.
    let err = e
        .cirrus
        .probe(&format!("{}/not-here", e.sandbox.base_url()), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCloudreve, "{err}");
    // A closed port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = e
        .cirrus
        .probe(&format!("http://127.0.0.1:{port}"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
}

#[tokio::test]
async fn accounts_switch_rename_remove() {
    let e = env(SandboxConfig::default()).await;
    e.sandbox
        .add_user("second@cirrus.local", "second-pass", None);
    let (first, _) = e.signed_in().await;
    let out = e
        .cirrus
        .add_account(AddAccount {
            server_url: e.sandbox.base_url(),
            email: "second@cirrus.local".into(),
            password: "second-pass".into(),
            label: Some("Second".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let AddAccountOutcome::Added(second) = out else {
        panic!()
    };
    assert_eq!(e.cirrus.active_account().unwrap().unwrap().id, second.id);
    e.cirrus.switch_account(&first).unwrap();
    assert_eq!(e.cirrus.active_account().unwrap().unwrap().id, first);
    e.cirrus.rename_account("Second", "Work").unwrap();
    assert_eq!(e.cirrus.account("work").unwrap().id, second.id);
    e.cirrus.remove_account(&first).await.unwrap();
    let left = e.cirrus.accounts().unwrap();
    assert_eq!(left.len(), 1);
    assert!(left[0].active);
    // The removed account's provider is gone; the other still works.
    assert!(e.cirrus.provider(&first).await.is_err());
    e.cirrus
        .provider(&second.id)
        .await
        .unwrap()
        .whoami()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_address_without_scheme_falls_back_to_plain_http_and_says_so() {
    let e = env(SandboxConfig::default()).await;
    // The sandbox serves plain http; the user types only host:port.
    let typed = e
        .sandbox
        .base_url()
        .trim_start_matches("http://")
        .to_string();
    let AddAccountOutcome::Added(a) = e
        .cirrus
        .add_account(AddAccount {
            server_url: typed.clone(),
            ..demo_login("")
        })
        .await
        .unwrap()
    else {
        panic!("demo user has no 2FA")
    };
    assert_eq!(a.server_url, e.sandbox.base_url());
    assert!(
        !a.is_encrypted(),
        "plain http must be reported as not encrypted"
    );
    // Explicit https is not downgraded, and the failure reads as a sentence.
    let err = e
        .cirrus
        .probe(&format!("https://{typed}"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Tls, "{err}");
    assert!(err.message().contains("plain http"), "{err}");
    assert!(!err.message().contains("InvalidContentType"), "{err}");
    // A scheme-less address where nothing listens keeps the https error, not an http one.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = e
        .cirrus
        .probe(&format!("127.0.0.1:{port}"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unreachable, "{err}");
}

#[tokio::test]
async fn sign_out_keeps_the_account_and_signing_in_again_reuses_it() {
    let e = env(SandboxConfig::default()).await;
    let (id, _) = e.signed_in().await;
    assert!(e.cirrus.is_signed_in(&id).unwrap());
    let label = e.cirrus.rename_account(&id, "Home").unwrap().label;
    e.cirrus.sign_out(&id).await.unwrap();
    let accounts = e.cirrus.accounts().unwrap();
    assert_eq!(accounts.len(), 1, "signing out must not remove the account");
    assert_eq!(accounts[0].label, label);
    assert!(!e.cirrus.is_signed_in(&id).unwrap());
    let err = e.cirrus.provider(&id).await.err().expect("no session");
    assert_eq!(err.kind(), ErrorKind::SignInAgain, "{err}");
    // Signing in again to the same server and email brings back the same account.
    let (again, p) = e.signed_in().await;
    assert_eq!(again, id);
    assert!(e.cirrus.is_signed_in(&id).unwrap());
    assert_eq!(e.cirrus.account(&id).unwrap().label, "Home");
    p.whoami().await.unwrap();
}
