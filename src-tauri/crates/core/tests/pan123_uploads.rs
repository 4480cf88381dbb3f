//! 123pan uploads through the transfer engine against the sandbox: the hashing ("checking")
//! pass and its cache, instant upload (create only), single-step small files, parallel
//! slices resumed after a kill, `upload_complete` polling, keep-both and overwrite, and a
//! 100-file folder under the rate limits.

mod common;
mod uploads_common;

use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::faults::FaultConfig;
use cirrus_sandbox::{Api, SandboxConfig};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use uploads_common::*;

/// Slice size the tests give the sandbox: small, so a few hundred KiB make many slices.
const SLICE: u64 = 64 << 10;

async fn pan123_env() -> common::Env {
    let env = common::env(SandboxConfig {
        api: Api::Pan123,
        ..Default::default()
    })
    .await;
    env.sandbox.set_pan123_slice_size(SLICE);
    env.sandbox.set_pan123_complete_polls(0);
    env
}

async fn sign_in(env: &common::Env) -> Arc<dyn Provider> {
    env.signed_in_pan123().await
}

/// Requests per sandbox path made since `before`.
fn requests_since(env: &common::Env, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    env.sandbox
        .pan123_stats()
        .requests
        .into_iter()
        .filter_map(|(path, n)| {
            let d = n - before.get(&path).copied().unwrap_or(0);
            (d > 0).then_some((path, d))
        })
        .collect()
}

fn engine(p: Arc<dyn Provider>, db: &Path) -> (TransferEngine, Arc<TransferQueue>) {
    let q = Arc::new(TransferQueue::open(db).unwrap());
    (
        TransferEngine::new(p, q.clone(), config(4, false)).unwrap(),
        q,
    )
}

