//! The 123pan provider against the sandbox's Open Platform: the token kept and reused across
//! restarts, survival of a token pushed out by newer ones, the traffic-quota message, and
//! the client-side rate limiter under bursts.

mod common;
mod uploads_common;

use std::sync::Arc;
use std::time::Duration;

use cirrus_core::account::ProviderKind;
use cirrus_core::provider::*;
use cirrus_core::{AddAccount, AddAccountOutcome, Cirrus, ErrorKind};
use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};
use common::*;
use uploads_common::{download_bytes, sha};

fn login(sb: &Sandbox) -> AddAccount {
    AddAccount {
        server_url: sb.base_url(),
        email: demo::PAN123_CLIENT_ID.into(),
        password: demo::PAN123_CLIENT_SECRET.into(),
        provider: Some(ProviderKind::Pan123),
        ..Default::default()
    }
}

async fn pan123_env() -> Env {
    env(SandboxConfig {
        api: Api::Pan123,
        ..Default::default()
    })
    .await
}

async fn signed_in(e: &Env) -> (String, Arc<dyn Provider>) {
    let AddAccountOutcome::Added(a) = e.cirrus.add_account(login(&e.sandbox)).await.unwrap() else {
        panic!("no 2FA on 123pan");
    };
    let p = e.cirrus.provider(&a.id).await.unwrap();
    (a.id, p)
}

