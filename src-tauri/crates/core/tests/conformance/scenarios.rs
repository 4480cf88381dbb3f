//! The scenarios. Each one starts its own sandbox through the fixture `F`, so they run in
//! parallel and leave nothing behind. Branches depend on `Capabilities`, never on `F`.

use std::collections::HashSet;
use std::sync::Arc;

use crate::common::list_all;
use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_core::{AddAccount, AddAccountOutcome, ErrorKind};
use cirrus_sandbox::faults::{FaultConfig, FaultKind};
use cirrus_sandbox::policy::PolicyKind;
use cirrus_sandbox::{SandboxConfig, demo};

use crate::fixture::{Fixture, start};
use crate::uploads_common::*;

/// Asserts that `r` failed with `kind`; `what` names the call in the message.
#[track_caller]
fn assert_kind<T: std::fmt::Debug>(r: cirrus_core::Result<T>, kind: ErrorKind, what: &str) {
    match r {
        Ok(v) => panic!("{what}: expected {kind}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.kind(), kind, "{what}: {e}"),
    }
}

/// Asserts that a batch call failed with `kind`, as a whole or for every item.
#[track_caller]
fn assert_batch_kind(r: cirrus_core::Result<BatchOutcome>, kind: ErrorKind, what: &str) {
    match r {
        Err(e) => assert_eq!(e.kind(), kind, "{what}: {e}"),
        Ok(out) => {
            assert!(!out.failed.is_empty(), "{what}: expected {kind}, all done");
            for (r, e) in &out.failed {
                assert_eq!(e.kind(), kind, "{what} {r}: {e}");
            }
        }
    }
}

async fn names_in(p: &dyn Provider, folder: &RemoteRef) -> HashSet<String> {
    list_all(p, folder, &ListOptions::default())
        .await
        .0
        .into_iter()
        .map(|e| e.name)
        .collect()
}

fn engine(p: Arc<dyn Provider>, q: Arc<TransferQueue>) -> TransferEngine {
    TransferEngine::new(p, q, config(6, false)).unwrap()
}

/// Uploads `content` as `name` into `dest` with `conflict`; the finished item.
async fn upload(
    p: &Arc<dyn Provider>,
    dest: &RemoteRef,
    name: &str,
    content: &[u8],
    conflict: ConflictPolicy,
) -> TransferItem {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), name, content);
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(p.clone(), q.clone());
    let id = e.enqueue_upload(&f, dest, conflict).unwrap();
    e.wait_idle().await.unwrap();
    q.get(id).unwrap()
}

#[track_caller]
fn assert_completed(item: &TransferItem) {
    assert_eq!(
        item.state,
        ItemState::Completed,
        "{}: {:?}",
        item.name,
        item.error
    );
}

// --- sign-in ---------------------------------------------------------------------------

pub async fn sign_in_and_sign_in_errors<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    if F::DETECTED {
        // The version is detected, not chosen.
        let (_, info) = env
            .cirrus
            .probe(&env.sandbox.base_url(), None)
            .await
            .unwrap();
        assert_eq!(info.major, F::MAJOR, "{}", F::NAME);
    }
    let (id, p) = env.signed_in().await;
    let a = env.cirrus.account(&id).unwrap();
    if F::DETECTED {
        assert!(a.server_version.starts_with(&F::MAJOR.to_string()));
    }
    assert_eq!(a.email, F::ACCOUNT_EMAIL);
    assert_eq!(
        p.whoami().await.unwrap().email.as_deref(),
        Some(demo::EMAIL)
    );
    let cap = p.capacity().await.unwrap();
    assert!(cap.total > 0);
    // Signing in again updates the same account.
    env.signed_in().await;
    assert_eq!(env.cirrus.accounts().unwrap().len(), 1);

    let mut wrong = env.demo_login();
    wrong.password = "not-the-password".into();
    assert_kind(
        env.cirrus.add_account(wrong).await,
        ErrorKind::WrongPassword,
        "wrong password",
    );
    let mut nobody = env.demo_login();
    nobody.email = "nobody@cirrus.local".into();
    assert_kind(
        env.cirrus.add_account(nobody).await,
        ErrorKind::WrongPassword,
        "unknown user",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut closed = env.demo_login();
    closed.server_url = format!("http://127.0.0.1:{port}");
    assert_kind(
        env.cirrus.add_account(closed).await,
        ErrorKind::Unreachable,
        "sign in at a closed port",
    );
    if !F::DETECTED {
        let mut elsewhere = env.demo_login();
        elsewhere.server_url = format!("{}/not-here", env.sandbox.base_url());
        assert_kind(
            env.cirrus.add_account(elsewhere).await,
            ErrorKind::NotCloudreve,
            "not the service's API",
        );
        assert_eq!(env.cirrus.accounts().unwrap().len(), 1);
        return;
    }
    // Something that is not Cloudreve, and nothing at all.
    assert_kind(
        env.cirrus
            .probe(&format!("{}/not-here", env.sandbox.base_url()), None)
            .await,
        ErrorKind::NotCloudreve,
        "not Cloudreve",
    );
    assert_kind(
        env.cirrus
            .probe(&format!("http://127.0.0.1:{port}"), None)
            .await,
        ErrorKind::Unreachable,
        "closed port",
    );

    // A server that wants a captcha says so clearly.
    assert!(F::CAPTCHA);
    let captcha = start::<F>(SandboxConfig {
        login_captcha: true,
        ..Default::default()
    })
    .await;
    assert_kind(
        captcha.cirrus.add_account(captcha.demo_login()).await,
        ErrorKind::CaptchaRequired,
        "captcha",
    );
}

