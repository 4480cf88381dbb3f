//! Token lifecycle against the sandbox: expiry mid-sequence, single-flight refresh,
//! refresh after an unexpected rejection, revoked refresh tokens.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use cirrus_core::ErrorKind;
use cirrus_core::provider::cloudreve_v4::CloudreveV4;
use cirrus_core::provider::cloudreve_v4::auth::{self, V4Refresher};
use cirrus_core::provider::{ListOptions, Provider};
use cirrus_core::session::{Session, TokenSet};
use common::*;

#[tokio::test]
async fn access_token_expires_in_the_middle_of_operations() {
    let e = env(short_tokens(2)).await;
    let (id, p) = e.signed_in().await;
    let v4 = e.cirrus.cloudreve_v4(&id).await.unwrap();
    let root = p.root();
    for i in 0..6 {
        p.create_folder(&root, &format!("step {i}")).await.unwrap();
        p.list(&root, &ListOptions::default(), None).await.unwrap();
        tokio::time::sleep(Duration::from_millis(900)).await;
    }
    assert!(
        v4.session().refresh_count() >= 2,
        "refreshed {} times",
        v4.session().refresh_count()
    );
    let page = p.list(&root, &ListOptions::default(), None).await.unwrap();
    assert_eq!(
        page.entries
            .iter()
            .filter(|e| e.name.starts_with("step "))
            .count(),
        6
    );
}

#[tokio::test]
async fn concurrent_requests_share_one_refresh() {
    let e = env(short_tokens(2)).await;
    let (id, p) = e.signed_in().await;
    let v4 = e.cirrus.cloudreve_v4(&id).await.unwrap();
    let before = v4.session().refresh_count();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let mut tasks = Vec::new();
    for _ in 0..24 {
        let p = p.clone();
        tasks.push(tokio::spawn(async move {
            p.list(&p.root(), &ListOptions::default(), None).await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(v4.session().refresh_count(), before + 1);
}

#[tokio::test]
async fn rejected_access_token_is_refreshed_once() {
    let e = env(short_tokens(3600)).await;
    let (id, _) = e.signed_in().await;
    let real = e
        .cirrus
        .cloudreve_v4(&id)
        .await
        .unwrap()
        .session()
        .tokens()
        .await
        .unwrap();
    // An access token we believe valid but the server does not accept (e.g. server secret
    // rotated): the first request is answered as anonymous (401), we refresh once and retry.
    let bogus = TokenSet {
        access_token: "garbage.garbage.garbage".into(),
        ..real.clone()
    };
    let server = url::Url::parse(&e.sandbox.base_url()).unwrap();
    let http = reqwest::Client::new();
    let session = Arc::new(Session::new(
        bogus,
        Arc::new(V4Refresher::new(http.clone(), server.clone())),
        None,
    ));
    let p = CloudreveV4::new(http, server, session.clone());
    p.list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap();
    assert_eq!(session.refresh_count(), 1);
    p.capacity().await.unwrap();
    assert_eq!(session.refresh_count(), 1);
}

#[tokio::test]
async fn revoked_refresh_token_means_sign_in_again() {
    let e = env(short_tokens(2)).await;
    let (id, p) = e.signed_in().await;
    let tokens = e
        .cirrus
        .cloudreve_v4(&id)
        .await
        .unwrap()
        .session()
        .tokens()
        .await
        .unwrap();
    // Sign out elsewhere: revokes the whole refresh-token family on the server.
    let server = url::Url::parse(&e.sandbox.base_url()).unwrap();
    auth::sign_out(&reqwest::Client::new(), &server, &tokens.refresh_token)
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2200)).await;
    let err = p
        .list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SignInAgain, "{err}");
    assert_eq!(err.kind_str(), "signInAgain");
}

#[tokio::test]
async fn expired_refresh_token_needs_no_network() {
    let e = env(short_tokens(3600)).await;
    let (id, _) = e.signed_in().await;
    let mut t = e
        .cirrus
        .cloudreve_v4(&id)
        .await
        .unwrap()
        .session()
        .tokens()
        .await
        .unwrap();
    t.access_expires = Utc::now();
    t.refresh_expires = Utc::now();
    let server = url::Url::parse("http://127.0.0.1:9").unwrap();
    let http = reqwest::Client::new();
    let session = Arc::new(Session::new(
        t,
        Arc::new(V4Refresher::new(http.clone(), server.clone())),
        None,
    ));
    let p = CloudreveV4::new(http, server, session);
    assert_eq!(
        p.capacity().await.unwrap_err().kind(),
        ErrorKind::SignInAgain
    );
}
