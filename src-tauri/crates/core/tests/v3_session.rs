//! Cloudreve 3 sessions against the v3 sandbox: the cookie is the credential; when the server
//! ends the session, the remembered password signs in again (and the new cookie is kept),
//! else the account must sign in again; v4 and v3 accounts live side by side.

mod common;

use cirrus_core::ErrorKind;
use cirrus_core::account::ProviderKind;
use cirrus_core::provider::{ListOptions, Provider};
use cirrus_sandbox::{Api, Sandbox, SandboxConfig};
use common::*;

async fn v3_sandbox() -> Sandbox {
    sandbox(SandboxConfig {
        api: Api::V3,
        ..Default::default()
    })
    .await
}

/// Ends the session of `cookie` on the server, as an expiry or a sign-out elsewhere would.
async fn end_session(base: &str, cookie: &str) {
    let r = reqwest::Client::new()
        .delete(format!("{base}/api/v3/user/session"))
        .header("Cookie", format!("cloudreve-session={cookie}"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
}

#[tokio::test]
async fn an_ended_session_signs_in_again_with_the_remembered_password() {
    let e = env(SandboxConfig {
        api: Api::V3,
        ..Default::default()
    })
    .await;
    let mut req = demo_login(&e.sandbox.base_url());
    req.remember_password = true;
    let cirrus_core::AddAccountOutcome::Added(a) = e.cirrus.add_account(req).await.unwrap() else {
        panic!("no 2FA")
    };
    assert_eq!(a.provider, ProviderKind::CloudreveV3);
    let v3 = e.cirrus.cloudreve_v3(&a.id).await.unwrap();
    let p = e.cirrus.provider(&a.id).await.unwrap();
    p.create_folder(&p.root(), "before").await.unwrap();
    let old = v3.session().tokens().await.unwrap().access_token;
    end_session(&e.sandbox.base_url(), &old).await;
    // The next call finds the session gone, signs in again and goes on.
    let page = p
        .list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(page.entries.iter().any(|x| x.name == "before"));
    let new = v3.session().tokens().await.unwrap().access_token;
    assert_ne!(new, old);
    assert_eq!(v3.session().refresh_count(), 1);
    // The new cookie was stored: a fresh facade on the same data folder uses it.
    drop(p);
    drop(v3);
    let again = cirrus_core::Cirrus::open(e.dir.path()).unwrap();
    let p = again.provider(&a.id).await.unwrap();
    p.whoami().await.unwrap();
    assert_eq!(
        again
            .cloudreve_v3(&a.id)
            .await
            .unwrap()
            .session()
            .tokens()
            .await
            .unwrap()
            .access_token,
        new
    );
}

#[tokio::test]
async fn without_a_remembered_password_an_ended_session_asks_to_sign_in_again() {
    let e = env(SandboxConfig {
        api: Api::V3,
        ..Default::default()
    })
    .await;
    let (id, p) = e.signed_in().await;
    let v3 = e.cirrus.cloudreve_v3(&id).await.unwrap();
    let cookie = v3.session().tokens().await.unwrap().access_token;
    end_session(&e.sandbox.base_url(), &cookie).await;
    let err = p.capacity().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInAgain, "{err}");
    // Signing in again repairs the account in place.
    e.signed_in().await;
    let p = e.cirrus.provider(&id).await.unwrap();
    p.capacity().await.unwrap();
}

#[tokio::test]
async fn v4_and_v3_accounts_side_by_side_in_one_data_folder() {
    let e = env(SandboxConfig::default()).await;
    let v3 = v3_sandbox().await;
    let (v4_id, p4) = e.signed_in().await;
    let cirrus_core::AddAccountOutcome::Added(a3) = e
        .cirrus
        .add_account(demo_login(&v3.base_url()))
        .await
        .unwrap()
    else {
        panic!("no 2FA")
    };
    let accounts = e.cirrus.accounts().unwrap();
    assert_eq!(accounts.len(), 2);
    let kinds: Vec<_> = accounts.iter().map(|a| a.provider).collect();
    assert!(
        kinds.contains(&ProviderKind::CloudreveV4) && kinds.contains(&ProviderKind::CloudreveV3)
    );
    let p3 = e.cirrus.provider(&a3.id).await.unwrap();
    p4.create_folder(&p4.root(), "on v4").await.unwrap();
    p3.create_folder(&p3.root(), "on v3").await.unwrap();
    assert!(!p3.capabilities().trash && p4.capabilities().trash);
    let names = |p: std::sync::Arc<dyn Provider>| async move {
        p.list(&p.root(), &ListOptions::default(), None)
            .await
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.name)
            .collect::<Vec<_>>()
    };
    assert!(names(p3.clone()).await.contains(&"on v3".to_string()));
    assert!(!names(p4.clone()).await.contains(&"on v3".to_string()));
    // Reopened: both still signed in from the secret store.
    let again = cirrus_core::Cirrus::open(e.dir.path()).unwrap();
    again
        .provider(&v4_id)
        .await
        .unwrap()
        .whoami()
        .await
        .unwrap();
    again
        .provider(&a3.id)
        .await
        .unwrap()
        .whoami()
        .await
        .unwrap();
    assert!(again.cloudreve_v4(&a3.id).await.is_err());
    // Sign out of the v3 account ends its server session.
    e.cirrus.sign_out(&a3.id).await.unwrap();
    assert_eq!(
        e.cirrus.provider(&a3.id).await.err().map(|e| e.kind()),
        Some(ErrorKind::SignInAgain)
    );
}