pub async fn two_factor_sign_in<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    if !F::TWO_FACTOR {
        // No one-time codes: the sign-in completes at once, and no pending step exists.
        let out = env.cirrus.add_account(env.demo_login()).await.unwrap();
        assert!(matches!(out, AddAccountOutcome::Added(_)));
        assert_kind(
            env.cirrus.complete_2fa("no-such-pending", "123456").await,
            ErrorKind::TwoFactorWrong,
            "no pending sign-in",
        );
        return;
    }
    let req = AddAccount {
        server_url: env.sandbox.base_url(),
        email: demo::TOTP_EMAIL.into(),
        password: demo::TOTP_PASSWORD.into(),
        ..Default::default()
    };
    let AddAccountOutcome::TwoFactorRequired { pending_id } =
        env.cirrus.add_account(req).await.unwrap()
    else {
        panic!("the 2FA user must need a code");
    };
    assert_kind(
        env.cirrus.complete_2fa(&pending_id, "000000").await,
        ErrorKind::TwoFactorWrong,
        "wrong code",
    );
    let a = env
        .cirrus
        .complete_2fa(&pending_id, &demo::totp_code(demo::TOTP_SECRET))
        .await
        .unwrap();
    assert_eq!(a.email, demo::TOTP_EMAIL);
    let p = env.cirrus.provider(&a.id).await.unwrap();
    assert_eq!(
        p.whoami().await.unwrap().email.as_deref(),
        Some(demo::TOTP_EMAIL)
    );
    assert_kind(
        env.cirrus.complete_2fa("no-such-pending", "123456").await,
        ErrorKind::TwoFactorWrong,
        "unknown pending sign-in",
    );
}

// --- listing -----------------------------------------------------------------------------

const ODD_NAMES: [&str; 10] = [
    "a b.txt",
    "100%.txt",
    "#hash#",
    "a+b=c&d",
    "中文 文件",
    "emoji 😀🎉",
    "(x)!~'",
    "%20literal",
    "semi;colon,comma",
    " leading space",
];

pub async fn listing_odd_names<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let parent = p
        .create_folder(&p.root(), "odd names 100% #1")
        .await
        .unwrap();
    assert_eq!(parent.name, "odd names 100% #1");
    for n in ODD_NAMES {
        let f = p.create_folder(&parent.remote, n).await.unwrap();
        assert_eq!(f.name, n);
        assert!(f.is_folder());
        let again = p.stat(&f.remote).await.unwrap();
        assert_eq!(again.name, n);
        // A file with the same odd name inside it, through the engine.
        assert_completed(
            &upload(
                &p,
                &f.remote,
                &format!("{n}.bin"),
                b"odd",
                ConflictPolicy::Ask,
            )
            .await,
        );
        let inside = list_all(p.as_ref(), &f.remote, &ListOptions::default())
            .await
            .0;
        assert_eq!(inside.len(), 1);
        assert_eq!(inside[0].name, format!("{n}.bin"));
        assert_eq!(inside[0].size, 3);
        assert_eq!(p.stat(&inside[0].remote).await.unwrap().size, 3);
    }
    let listed = names_in(p.as_ref(), &parent.remote).await;
    let want: HashSet<String> = ODD_NAMES.iter().map(|s| s.to_string()).collect();
    assert_eq!(listed, want);
    // Paths resolve to the same objects.
    let by_path = p
        .resolve_path("/odd names 100% #1/中文 文件")
        .await
        .unwrap();
    assert_eq!(p.stat(&by_path).await.unwrap().name, "中文 文件");
}

pub async fn listing_pages<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    env.sandbox.seed_files(demo::EMAIL, "/many", 250);
    let (_, p) = env.signed_in().await;
    let many = p.resolve_path("/many").await.unwrap();
    let opts = ListOptions {
        page_size: Some(100),
        ..Default::default()
    };
    let (all, pages) = list_all(p.as_ref(), &many, &opts).await;
    assert_eq!(all.len(), 250);
    let names: HashSet<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), 250, "no duplicates across pages");
    if p.capabilities().cursor_pagination {
        assert!(pages >= 3, "{pages} pages of at most 100");
    } else {
        assert_eq!(pages, 1, "an unpaged provider answers in one page");
    }
    // Sorted as asked, by the server or by the provider.
    let sorted: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "ascending by name");
    let desc = ListOptions {
        direction: cirrus_core::provider::Direction::Desc,
        ..opts
    };
    let (rev, _) = list_all(p.as_ref(), &many, &desc).await;
    assert_eq!(rev.first().unwrap().name, all.last().unwrap().name);
    // Empty folders list as one empty page.
    let empty = p.create_folder(&p.root(), "empty").await.unwrap();
    let page = p
        .list(&empty.remote, &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(page.entries.is_empty() && page.next_cursor.is_none());
}