/// Asks the sandbox for a token directly, as another program using the same client id would.
async fn token_elsewhere(sb: &Sandbox) {
    let v: serde_json::Value = reqwest::Client::new()
        .post(format!("{}/api/v1/access_token", sb.base_url()))
        .header("Platform", "open_platform")
        .json(&serde_json::json!({
            "clientID": demo::PAN123_CLIENT_ID,
            "clientSecret": demo::PAN123_CLIENT_SECRET
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 0, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_is_reused_across_restarts() {
    let e = pan123_env().await;
    let (id, p) = signed_in(&e).await;
    assert_eq!(
        p.whoami().await.unwrap().email.as_deref(),
        Some(demo::EMAIL)
    );
    assert_eq!(e.sandbox.pan123_stats().tokens_issued, 1);
    let a = e.cirrus.account(&id).unwrap();
    assert_eq!(a.provider, ProviderKind::Pan123);
    assert_eq!(a.email, demo::PAN123_CLIENT_ID);
    drop(p);
    // Three restarts: each opens the data dir afresh and works without a new token.
    for _ in 0..3 {
        let again = Cirrus::open(e.dir.path()).unwrap();
        assert!(again.is_signed_in(&id).unwrap());
        let p = again.provider(&id).await.unwrap();
        assert!(p.capacity().await.unwrap().total > 0);
        p.list(&p.root(), &ListOptions::default(), None)
            .await
            .unwrap();
    }
    assert_eq!(
        e.sandbox.pan123_stats().tokens_issued,
        1,
        "restarts must not spend the 3-token budget"
    );
    // Signed out, the token and the secret are gone: the account must sign in again.
    e.cirrus.sign_out(&id).await.unwrap();
    let again = Cirrus::open(e.dir.path()).unwrap();
    assert!(!again.is_signed_in(&id).unwrap());
    assert_eq!(
        again.provider(&id).await.err().map(|e| e.kind()),
        Some(ErrorKind::SignInAgain)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_pushed_out_by_newer_ones_is_replaced_once_and_kept() {
    let e = pan123_env().await;
    let (id, p) = signed_in(&e).await;
    p.whoami().await.unwrap();
    // Three more tokens for the same client id: ours (the oldest) is dropped.
    for _ in 0..3 {
        token_elsewhere(&e.sandbox).await;
    }
    assert!(e.sandbox.pan123_stats().tokens_evicted >= 1);
    assert_eq!(
        p.whoami().await.unwrap().email.as_deref(),
        Some(demo::EMAIL)
    );
    assert_eq!(e.sandbox.pan123_stats().tokens_issued, 5, "one new token");
    // The new token was stored: a restart uses it.
    let again = Cirrus::open(e.dir.path()).unwrap();
    again.provider(&id).await.unwrap().whoami().await.unwrap();
    assert_eq!(e.sandbox.pan123_stats().tokens_issued, 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_is_renewed_with_the_stored_secret() {
    let e = pan123_env().await;
    e.sandbox.set_pan123_token_ttl(Duration::from_secs(3));
    let (id, p) = signed_in(&e).await;
    p.whoami().await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let again = Cirrus::open(e.dir.path()).unwrap();
    again.provider(&id).await.unwrap().whoami().await.unwrap();
    assert_eq!(e.sandbox.pan123_stats().tokens_issued, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_traffic_quota_is_a_clear_error_not_a_retry_loop() {
    let e = pan123_env().await;
    e.sandbox
        .seed_file_with_content(demo::EMAIL, "/big.bin", 4000, 3)
        .unwrap();
    e.sandbox.set_pan123_traffic_quota(1000);
    let (_, p) = signed_in(&e).await;
    let f = p.resolve_path("/big.bin").await.unwrap();
    assert_eq!(p.stat(&f).await.unwrap().size, 4000);
    let err = p.download_url(&f).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QuotaExceeded, "{err}");
    assert_eq!(err.server_code(), Some(5113));
    assert!(err.message().contains("download traffic"), "{err}");
    assert!(!err.is_retryable());
    let asked = e.sandbox.pan123_stats().requests["/api/v1/file/download_info"];
    assert_eq!(asked, 1, "asked once, not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bursts_stay_under_the_documented_rates() {
    let e = pan123_env().await;
    let (_, p) = signed_in(&e).await;
    // 100 user-info calls at once (10 QPS) and 20 folders at once (mkdir: 5 QPS).
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let p = p.clone();
            tokio::spawn(async move { p.capacity().await })
        })
        .collect();
    let root = p.root();
    let dirs: Vec<_> = (0..20)
        .map(|i| {
            let (p, root) = (p.clone(), root.clone());
            tokio::spawn(async move { p.create_folder(&root, &format!("d{i}")).await })
        })
        .collect();
    for c in calls {
        c.await.unwrap().unwrap();
    }
    for d in dirs {
        assert!(d.await.unwrap().unwrap().is_folder());
    }
    let stats = e.sandbox.pan123_stats();
    assert_eq!(
        stats.throttled.values().sum::<u64>(),
        0,
        "no 429 at all: {:?}",
        stats.throttled
    );
    let listed = p
        .list(&root, &ListOptions::default(), None)
        .await
        .unwrap()
        .entries;
    assert_eq!(
        listed.iter().filter(|e| e.name.starts_with('d')).count(),
        20
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_trash_restore_and_delete_by_id() {
    let e = pan123_env().await;
    let (_, p) = signed_in(&e).await;
    let root = p.root();
    let a = p.create_folder(&root, "a").await.unwrap();
    // mkdir of an existing name gives the existing folder (123pan answers code 1).
    let again = p.create_folder(&root, "a").await.unwrap();
    assert_eq!(again.id, a.id);
    // A name made elsewhere (not in our cache yet) is found too.
    let made = p.create_folder(&a.remote, "inner").await.unwrap();
    let id = e.sandbox.pan123_file_id(demo::EMAIL, "/a/inner").unwrap();
    assert_eq!(made.id, Some(id.to_string()));
    // Moved folders keep what is below them reachable by the new path.
    let b = p.create_folder(&root, "b").await.unwrap();
    assert!(
        p.move_items(std::slice::from_ref(&a.remote), &b.remote)
            .await
            .unwrap()
            .is_complete()
    );
    let inner = p.resolve_path("/b/a/inner").await.unwrap();
    assert!(p.stat(&inner).await.unwrap().is_folder());
    assert_eq!(
        p.stat(&a.remote).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Renaming keeps the id.
    let moved_a = p.resolve_path("/b/a").await.unwrap();
    let aid = e.sandbox.pan123_file_id(demo::EMAIL, "/b/a").unwrap();
    let renamed = p.rename(&moved_a, "a2").await.unwrap();
    assert_eq!(renamed.id, Some(aid.to_string()));
    // Permanent delete goes through the trash and leaves nothing there.
    let out = p
        .delete(std::slice::from_ref(&renamed.remote), DeleteMode::Permanent)
        .await
        .unwrap();
    assert!(out.is_complete());
    assert!(e.sandbox.pan123_file_id(demo::EMAIL, "/b/a2").is_none());
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    assert!(trash.entries.iter().all(|t| t.name != "a2"), "{trash:?}");
    let stats = e.sandbox.pan123_stats();
    assert_eq!(stats.requests["/api/v1/file/trash"], 1);
    assert_eq!(stats.requests["/api/v1/file/delete"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_and_wrong_hosts_are_told_apart() {
    let e = pan123_env().await;
    let mut wrong = login(&e.sandbox);
    wrong.password = "nope".into();
    assert_eq!(
        e.cirrus.add_account(wrong).await.unwrap_err().kind(),
        ErrorKind::WrongPassword
    );
    let v4 = sandbox(SandboxConfig::default()).await;
    let mut cloudreve = login(&e.sandbox);
    cloudreve.server_url = v4.base_url();
    assert_eq!(
        e.cirrus.add_account(cloudreve).await.unwrap_err().kind(),
        ErrorKind::NotCloudreve
    );
    assert!(e.cirrus.accounts().unwrap().is_empty());
}

/// What the conformance suite checks after uploading, on files the sandbox seeds instead (so
/// it holds without the upload path).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seeded_files_rename_move_share_download_and_typed_errors() {
    let e = pan123_env().await;
    let content_sha = e
        .sandbox
        .seed_file_with_content(demo::EMAIL, "/docs/f.txt", 300_000, 9)
        .unwrap();
    let (_, p) = signed_in(&e).await;
    let root = p.root();
    let f = p.resolve_path("/docs/f.txt").await.unwrap();
    assert_eq!(p.stat(&f).await.unwrap().size, 300_000);

    // Ranged download from the link.
    let url = p.download_url(&f).await.unwrap();
    let resp = reqwest::Client::new()
        .get(&url)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 206);
    assert_eq!(resp.bytes().await.unwrap().len(), 1000);
    let entry = p.stat(&f).await.unwrap();
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), content_sha);

    // Conflicts and refusals are typed.
    let a = p.create_folder(&root, "a").await.unwrap();
    p.create_folder(&a.remote, "f.txt").await.unwrap();
    assert_eq!(
        p.create_folder(&p.resolve_path("/docs").await.unwrap(), "f.txt")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    let docs = p.resolve_path("/docs").await.unwrap();
    let sib = p.create_folder(&docs, "g").await.unwrap();
    assert_eq!(
        p.rename(&f, "g").await.unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        p.rename(&sib.remote, "f.txt").await.unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        p.create_folder(&root, "a/b").await.unwrap_err().kind(),
        ErrorKind::InvalidName
    );
    assert_eq!(
        p.rename(&root, "mine").await.unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    let missing = p.resolve_path("/nope/deeper").await.unwrap();
    assert_eq!(
        p.stat(&missing).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        p.list(&missing, &ListOptions::default(), None)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        p.download_url(&missing).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Moving onto a taken name fails for that item alone.
    let out = p
        .move_items(std::slice::from_ref(&f), &a.remote)
        .await
        .unwrap();
    assert_eq!(out.failed.len(), 1);
    assert_eq!(out.failed[0].1.kind(), ErrorKind::AlreadyExists);
    // Rename, then move: the old references name nothing, the new ones work.
    let g = p.rename(&f, "h.txt").await.unwrap();
    assert_eq!(p.stat(&f).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(
        p.move_items(std::slice::from_ref(&g.remote), &root)
            .await
            .unwrap()
            .is_complete()
    );
    let moved = p.resolve_path("/h.txt").await.unwrap();
    assert_eq!(p.stat(&moved).await.unwrap().size, 300_000);

    // Shares: a password, an expiry among the choices, listed back.
    let s = p
        .create_share(
            &moved,
            &ShareOptions {
                password: Some("abc123".into()),
                expires_in_secs: Some(7 * 86400),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(s.url.contains(&s.id) && !s.is_folder);
    assert!(s.link_text().contains("abc123"));
    let listed = p.share(&s.id).await.unwrap();
    assert_eq!(listed.password.as_deref(), Some("abc123"));
    assert!(listed.expires_at.is_some());
    let generated = p
        .create_share(
            &a.remote,
            &ShareOptions {
                password: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(generated.password.is_some_and(|p| p.len() == 6));
    assert_eq!(
        p.create_share(
            &moved,
            &ShareOptions {
                download_limit: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap_err()
        .kind(),
        ErrorKind::Unsupported
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_page_in_the_asked_order_and_skip_the_trash() {
    let e = pan123_env().await;
    e.sandbox.seed_files(demo::EMAIL, "/many", 230);
    let (_, p) = signed_in(&e).await;
    let many = p.resolve_path("/many").await.unwrap();
    let first = p
        .list(&many, &ListOptions::default(), None)
        .await
        .unwrap()
        .entries;
    let victim = first[0].clone();
    p.delete(std::slice::from_ref(&victim.remote), DeleteMode::Trash)
        .await
        .unwrap();
    let desc = ListOptions {
        direction: Direction::Desc,
        page_size: Some(50),
        ..Default::default()
    };
    let (all, pages) = list_all(p.as_ref(), &many, &desc).await;
    assert_eq!(pages, 5);
    assert_eq!(all.len(), 229, "the trashed item is not listed");
    assert!(all.windows(2).all(|w| w[0].name > w[1].name));
    assert!(all.iter().all(|x| x.name != victim.name));
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    assert!(trash.entries.iter().any(|t| t.name == victim.name));
}

/// The API lists neither the trash nor offline downloads: what Cirrus trashed and started is
/// still shown after a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trash_and_offline_downloads_are_remembered_across_restarts() {
    use axum::routing::get;
    let e = pan123_env().await;
    let (id, p) = signed_in(&e).await;
    let deep = p
        .create_folders(&p.root(), &["x".into(), "y".into()])
        .await
        .unwrap();
    let gone = p.create_folder(&deep.remote, "old").await.unwrap();
    p.delete(std::slice::from_ref(&gone.remote), DeleteMode::Trash)
        .await
        .unwrap();
    let app = axum::Router::new().route("/f.bin", get(|| async { vec![7u8; 5000] }));
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/f.bin", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    let started = p
        .remote_download(std::slice::from_ref(&url), &deep.remote)
        .await
        .unwrap();
    assert_eq!(
        p.remote_download(std::slice::from_ref(&url), &p.root())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput,
        "123pan does not download into the root"
    );
    drop(p);

    let again = Cirrus::open(e.dir.path()).unwrap();
    let p = again.provider(&id).await.unwrap();
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    assert!(trash.entries.iter().any(|t| t.name == "old"), "{trash:?}");
    let mut done = None;
    for _ in 0..200 {
        let page = p.list_tasks(TaskCategory::Downloaded, None).await.unwrap();
        if let Some(t) = page.tasks.into_iter().find(|t| t.id == started[0].id) {
            done = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let done = done.expect("the download is listed after a restart");
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");
    assert_eq!(done.destination.as_deref(), Some("/x/y"));
    let f = p.resolve_path("/x/y/f.bin").await.unwrap();
    assert_eq!(p.stat(&f).await.unwrap().size, 5000);
}