async fn upload(
    e: &TransferEngine,
    q: &TransferQueue,
    file: &Path,
    dest: &RemoteRef,
    conflict: ConflictPolicy,
) -> TransferItem {
    let id = e.enqueue_upload(file, dest, conflict).unwrap();
    e.wait_idle().await.unwrap();
    q.get(id).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_known_file_is_an_instant_upload_create_only_and_never_hashed_twice() {
    let env = pan123_env().await;
    let p = sign_in(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite3");
    let content = data((3 * SLICE + 7) as usize, 1);
    let f = write(dir.path(), "first.bin", &content);

    let (e, q) = engine(p.clone(), &db);
    let mut events = e.subscribe();
    let item = upload(&e, &q, &f, &p.root(), ConflictPolicy::Ask).await;
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    assert!(!item.instant, "new content is sent");
    assert_eq!(e.hash_passes(), 1);
    let stats = env.sandbox.pan123_stats();
    assert_eq!(stats.slices, 4, "three whole slices and the rest");
    assert_eq!(stats.reused, 0);
    // The file was read to hash it before any byte went: a checking phase with progress.
    let mut checked = 0;
    let mut checking_before_bytes = false;
    while let Ok(ev) = events.try_recv() {
        let Some(ev) = ev.item() else { continue };
        if ev.id == item.id && ev.phase == TransferPhase::Checking {
            checked = checked.max(ev.checked_bytes);
            checking_before_bytes |= ev.progress.bytes_done == 0;
        }
    }
    assert!(checking_before_bytes, "a checking event came first");
    assert!(checked > 0 && checked <= content.len() as u64, "{checked}");
    drop(e);

    // The same file again, into another folder, by a new engine on the same queue database:
    // the hash comes from the cache, and 123pan knows the content, so create finishes it.
    let copies = p.create_folder(&p.root(), "copies").await.unwrap();
    let before = env.sandbox.pan123_stats().requests;
    let (e, q) = engine(p.clone(), &db);
    let mut events = e.subscribe();
    let item = upload(&e, &q, &f, &copies.remote, ConflictPolicy::Ask).await;
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    assert!(item.instant, "reported as an instant upload");
    assert_eq!(item.bytes_done, content.len() as u64);
    assert_eq!(e.hash_passes(), 0, "the MD5 came from the queue's cache");
    let made = requests_since(&env, &before);
    assert_eq!(made.get("/upload/v2/file/create"), Some(&1), "{made:?}");
    for path in [
        "/upload/v2/file/slice",
        "/upload/v2/file/single/create",
        "/upload/v2/file/upload_complete",
    ] {
        assert_eq!(
            made.get(path),
            None,
            "{path} after an instant upload: {made:?}"
        );
    }
    assert!(made.values().sum::<u64>() <= 2, "{made:?}");
    assert_eq!(env.sandbox.pan123_stats().reused, 1);
    let last = std::iter::from_fn(|| events.try_recv().ok())
        .filter_map(|ev| ev.item().cloned())
        .filter(|ev| ev.id == item.id)
        .last()
        .unwrap();
    assert_eq!(last.phase, TransferPhase::Instant);
    let copy = remote_entry(p.as_ref(), &copies.remote, "first.bin").await;
    assert_eq!(copy.size, content.len() as u64);
    assert_eq!(sha(&download_bytes(p.clone(), &copy).await), sha(&content));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_files_go_in_one_single_step_request() {
    let env = pan123_env().await;
    let p = sign_in(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let (e, q) = engine(p.clone(), &dir.path().join("q.sqlite3"));
    for (name, len) in [
        ("empty.txt", 0usize),
        ("one.bin", 1),
        ("full.bin", SLICE as usize),
    ] {
        let content = data(len, 3);
        let f = write(dir.path(), name, &content);
        let before = env.sandbox.pan123_stats().requests;
        let item = upload(&e, &q, &f, &p.root(), ConflictPolicy::Ask).await;
        assert_eq!(item.state, ItemState::Completed, "{name}: {:?}", item.error);
        let made = requests_since(&env, &before);
        if item.instant {
            // Empty content is known to the server already.
            assert_eq!(len, 0, "{name}: {made:?}");
            continue;
        }
        assert_eq!(
            made.get("/upload/v2/file/single/create"),
            Some(&1),
            "{name}: {made:?}"
        );
        assert_eq!(made.get("/upload/v2/file/slice"), None, "{name}: {made:?}");
        assert_eq!(
            made.get("/upload/v2/file/upload_complete"),
            None,
            "{name}: {made:?}"
        );
        let entry = remote_entry(p.as_ref(), &p.root(), name).await;
        assert_eq!(entry.size, len as u64);
        assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&content));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slices_go_in_parallel_and_a_killed_upload_resumes_without_resending_or_rehashing() {
    let env = pan123_env().await;
    // The server says "not yet" a few times before the upload is complete.
    env.sandbox.set_pan123_complete_polls(3);
    let real = sign_in(&env).await;
    let p = Counting::new(real.clone());
    // Slice 2 hangs: the others go on past it only if slices are sent in parallel.
    *p.hang_at.lock().unwrap() = Some(1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite3");
    let content = data((8 * SLICE + 123) as usize, 5);
    let f = write(dir.path(), "big.bin", &content);
    let id = {
        let (e, q) = engine(p.clone(), &db);
        let id = e
            .enqueue_upload(&f, &real.root(), ConflictPolicy::Ask)
            .unwrap();
        // Every other slice gets through while slice 2 hangs (nothing else is in flight
        // when the engine goes).
        wait_for(60, || {
            q.acked_chunks(id).unwrap().len() == 8 && p.hung.lock().unwrap().contains(&1)
        })
        .await;
        assert!(!q.acked_chunks(id).unwrap().contains(&1));
        assert_eq!(e.hash_passes(), 1);
        drop(e);
        id
    };
    let sent_first: u64 = env.sandbox.pan123_stats().slices;
    *p.hang_at.lock().unwrap() = None;
    let acked_first = {
        let q = TransferQueue::open(&db).unwrap();
        q.acked_chunks(id).unwrap()
    };
    p.clear();

    let (e, q) = engine(p.clone(), &db);
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    assert_eq!(e.hash_passes(), 0, "a resumed upload is not hashed again");
    for i in 0..9 {
        let want = usize::from(!acked_first.contains(&i));
        assert_eq!(p.calls_for(i), want, "slice {}", i + 1);
    }
    let stats = env.sandbox.pan123_stats();
    assert_eq!(stats.slices, 9, "every slice reached the server once");
    assert_eq!(sent_first, 8);
    assert_eq!(acked_first.len(), 8);
    assert_eq!(stats.slices_rejected, 0);
    assert_eq!(
        stats.complete_pending, 3,
        "completion was polled until done"
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "big.bin").await;
    assert_eq!(entry.size, content.len() as u64);
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&content)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_slices_are_retried_one_by_one() {
    let env = pan123_env().await;
    env.sandbox.set_faults(FaultConfig {
        seed: 7,
        chunk_fail_rate: 0.3,
        ..Default::default()
    });
    let p = Counting::new(sign_in(&env).await);
    let dir = tempfile::tempdir().unwrap();
    let (e, q) = engine(p.clone(), &dir.path().join("q.sqlite3"));
    let content = data((6 * SLICE + 1) as usize, 8);
    let f = write(dir.path(), "flaky.bin", &content);
    let item = upload(&e, &q, &f, &p.root(), ConflictPolicy::Ask).await;
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    let calls = p.calls.lock().unwrap().len();
    assert!(calls >= 7, "{calls}");
    let entry = remote_entry(p.as_ref(), &p.root(), "flaky.bin").await;
    env.sandbox.set_faults(FaultConfig::default());
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&content));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn name_conflicts_follow_the_choice_and_a_retry_uses_the_cached_hash() {
    let env = pan123_env().await;
    let p = sign_in(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let (e, q) = engine(p.clone(), &dir.path().join("q.sqlite3"));
    let old = data((2 * SLICE) as usize, 10);
    let new = data((2 * SLICE + 5) as usize, 11);
    let src_old = tempfile::tempdir().unwrap();
    let src_new = tempfile::tempdir().unwrap();
    let f_old = write(src_old.path(), "report.bin", &old);
    let f_new = write(src_new.path(), "report.bin", &new);
    let first = upload(&e, &q, &f_old, &p.root(), ConflictPolicy::Ask).await;
    assert_eq!(first.state, ItemState::Completed, "{:?}", first.error);

    // Ask: a clean conflict, nothing sent.
    let asked = upload(&e, &q, &f_new, &p.root(), ConflictPolicy::Ask).await;
    assert_eq!(asked.state, ItemState::Failed);
    assert_eq!(
        asked.error_kind.as_deref(),
        Some("alreadyExists"),
        "{:?}",
        asked.error
    );
    assert_eq!(e.hash_passes(), 2);
    // Skip leaves it alone.
    let skipped = upload(&e, &q, &f_new, &p.root(), ConflictPolicy::Skip).await;
    assert!(skipped.skipped);

    // Keep both: the server picks the free name, and the transfer says which.
    let both = upload(&e, &q, &f_new, &p.root(), ConflictPolicy::KeepBoth).await;
    assert_eq!(both.state, ItemState::Completed, "{:?}", both.error);
    assert_ne!(both.name, "report.bin");
    let kept = remote_entry(p.as_ref(), &p.root(), &both.name).await;
    assert_eq!(kept.size, new.len() as u64);
    let original = remote_entry(p.as_ref(), &p.root(), "report.bin").await;
    assert_eq!(original.size, old.len() as u64);

    // Overwrite replaces the file's content under its name.
    let over = upload(&e, &q, &f_new, &p.root(), ConflictPolicy::Overwrite).await;
    assert_eq!(over.state, ItemState::Completed, "{:?}", over.error);
    let replaced = remote_entry(p.as_ref(), &p.root(), "report.bin").await;
    assert_eq!(replaced.size, new.len() as u64);
    assert_eq!(sha(&download_bytes(p.clone(), &replaced).await), sha(&new));
    let names: Vec<String> = p
        .list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|e| e.name)
        .filter(|n| n.starts_with("report"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // The refused upload, retried once the name is free, does not read the file again.
    p.delete(
        std::slice::from_ref(&replaced.remote),
        DeleteMode::Permanent,
    )
    .await
    .unwrap();
    e.retry(&Selection::Ids(vec![asked.id])).await.unwrap();
    e.wait_idle().await.unwrap();
    let retried = q.get(asked.id).unwrap();
    assert_eq!(retried.state, ItemState::Completed, "{:?}", retried.error);
    assert_eq!(e.hash_passes(), 2, "each file was hashed once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_folder_of_a_hundred_files_sees_no_storm_of_429() {
    let env = pan123_env().await;
    let p = sign_in(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("hundred");
    std::fs::create_dir(&src).unwrap();
    for i in 0..100u32 {
        // Distinct contents (no instant upload), a few bytes to a couple of slices.
        let len = 10 + (i as usize * 1777) % (2 * SLICE as usize);
        write(&src, &format!("f{i:03}.bin"), &data(len, i as u8));
    }
    let (e, q) = engine(p.clone(), &dir.path().join("q.sqlite3"));
    e.set_parallel_files(6);
    let item = upload(&e, &q, &src, &p.root(), ConflictPolicy::Ask).await;
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    let files = q.children(item.id).unwrap();
    assert_eq!(files.len(), 100);
    assert!(files.iter().all(|f| f.state == ItemState::Completed));
    let stats = env.sandbox.pan123_stats();
    let throttled: u64 = stats.throttled.values().sum();
    assert!(throttled <= 2, "429 answers: {:?}", stats.throttled);
    let folder = p.resolve_path("/hundred").await.unwrap();
    let (listed, _) = common::list_all(p.as_ref(), &folder, &ListOptions::default()).await;
    assert_eq!(listed.len(), 100);
}