// --- file operations ----------------------------------------------------------------------

pub async fn mkdir_rename_move_copy_delete<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let caps = p.capabilities();
    let root = p.root();
    let deep = p
        .create_folders(&root, &["x".into(), "y".into(), "z".into()])
        .await
        .unwrap();
    assert_eq!(deep.name, "z");
    let y = p.resolve_path("/x/y").await.unwrap();
    assert!(p.stat(&y).await.unwrap().is_folder());
    // Creating an existing folder returns it.
    let again = p.create_folder(&y, "z").await.unwrap();
    assert!(again.is_folder());
    assert_eq!(again.name, "z");

    let renamed = p.rename(&deep.remote, "zz").await.unwrap();
    assert_eq!(renamed.name, "zz");
    assert_kind(p.stat(&deep.remote).await, ErrorKind::NotFound, "old name");
    assert_completed(&upload(&p, &renamed.remote, "f.txt", b"hello", ConflictPolicy::Ask).await);
    let file = p.resolve_path("/x/y/zz/f.txt").await.unwrap();
    let file_renamed = p.rename(&file, "g.txt").await.unwrap();
    assert_eq!(file_renamed.name, "g.txt");
    assert_eq!(p.stat(&file_renamed.remote).await.unwrap().size, 5);

    // Copy one folder and one file (several objects, whether or not the server batches).
    let dest = p.create_folder(&root, "dest").await.unwrap();
    let out = p
        .copy_items(
            &[renamed.remote.clone(), file_renamed.remote.clone()],
            &dest.remote,
        )
        .await;
    if caps.server_side_copy {
        assert!(out.unwrap().is_complete());
        assert_eq!(
            names_in(p.as_ref(), &dest.remote).await,
            HashSet::from(["zz".to_string(), "g.txt".to_string()])
        );
        let copied = p.resolve_path("/dest/zz/g.txt").await.unwrap();
        assert_eq!(p.stat(&copied).await.unwrap().size, 5);
        assert!(
            p.stat(&renamed.remote).await.is_ok(),
            "copy keeps the source"
        );
    } else {
        assert_kind(out, ErrorKind::Unsupported, "copy");
    }

    // Move.
    let x = p.resolve_path("/x").await.unwrap();
    let target = p.create_folder(&root, "target").await.unwrap();
    assert!(
        p.move_items(std::slice::from_ref(&x), &target.remote)
            .await
            .unwrap()
            .is_complete()
    );
    assert_kind(p.stat(&x).await, ErrorKind::NotFound, "moved away");
    let moved = p.resolve_path("/target/x/y/zz/g.txt").await.unwrap();
    assert_eq!(p.stat(&moved).await.unwrap().size, 5);
    // Several objects at once.
    let a = p.create_folder(&root, "ma").await.unwrap();
    let b = p.create_folder(&root, "mb").await.unwrap();
    assert!(
        p.move_items(&[a.remote, b.remote], &target.remote)
            .await
            .unwrap()
            .is_complete()
    );
    assert_eq!(
        names_in(p.as_ref(), &target.remote).await,
        HashSet::from(["x".to_string(), "ma".to_string(), "mb".to_string()])
    );
    // Moving onto an existing name is a conflict.
    let clash = p.create_folder(&root, "clash").await.unwrap();
    p.create_folder(&clash.remote, "x").await.unwrap();
    let moved_x = p.resolve_path("/target/x").await.unwrap();
    assert_batch_kind(
        p.move_items(&[moved_x], &clash.remote).await,
        ErrorKind::AlreadyExists,
        "move onto an existing name",
    );

    // Delete for good.
    let mx = p.resolve_path("/target/ma").await.unwrap();
    let gone = p.resolve_path("/target/x/y/zz/g.txt").await.unwrap();
    assert!(
        p.delete(&[mx.clone(), gone.clone()], DeleteMode::Permanent)
            .await
            .unwrap()
            .is_complete()
    );
    assert_kind(p.stat(&mx).await, ErrorKind::NotFound, "deleted folder");
    assert_kind(p.stat(&gone).await, ErrorKind::NotFound, "deleted file");
}

pub async fn trash_or_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let caps = p.capabilities();
    let f = p.create_folder(&p.root(), "to trash").await.unwrap();
    let r = p
        .delete(std::slice::from_ref(&f.remote), DeleteMode::Trash)
        .await;
    if !caps.trash {
        assert_kind(r, ErrorKind::Unsupported, "delete to the trash");
        assert!(p.stat(&f.remote).await.is_ok(), "nothing was deleted");
        assert_kind(
            p.list_trash(&ListOptions::default(), None).await,
            ErrorKind::Unsupported,
            "list the trash",
        );
        assert_kind(
            p.empty_trash().await,
            ErrorKind::Unsupported,
            "empty the trash",
        );
        assert!(!caps.restore);
        assert_kind(
            p.restore(std::slice::from_ref(&f.remote)).await,
            ErrorKind::Unsupported,
            "restore",
        );
        return;
    }
    assert!(r.unwrap().is_complete());
    assert_kind(p.stat(&f.remote).await, ErrorKind::NotFound, "trashed");
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    let item = trash
        .entries
        .iter()
        .find(|e| e.name == "to trash")
        .expect("in the trash")
        .clone();
    if caps.restore {
        assert!(
            p.restore(std::slice::from_ref(&item.remote))
                .await
                .unwrap()
                .is_complete()
        );
        assert!(p.stat(&f.remote).await.is_ok(), "restored");
    }
    p.delete(std::slice::from_ref(&f.remote), DeleteMode::Trash)
        .await
        .unwrap();
    p.empty_trash().await.unwrap();
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    assert!(trash.entries.is_empty());
}

