//! A 123pan upload paused in the middle of its hashing ("checking") pass, then resumed: the
//! pass stops between blocks without sending anything, nothing half-hashed is cached, and the
//! resumed upload hashes the file once more and lands with the right MD5 (one file, no
//! `name(1)` beside it).

mod common;
mod uploads_common;

use cirrus_core::provider::*;
use cirrus_core::transfer::hashing::md5_hex;
use cirrus_core::transfer::*;
use cirrus_sandbox::{Api, SandboxConfig};
use std::sync::Arc;
use uploads_common::*;

/// Large enough that hashing takes many 4 MiB blocks (a pause lands between two of them).
const SIZE: usize = 64 << 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_paused_while_hashing_resumes_hashes_once_more_and_lands_intact() {
    let env = common::env(SandboxConfig {
        api: Api::Pan123,
        ..Default::default()
    })
    .await;
    env.sandbox.set_pan123_slice_size(8 << 20);
    env.sandbox.set_pan123_complete_polls(1);
    let p: Arc<dyn Provider> = env.signed_in_pan123().await;

    let folder = p.create_folder(&p.root(), "hashing").await.unwrap().remote;
    let dir = tempfile::tempdir().unwrap();
    let content = data(SIZE, 9);
    let f = write(dir.path(), "paused.bin", &content);
    let fp = Fingerprint::of(&std::fs::metadata(&f).unwrap());
    let q = Arc::new(TransferQueue::open(&dir.path().join("q.sqlite3")).unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
    let mut events = e.subscribe();
    let before = env.sandbox.pan123_stats().requests;

    let id = e.enqueue_upload(&f, &folder, ConflictPolicy::Ask).unwrap();
    // Pause as soon as the first hashed block is reported.
    let checked_at_pause = loop {
        let Some(ev) = events.recv().await.expect("events").item().cloned() else {
            continue;
        };
        if ev.id == id && ev.phase == TransferPhase::Checking && ev.checked_bytes > 0 {
            e.pause(&Selection::Ids(vec![id])).await.unwrap();
            break ev.checked_bytes;
        }
    };
    wait_for(30, || q.get(id).unwrap().state == ItemState::Paused).await;
    assert!(checked_at_pause < SIZE as u64, "paused mid-pass");
    // The pass stopped before the end: had it finished, its MD5 would be cached.
    assert_eq!(
        q.cached_md5(&f, fp).unwrap(),
        None,
        "a cut pass caches nothing"
    );
    assert_eq!(e.hash_passes(), 1);
    let made: u64 = env
        .sandbox
        .pan123_stats()
        .requests
        .iter()
        .filter(|(path, _)| path.starts_with("/upload/"))
        .map(|(path, n)| n - before.get(path).copied().unwrap_or(0))
        .sum();
    assert_eq!(made, 0, "nothing was sent while checking");

    e.resume(&Selection::Ids(vec![id])).await.unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    assert!(!item.instant, "new content is sent");
    assert_eq!(
        e.hash_passes(),
        2,
        "the resumed upload hashed the file in full once"
    );
    assert_eq!(
        q.cached_md5(&f, fp).unwrap().as_deref(),
        Some(md5_hex(&content).as_str()),
        "the finished pass is cached for later retries"
    );
    let stats = env.sandbox.pan123_stats();
    assert_eq!(stats.slices, 8, "every 8 MiB slice went once");
    assert_eq!(stats.slices_rejected, 0);

    let listing = p
        .list(&folder, &ListOptions::default(), None)
        .await
        .unwrap();
    let names: Vec<&str> = listing.entries.iter().map(|x| x.name.as_str()).collect();
    assert_eq!(names, ["paused.bin"], "one file, no copy beside it");
    let entry = remote_entry(p.as_ref(), &folder, "paused.bin").await;
    assert_eq!(entry.size, SIZE as u64);
    assert_eq!(
        md5_hex(&download_bytes(p.clone(), &entry).await),
        md5_hex(&content)
    );
}