/// Every capability a provider says it lacks fails with `Unsupported`, cleanly (no request
/// half done, no other error kind).
pub async fn missing_capabilities_are_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let caps = p.capabilities();
    let root = p.root();
    let folder = p.create_folder(&root, "caps").await.unwrap();
    assert_completed(&upload(&p, &folder.remote, "a.zip", b"PK", ConflictPolicy::Ask).await);
    let file = p.resolve_path("/caps/a.zip").await.unwrap();
    let one = std::slice::from_ref(&folder.remote);
    let mut checked = 0;
    if !caps.search {
        let q = SearchQuery {
            name: "a".into(),
            kind: None,
            ..SearchQuery::default()
        };
        assert_kind(
            p.search(&root, &q, &ListOptions::default(), None).await,
            ErrorKind::Unsupported,
            "search",
        );
        checked += 1;
    }
    if !caps.trash {
        assert_kind(
            p.delete(one, DeleteMode::Trash).await,
            ErrorKind::Unsupported,
            "trash",
        );
        checked += 1;
    }
    if !caps.restore {
        assert_kind(p.restore(one).await, ErrorKind::Unsupported, "restore");
        checked += 1;
    }
    if !caps.server_side_copy {
        assert_kind(
            p.copy_items(one, &root).await,
            ErrorKind::Unsupported,
            "copy",
        );
        checked += 1;
    }
    if !caps.shares {
        assert_kind(
            p.create_share(&folder.remote, &ShareOptions::default())
                .await,
            ErrorKind::Unsupported,
            "shares",
        );
        assert_kind(p.list_shares(None).await, ErrorKind::Unsupported, "shares");
        checked += 1;
    }
    if !caps.tasks_archive {
        assert_kind(
            p.create_archive(one, &root, "x.zip").await,
            ErrorKind::Unsupported,
            "archive",
        );
        checked += 1;
    }
    if !caps.tasks_extract {
        assert_kind(
            p.extract_archive(&file, &root, &ExtractOptions::default())
                .await,
            ErrorKind::Unsupported,
            "extract",
        );
        checked += 1;
    }
    if !caps.tasks_remote_download {
        assert_kind(
            p.remote_download(&["http://example.invalid/x".into()], &root)
                .await,
            ErrorKind::Unsupported,
            "remote download",
        );
        checked += 1;
    }
    if !caps.tasks_archive && !caps.tasks_extract && !caps.tasks_remote_download {
        assert_kind(
            p.list_tasks(TaskCategory::General, None).await,
            ErrorKind::Unsupported,
            "tasks",
        );
    }
    // Whatever was refused, the objects are untouched.
    assert_eq!(
        names_in(p.as_ref(), &folder.remote).await,
        HashSet::from(["a.zip".to_string()])
    );
    eprintln!("{}: {checked} missing capabilities checked", F::NAME);
}

pub async fn search_finds_nested_files<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let root = p.root();
    let q = SearchQuery {
        name: "needle".into(),
        kind: Some(EntryKind::File),
        ..SearchQuery::default()
    };
    if !p.capabilities().search {
        assert_kind(
            p.search(&root, &q, &ListOptions::default(), None).await,
            ErrorKind::Unsupported,
            "search",
        );
        return;
    }
    let deep = p
        .create_folders(&root, &["s1".into(), "s 2".into()])
        .await
        .unwrap();
    assert_completed(&upload(&p, &deep.remote, "a needle.txt", b"n", ConflictPolicy::Ask).await);
    assert_completed(&upload(&p, &root, "hay.txt", b"h", ConflictPolicy::Ask).await);
    let mut found = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let page = p
            .search(&root, &q, &ListOptions::default(), cursor.as_deref())
            .await
            .unwrap();
        found.extend(page.entries);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].name, "a needle.txt");
    // The result is a usable reference.
    assert_eq!(p.stat(&found[0].remote).await.unwrap().size, 1);
    let url = p.download_url(&found[0].remote).await.unwrap();
    assert!(!url.is_empty());
}

/// Thumbnails where the server makes them: a photo gets a JPEG, a text file and a folder get
/// none (and asking again still says none). Without the flag: a clean `Unsupported`.
pub async fn thumbnails_or_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let root = p.root();
    if !p.capabilities().thumbnails {
        assert_kind(
            p.thumbnail(&root).await,
            ErrorKind::Unsupported,
            "thumbnail",
        );
        return;
    }
    let photo_bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../sandbox/demo/Photos/Storm.jpg"
    ))
    .unwrap();
    let folder = p.create_folders(&root, &["pics".into()]).await.unwrap();
    assert_completed(
        &upload(
            &p,
            &folder.remote,
            "storm.jpg",
            &photo_bytes,
            ConflictPolicy::Ask,
        )
        .await,
    );
    assert_completed(
        &upload(
            &p,
            &folder.remote,
            "notes.txt",
            b"not a picture",
            ConflictPolicy::Ask,
        )
        .await,
    );
    let photo = p.resolve_path("/pics/storm.jpg").await.unwrap();
    let jpeg = p
        .thumbnail(&photo)
        .await
        .unwrap()
        .expect("a thumbnail of the photo");
    assert_eq!(&jpeg[..3], &[0xFF, 0xD8, 0xFF], "JPEG magic");
    assert!(jpeg.len() < photo_bytes.len(), "smaller than the photo");
    let text = p.resolve_path("/pics/notes.txt").await.unwrap();
    assert_eq!(p.thumbnail(&text).await.unwrap(), None);
    assert_eq!(p.thumbnail(&text).await.unwrap(), None, "asked again");
    assert_eq!(p.thumbnail(&folder.remote).await.unwrap(), None);
}

// --- uploads -------------------------------------------------------------------------------

/// Sizes 0, 1, chunk − 1, chunk, chunk + 1 and several chunks, on every storage policy the
/// provider's sandbox serves, through the engine; every file comes back byte-identical and no
/// upload session stays open.
pub async fn upload_sizes_on_every_policy<F: Fixture>() {
    let probe = start::<F>(SandboxConfig::default()).await;
    let policies = F::policies(&probe.sandbox);
    drop(probe);
    assert!(policies.contains(&PolicyKind::Local));
    for kind in policies {
        let env = start::<F>(SandboxConfig {
            policy: kind,
            chunk_size: chunk_for(kind),
            ..Default::default()
        })
        .await;
        env.sandbox
            .set_policy_chunking(kind, chunk_for(kind), 2)
            .unwrap();
        let (_, p) = env.signed_in().await;
        let dest = p
            .create_folder(&p.root(), &format!("{kind}"))
            .await
            .unwrap()
            .remote;
        let dir = tempfile::tempdir().unwrap();
        let q = Arc::new(TransferQueue::open_in_memory().unwrap());
        let e = engine(p.clone(), q.clone());
        let mut files = vec![];
        for (i, size) in odd_sizes(kind).into_iter().enumerate() {
            let name = format!("f{i}-{size}.bin");
            let content = data(size, i as u8);
            e.enqueue_upload(
                &write(dir.path(), &name, &content),
                &dest,
                ConflictPolicy::Ask,
            )
            .unwrap();
            files.push((name, content));
        }
        e.wait_idle().await.unwrap();
        for it in q.list().unwrap() {
            assert_eq!(
                it.state,
                ItemState::Completed,
                "{kind} {}: {:?}",
                it.name,
                it.error
            );
        }
        for (name, content) in &files {
            let entry = remote_entry(p.as_ref(), &dest, name).await;
            assert_eq!(entry.size, content.len() as u64, "{kind} {name}");
            let got = download_bytes(p.clone(), &entry).await;
            assert_eq!(sha(&got), sha(content), "{kind} {name} differs");
        }
        assert_eq!(env.sandbox.active_upload_sessions(), 0, "{kind}");
    }
}

/// Ask, skip, keep-both and overwrite are settled before any byte goes; overwrite never
/// leaves the name without a complete file (the new content is complete before the old one
/// goes) and leaves exactly one file of that name.
pub async fn upload_conflicts_are_settled_before_bytes_go<F: Fixture>() {
    let env = start::<F>(SandboxConfig {
        chunk_size: 1000,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let dest = p
        .create_folder(&p.root(), "conflicts")
        .await
        .unwrap()
        .remote;
    let old = data(2500, 1);
    let new = data(3100, 2);
    assert_completed(&upload(&p, &dest, "doc.bin", &old, ConflictPolicy::Ask).await);

    let ask = upload(&p, &dest, "doc.bin", &new, ConflictPolicy::Ask).await;
    assert_eq!(ask.state, ItemState::Failed);
    assert_eq!(
        ask.error_kind.as_deref(),
        Some("alreadyExists"),
        "{:?}",
        ask.error
    );
    let skip = upload(&p, &dest, "doc.bin", &new, ConflictPolicy::Skip).await;
    assert_completed(&skip);
    assert!(skip.skipped);
    let entry = remote_entry(p.as_ref(), &dest, "doc.bin").await;
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&old));

    let both = upload(&p, &dest, "doc.bin", &new, ConflictPolicy::KeepBoth).await;
    assert_completed(&both);
    assert_ne!(both.name, "doc.bin");
    let copy = remote_entry(p.as_ref(), &dest, &both.name).await;
    assert_eq!(sha(&download_bytes(p.clone(), &copy).await), sha(&new));
    let entry = remote_entry(p.as_ref(), &dest, "doc.bin").await;
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&old));

    let over = upload(&p, &dest, "doc.bin", &new, ConflictPolicy::Overwrite).await;
    assert_completed(&over);
    assert_eq!(over.name, "doc.bin");
    let entry = remote_entry(p.as_ref(), &dest, "doc.bin").await;
    assert_eq!(entry.size, new.len() as u64);
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&new));
    // Nothing else was left behind: the two files and no temporary.
    assert_eq!(
        names_in(p.as_ref(), &dest).await,
        HashSet::from(["doc.bin".to_string(), both.name.clone()])
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);

    // An overwrite that fails half way leaves the old file as it was.
    let counting = Counting::new(p.clone());
    *counting.hang_at.lock().unwrap() = Some(1);
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "doc.bin", &data(2200, 3));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(counting.clone(), q.clone(), config(2, false)).unwrap();
    e.enqueue_upload(&f, &dest, ConflictPolicy::Overwrite)
        .unwrap();
    wait_for(30, || counting.hung.lock().unwrap().contains(&1)).await;
    let entry = remote_entry(p.as_ref(), &dest, "doc.bin").await;
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&new));
    drop(e);
}

// --- downloads -----------------------------------------------------------------------------

pub async fn ranged_and_resumed_download<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let content = data(300_000, 5);
    assert_completed(&upload(&p, &p.root(), "big.bin", &content, ConflictPolicy::Ask).await);
    let entry = remote_entry(p.as_ref(), &p.root(), "big.bin").await;
    let url = p.download_url(&entry.remote).await.unwrap();
    let http = reqwest::Client::new();
    let resp = http
        .get(&url)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .unwrap();
    if p.capabilities().ranged_download {
        assert_eq!(resp.status().as_u16(), 206);
        let got = resp.bytes().await.unwrap();
        assert_eq!(&got[..], &content[1000..2000]);
    } else {
        assert!(resp.status().is_success());
    }
    assert_kind(
        p.download_url(&p.resolve_path("/no such file").await.unwrap())
            .await,
        ErrorKind::NotFound,
        "download a missing file",
    );

    // Downloads cut off mid-body resume where they stopped and end byte-identical.
    env.sandbox.set_faults(FaultConfig {
        seed: 7,
        download_fail_rate: 0.4,
        kinds: vec![FaultKind::Drop, FaultKind::ServerError],
        ..Default::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let cfg = EngineConfig {
        download_chunk_size: 64 << 10,
        ..config(12, false)
    };
    let e = TransferEngine::new(p.clone(), q.clone(), cfg).unwrap();
    let id = e
        .enqueue_download(&entry, dir.path(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_completed(&item);
    assert_eq!(
        sha(&std::fs::read(&item.local_path).unwrap()),
        sha(&content)
    );
    assert!(
        !env.sandbox.fault_stats().events.is_empty(),
        "faults were injected"
    );
}

// --- shares --------------------------------------------------------------------------------

pub async fn shares_create_list_delete<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let caps = p.capabilities();
    let folder = p.create_folder(&p.root(), "shared stuff").await.unwrap();
    if !caps.shares {
        assert_kind(
            p.create_share(&folder.remote, &ShareOptions::default())
                .await,
            ErrorKind::Unsupported,
            "shares",
        );
        return;
    }
    let plain = p
        .create_share(&folder.remote, &ShareOptions::default())
        .await
        .unwrap();
    assert!(!plain.id.is_empty());
    assert!(plain.url.contains(&plain.id), "{}", plain.url);
    assert!(plain.is_folder);
    assert_completed(
        &upload(
            &p,
            &folder.remote,
            "s.txt",
            b"share me",
            ConflictPolicy::Ask,
        )
        .await,
    );
    let file = p.resolve_path("/shared stuff/s.txt").await.unwrap();
    let opts = ShareOptions {
        password: caps.share_passwords.then(|| "abc123".to_string()),
        expires_in_secs: caps.share_limits.then_some(3600),
        download_limit: caps.share_limits.then_some(5),
        ..Default::default()
    };
    let limited = p.create_share(&file, &opts).await.unwrap();
    assert!(!limited.is_folder);
    if caps.share_passwords {
        assert_eq!(limited.password.as_deref(), Some("abc123"));
        assert!(limited.link_text().contains("abc123"));
    }
    let mut all = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let page = p.list_shares(cursor.as_deref()).await.unwrap();
        all.extend(page.shares);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let listed = all.iter().find(|s| s.id == limited.id).expect("listed");
    if caps.share_limits {
        assert!(listed.expires_at.is_some(), "{listed:?}");
        assert_eq!(listed.remaining_downloads, Some(5), "{listed:?}");
    }
    assert!(all.iter().any(|s| s.id == plain.id));
    if let Some(days) = caps.share_expiry_days.last() {
        // Expiry is one of the offered choices; anything else is refused before a request.
        let secs = u64::from(*days) * 24 * 3600;
        let expiring = p
            .create_share(
                &file,
                &ShareOptions {
                    expires_in_secs: Some(secs),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let listed = p.share(&expiring.id).await.unwrap();
        let left = listed.expires_at.expect("an expiry") - chrono::Utc::now();
        assert!(left.num_seconds() > secs as i64 - 3600, "{listed:?}");
        assert_kind(
            p.create_share(
                &file,
                &ShareOptions {
                    expires_in_secs: Some(3600),
                    ..Default::default()
                },
            )
            .await,
            ErrorKind::InvalidInput,
            "an expiry that is not a choice",
        );
    }
    if caps.share_delete {
        p.delete_share(&plain.id).await.unwrap();
        p.delete_share(&limited.id).await.unwrap();
        let page = p.list_shares(None).await.unwrap();
        assert!(page.shares.is_empty(), "{:?}", page.shares);
    } else {
        assert_kind(
            p.delete_share(&plain.id).await,
            ErrorKind::Unsupported,
            "delete a share",
        );
        assert!(
            p.list_shares(None)
                .await
                .unwrap()
                .shares
                .iter()
                .any(|s| s.id == plain.id),
            "nothing was deleted"
        );
    }
    assert_kind(
        p.create_share(
            &p.resolve_path("/no such thing").await.unwrap(),
            &ShareOptions::default(),
        )
        .await,
        ErrorKind::NotFound,
        "share a missing item",
    );
}

// --- server tasks ---------------------------------------------------------------------------

/// Serve `body` at `/files/data%20set.bin` on 127.0.0.1; the URL.
async fn serve_file(body: Vec<u8>) -> String {
    use axum::routing::get;
    let app = axum::Router::new().route(
        "/files/data%20set.bin",
        get(move || {
            let b = body.clone();
            async move { b }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    format!("http://{addr}/files/data%20set.bin")
}

pub async fn remote_download_or_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let dest = p.create_folder(&p.root(), "Downloads").await.unwrap();
    let payload = data(50_000, 77);
    let url = serve_file(payload.clone()).await;
    let started = p
        .remote_download(std::slice::from_ref(&url), &dest.remote)
        .await;
    if !p.capabilities().tasks_remote_download {
        assert_kind(started, ErrorKind::Unsupported, "remote download");
        return;
    }
    let tasks = started.unwrap();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    let id = tasks[0].id.clone();
    if !p.capabilities().task_cancel {
        assert_kind(p.cancel_task(&id).await, ErrorKind::Unsupported, "cancel");
    }
    let mut done = None;
    for _ in 0..400 {
        let page = p.list_tasks(TaskCategory::Downloaded, None).await.unwrap();
        if let Some(t) = page.tasks.into_iter().find(|t| t.id == id)
            && t.status.is_finished()
        {
            done = Some(t);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let done = done.expect("the download finished");
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");
    let file = p.resolve_path("/Downloads/data set.bin").await.unwrap();
    let entry = p.stat(&file).await.unwrap();
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&payload));
}

pub async fn webdav_accounts_or_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let photos = p.create_folder(&p.root(), "Photos").await.unwrap();
    let created = p.create_webdav_account("phone", &photos.remote).await;
    if !p.capabilities().webdav_accounts {
        assert_kind(created, ErrorKind::Unsupported, "WebDAV accounts");
        assert_kind(
            p.list_webdav_accounts().await,
            ErrorKind::Unsupported,
            "WebDAV accounts",
        );
        return;
    }
    let a = created.unwrap();
    assert_eq!(a.name, "phone");
    assert_eq!(a.root, "/Photos");
    assert!(!a.password.is_empty());
    let all = p.list_webdav_accounts().await.unwrap();
    let listed = all.iter().find(|x| x.id == a.id).expect("listed");
    assert_eq!(listed.password, a.password);
    p.delete_webdav_account(&a.id).await.unwrap();
    assert!(
        p.list_webdav_accounts()
            .await
            .unwrap()
            .iter()
            .all(|x| x.id != a.id)
    );
}

// --- errors --------------------------------------------------------------------------------

pub async fn errors_are_typed<F: Fixture>() {
    let env = start::<F>(SandboxConfig {
        user_quota: 10_000,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let root = p.root();
    // Not found.
    let missing = p.resolve_path("/nope/deeper").await;
    if let Ok(missing) = missing {
        assert_kind(p.stat(&missing).await, ErrorKind::NotFound, "stat");
        assert_kind(
            p.list(&missing, &ListOptions::default(), None).await,
            ErrorKind::NotFound,
            "list",
        );
        assert_kind(p.rename(&missing, "x").await, ErrorKind::NotFound, "rename");
    } else {
        assert_kind(missing, ErrorKind::NotFound, "resolve");
    }
    // Conflict.
    let a = p.create_folder(&root, "a").await.unwrap();
    assert_completed(&upload(&p, &root, "f.txt", b"x", ConflictPolicy::Ask).await);
    let f = p.resolve_path("/f.txt").await.unwrap();
    assert_kind(
        p.rename(&f, "a").await,
        ErrorKind::AlreadyExists,
        "rename onto a folder",
    );
    assert_kind(
        p.rename(&a.remote, "f.txt").await,
        ErrorKind::AlreadyExists,
        "rename onto a file",
    );
    assert_kind(
        p.create_folder(&root, "f.txt").await,
        ErrorKind::AlreadyExists,
        "folder over a file",
    );
    // Names the server refuses, before any request.
    assert_kind(
        p.create_folder(&root, "a/b").await,
        ErrorKind::InvalidName,
        "slash",
    );
    // Permission: the root is not the user's to rename.
    assert_kind(
        p.rename(&root, "mine").await,
        ErrorKind::PermissionDenied,
        "rename root",
    );
    // Quota.
    let big = upload(&p, &root, "big.bin", &data(20_000, 1), ConflictPolicy::Ask).await;
    assert_eq!(big.state, ItemState::Failed);
    assert_eq!(
        big.error_kind.as_deref(),
        Some("quotaExceeded"),
        "{:?}",
        big.error
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

// --- faults and restarts -------------------------------------------------------------------

pub async fn uploads_survive_faults<F: Fixture>() {
    let env = start::<F>(SandboxConfig {
        chunk_size: 1000,
        faults: FaultConfig {
            seed: 11,
            chunk_fail_rate: 0.3,
            drop_rate: 0.05,
            kinds: vec![
                FaultKind::ServerError,
                FaultKind::TooManyRequests,
                FaultKind::Drop,
            ],
            ..Default::default()
        },
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let dest = p.create_folder(&p.root(), "faulty").await.unwrap().remote;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(12, false)).unwrap();
    let mut files = vec![];
    for (i, size) in [0usize, 999, 1000, 1001, 7_321].into_iter().enumerate() {
        let name = format!("f{i}.bin");
        let content = data(size, i as u8 + 40);
        e.enqueue_upload(
            &write(dir.path(), &name, &content),
            &dest,
            ConflictPolicy::Ask,
        )
        .unwrap();
        files.push((name, content));
    }
    e.wait_idle().await.unwrap();
    for it in q.list().unwrap() {
        assert_completed(&it);
    }
    assert!(
        !env.sandbox.fault_stats().events.is_empty(),
        "faults were injected"
    );
    env.sandbox.set_faults(FaultConfig::default());
    for (name, content) in &files {
        let entry = remote_entry(p.as_ref(), &dest, name).await;
        assert_eq!(
            sha(&download_bytes(p.clone(), &entry).await),
            sha(content),
            "{name}"
        );
    }
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

/// An upload stopped mid-way continues after a restart (a new engine on the same queue
/// database) with the same server session, without sending acknowledged chunks again; a
/// session the server no longer knows is replaced by a new one.
pub async fn upload_resumes_after_a_restart<F: Fixture>() {
    let env = start::<F>(SandboxConfig {
        chunk_size: 1000,
        ..Default::default()
    })
    .await;
    let (_, real) = env.signed_in().await;
    let p = Counting::new(real.clone());
    *p.hang_at.lock().unwrap() = Some(2);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite3");
    let content = data(4_500, 9);
    let f = write(dir.path(), "resume.bin", &content);
    let id = {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
        let id = e
            .enqueue_upload(&f, &real.root(), ConflictPolicy::Ask)
            .unwrap();
        // Chunks go one at a time or several at once (123pan slices): the two before the
        // hung one are in, the hung one is not.
        wait_for(30, || {
            let acked = q.acked_chunks(id).unwrap();
            p.hung.lock().unwrap().contains(&2) && acked.contains(&0) && acked.contains(&1)
        })
        .await;
        assert!(!q.acked_chunks(id).unwrap().contains(&2));
        drop(e);
        id
    };
    assert_eq!(env.sandbox.active_upload_sessions(), 1);
    *p.hang_at.lock().unwrap() = None;
    p.clear();
    {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
        e.wait_idle().await.unwrap();
        assert_completed(&q.get(id).unwrap());
    }
    assert_eq!(p.calls_for(0), 0, "chunk 1 was sent again");
    assert_eq!(p.calls_for(1), 0, "chunk 2 was sent again");
    assert_eq!(
        p.sessions.lock().unwrap().len(),
        1,
        "the same session went on"
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "resume.bin").await;
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&content)
    );

    // The second time, the server forgets the session while the client is away.
    // Other bytes: a server that knows the content finishes the upload at once (instant).
    let again = data(4_500, 10);
    let g = write(dir.path(), "again.bin", &again);
    *p.hang_at.lock().unwrap() = Some(2);
    p.sessions.lock().unwrap().clear();
    let id = {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
        let id = e
            .enqueue_upload(&g, &real.root(), ConflictPolicy::Ask)
            .unwrap();
        wait_for(30, || {
            p.hung.lock().unwrap().iter().filter(|i| **i == 2).count() == 2
        })
        .await;
        drop(e);
        id
    };
    let q = Arc::new(TransferQueue::open(&db).unwrap());
    let stale = q.session(id).unwrap().expect("a stored session");
    real.cancel_upload(&stale).await.unwrap();
    if !F::SERVER_CANCELS_UPLOADS {
        // Nothing to call: the server forgets the upload when it expires.
        env.sandbox.expire_upload_sessions();
    }
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
    *p.hang_at.lock().unwrap() = None;
    let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
    e.wait_idle().await.unwrap();
    assert_completed(&q.get(id).unwrap());
    assert_eq!(
        p.sessions.lock().unwrap().len(),
        2,
        "a new session replaced the gone one"
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "again.bin").await;
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&again)
    );
}

// --- versions and search filters -----------------------------------------------------------

#[path = "versions.rs"]
mod versions;
pub use versions::*;
