//! Engine tests against an in-memory provider and a local HTTP server.

mod mock;

use super::*;
use crate::error::ErrorKind;
use crate::provider::{Entry, EntryKind, RemoteRef};
use mock::{Knobs, MockProvider, ROOT};
use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 8) as u8)
        .collect()
}

fn config() -> EngineConfig {
    EngineConfig {
        retry: RetryPolicy::fast(4),
        download_chunk_size: 100,
        multi_connection_threshold: 250,
        download_connections: 3,
        progress_interval: Duration::from_millis(1),
        ..Default::default()
    }
}

fn engine(p: &MockProvider, q: Arc<TransferQueue>) -> TransferEngine {
    TransferEngine::new(Arc::new(p.clone()), q, config()).unwrap()
}

fn root() -> RemoteRef {
    RemoteRef::new(ROOT)
}

async fn wait_for(mut cond: impl FnMut() -> bool) {
    for _ in 0..500 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in 5 s");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

fn sha(bytes: &[u8]) -> Vec<u8> {
    Sha256::digest(bytes).to_vec()
}

#[tokio::test]
async fn uploads_odd_sizes_with_and_without_encryption() {
    for encryption in [false, true] {
        let p = MockProvider::start(Knobs {
            chunk_size: 64,
            concurrency: 3,
            encryption,
            ..Default::default()
        })
        .await;
        let dir = tempfile::tempdir().unwrap();
        let q = Arc::new(TransferQueue::open_in_memory().unwrap());
        let e = engine(&p, q.clone());
        let sizes = [0usize, 1, 63, 64, 65, 64 * 3 + 7];
        for (i, size) in sizes.iter().enumerate() {
            let f = write(dir.path(), &format!("f{i}.bin"), &data(*size, i as u8));
            e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
        }
        e.wait_idle().await.unwrap();
        for (i, size) in sizes.iter().enumerate() {
            let got = p
                .file(&format!("{ROOT}/f{i}.bin"))
                .unwrap_or_else(|| panic!("f{i} missing"));
            assert_eq!(
                sha(&got),
                sha(&data(*size, i as u8)),
                "size {size} encryption {encryption}"
            );
        }
        assert!(
            q.list()
                .unwrap()
                .iter()
                .all(|i| i.state == ItemState::Completed)
        );
        // Every chunk exactly once: 1+1+1+1+2+4 requests.
        assert_eq!(p.with(|s| s.chunk_calls.len()), 10);
        assert!(p.with(|s| s.sessions.is_empty()));
        // Memory: never more than chunk_size × chunk concurrency × parallel files in flight.
        assert!(p.with(|s| s.max_in_flight_bytes) <= 64 * 3 * 3);
        assert!(p.with(|s| s.max_in_flight_bytes) > 0);
    }
}

#[tokio::test]
async fn resumes_after_the_engine_is_dropped_without_resending_acked_chunks() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        encryption: true,
        hang_at: Some(3),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite");
    let content = data(95, 9);
    let f = write(dir.path(), "big.bin", &content);
    {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = engine(&p, q.clone());
        let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
        wait_for(|| q.acked_chunks(id).unwrap().len() == 3).await;
        assert_eq!(q.get(id).unwrap().bytes_done, 30);
        drop(e);
    }
    p.with(|s| s.knobs.hang_at = None);
    let q = Arc::new(TransferQueue::open(&db).unwrap());
    let e = engine(&p, q.clone());
    e.wait_idle().await.unwrap();
    assert_eq!(q.list().unwrap()[0].state, ItemState::Completed);
    assert_eq!(p.file(&format!("{ROOT}/big.bin")).unwrap(), content);
    for acked in 0..3 {
        assert_eq!(p.chunk_calls(acked), 1, "chunk {acked} re-sent");
    }
    assert_eq!(p.with(|s| s.begin_calls), 1, "the same session was reused");
}

#[tokio::test]
async fn expired_session_is_recreated_once_and_the_stale_one_cancelled() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        encryption: true,
        expire_after_chunks: Some(2),
        expire_once: true,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let content = data(35, 1);
    let f = write(dir.path(), "a.bin", &content);
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    assert_eq!(p.file(&format!("{ROOT}/a.bin")).unwrap(), content);
    assert_eq!(p.with(|s| s.begin_calls), 2);
    assert_eq!(p.with(|s| s.cancelled.clone()), vec!["sess-1".to_string()]);
}

#[tokio::test]
async fn a_session_that_keeps_expiring_fails_clearly() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        expire_after_chunks: Some(1),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.bin", &data(35, 1));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Failed);
    assert_eq!(item.error_kind.as_deref(), Some("uploadSessionExpired"));
    assert_eq!(p.with(|s| s.begin_calls), 2, "recreated exactly once");
    assert!(p.with(|s| s.sessions.is_empty()), "no orphan session left");
}

#[tokio::test]
async fn a_file_changed_mid_upload_restarts_cleanly_with_the_new_content() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "doc.txt", &data(50, 2));
    let new_content = data(57, 3);
    let (path, replacement) = (f.clone(), new_content.clone());
    let changed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = changed.clone();
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        on_chunk: Some(Box::new(move |index| {
            if index == 1 && !flag.swap(true, std::sync::atomic::Ordering::SeqCst) {
                std::fs::write(&path, &replacement).unwrap();
            }
        })),
        ..Default::default()
    })
    .await;
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(p.file(&format!("{ROOT}/doc.txt")).unwrap(), new_content);
    assert_eq!(
        p.with(|s| s.cancelled.len()),
        1,
        "the stale session was cancelled"
    );
    assert_eq!(
        q.fingerprint(id).unwrap(),
        None,
        "resume state cleared after completion"
    );
}

#[tokio::test]
async fn a_file_changed_while_paused_is_detected_on_resume() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        hang_at: Some(2),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.bin", &data(40, 1));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    wait_for(|| q.acked_chunks(id).unwrap().len() == 2).await;
    e.pause(&Selection::Ids(vec![id])).await.unwrap();
    wait_for(|| q.get(id).unwrap().state == ItemState::Paused).await;
    assert!(q.session(id).unwrap().is_some(), "pause keeps the session");
    std::fs::write(&f, data(41, 5)).unwrap();
    p.with(|s| s.knobs.hang_at = None);
    e.resume(&Selection::Ids(vec![id])).await.unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(p.file(&format!("{ROOT}/a.bin")).unwrap(), data(41, 5));
}

#[tokio::test]
async fn transient_chunk_errors_are_retried_and_fatal_ones_clean_up() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 2,
        flaky_once: vec![0, 2],
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.bin", &data(30, 1));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(p.chunk_calls(0), 2);

    p.with(|s| s.knobs.fatal_at = Some(1));
    let g = write(dir.path(), "b.bin", &data(30, 2));
    let id = e.enqueue_upload(&g, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Failed);
    assert_eq!(item.error_kind.as_deref(), Some("quotaExceeded"));
    assert!(
        p.with(|s| s.sessions.is_empty()),
        "failed upload leaves no session"
    );
    assert_eq!(p.with(|s| s.cancelled.len()), 1);
    assert!(q.session(id).unwrap().is_none());
}

#[tokio::test]
async fn conflict_policies_apply_before_any_byte_is_sent() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    p.put_file(&format!("{ROOT}/a.txt"), b"old");
    let f = write(dir.path(), "a.txt", b"new content");
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());

    let plan = e
        .plan_upload(std::slice::from_ref(&f), &root())
        .await
        .unwrap();
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].keep_both_name, "a (1).txt");

    let ask = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(ask).unwrap().error_kind.as_deref(),
        Some("alreadyExists")
    );
    let skip = e.enqueue_upload(&f, &root(), ConflictPolicy::Skip).unwrap();
    e.wait_idle().await.unwrap();
    assert!(q.get(skip).unwrap().skipped);
    assert_eq!(
        p.with(|s| s.chunk_calls.len()),
        0,
        "no byte sent for ask/skip"
    );
    assert_eq!(p.file(&format!("{ROOT}/a.txt")).unwrap(), b"old");

    let both = e
        .enqueue_upload(&f, &root(), ConflictPolicy::KeepBoth)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(both).unwrap().name, "a (1).txt");
    assert_eq!(
        p.file(&format!("{ROOT}/a (1).txt")).unwrap(),
        b"new content"
    );

    e.enqueue_upload(&f, &root(), ConflictPolicy::Overwrite)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(p.file(&format!("{ROOT}/a.txt")).unwrap(), b"new content");
}

#[tokio::test]
async fn folder_upload_recreates_the_tree() {
    let p = MockProvider::start(Knobs {
        chunk_size: 16,
        concurrency: 2,
        encryption: true,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("photos");
    write(&src, "a.jpg", &data(40, 1));
    write(&src, "2024/b.jpg", &data(17, 2));
    write(&src, "2024/deep/c.jpg", &data(0, 3));
    std::fs::create_dir_all(src.join("empty")).unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e
        .enqueue_upload(&src, &root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let folder = q.get(id).unwrap();
    assert_eq!(folder.state, ItemState::Completed, "{:?}", folder.error);
    assert_eq!(folder.size, 57);
    assert_eq!(folder.bytes_done, 57);
    assert_eq!(q.children(id).unwrap().len(), 3);
    assert_eq!(
        p.file(&format!("{ROOT}/photos/a.jpg")).unwrap(),
        data(40, 1)
    );
    assert_eq!(
        p.file(&format!("{ROOT}/photos/2024/b.jpg")).unwrap(),
        data(17, 2)
    );
    assert_eq!(
        p.file(&format!("{ROOT}/photos/2024/deep/c.jpg")).unwrap(),
        Vec::<u8>::new()
    );
    assert!(p.with(|s| s.folders.contains(&format!("{ROOT}/photos/empty"))));
}

#[tokio::test]
async fn pause_resume_and_cancel() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        hang_at: Some(1),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.bin", &data(30, 1));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let mut events = e.subscribe();
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    wait_for(|| q.acked_chunks(id).unwrap().len() == 1).await;
    e.cancel(&Selection::All).await.unwrap();
    wait_for(|| q.get(id).unwrap().state == ItemState::Cancelled).await;
    assert!(
        p.with(|s| s.sessions.is_empty()),
        "cancel removes the server session"
    );
    assert!(q.acked_chunks(id).unwrap().is_empty());

    p.with(|s| s.knobs.hang_at = None);
    e.retry(&Selection::Ids(vec![id])).await.unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(p.file(&format!("{ROOT}/a.bin")).unwrap(), data(30, 1));

    let mut states = Vec::new();
    while let Ok(ev) = events.try_recv() {
        let Some(ev) = ev.item() else { continue };
        if ev.id == id && states.last() != Some(&ev.state) {
            states.push(ev.state);
        }
    }
    assert_eq!(
        states,
        vec![
            ItemState::Queued,
            ItemState::Running,
            ItemState::Cancelled,
            ItemState::Queued,
            ItemState::Running,
            ItemState::Completed
        ]
    );
}

#[tokio::test]
async fn parallel_files_limit_is_respected_and_changeable() {
    let p = MockProvider::start(Knobs {
        chunk_size: 1 << 20,
        concurrency: 1,
        hang_at: Some(0),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    // Large files: one per slot.
    let size = (crate::transfer::engine::SMALL_FILE + 5) as usize;
    for i in 0..6 {
        let f = write(dir.path(), &format!("{i}.bin"), &data(size, i));
        e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    }
    let running = || {
        q.list()
            .unwrap()
            .iter()
            .filter(|i| i.state == ItemState::Running)
            .count()
    };
    wait_for(|| running() == 3).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(running(), 3, "default parallelism is 3");
    e.set_parallel_files(5);
    wait_for(|| running() == 5).await;
    e.cancel(&Selection::All).await.unwrap();
    wait_for(|| running() == 0).await;
}

#[tokio::test]
async fn a_slot_holds_sixteen_small_files() {
    let p = MockProvider::start(Knobs {
        chunk_size: 1 << 20,
        concurrency: 1,
        hang_at: Some(0),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    e.set_parallel_files(1);
    for i in 0..20 {
        let f = write(dir.path(), &format!("s{i}.bin"), &data(5, i));
        e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    }
    let running = || {
        q.list()
            .unwrap()
            .iter()
            .filter(|i| i.state == ItemState::Running)
            .count()
    };
    wait_for(|| running() == 16).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(running(), 16, "one slot = 16 small files");
    e.cancel(&Selection::All).await.unwrap();
    wait_for(|| running() == 0).await;
}

fn remote_file(uri: &str, name: &str, size: u64) -> Entry {
    Entry {
        remote: RemoteRef::new(uri),
        name: name.into(),
        kind: EntryKind::File,
        size,
        created_at: None,
        updated_at: None,
        uploading: false,
        id: None,
        original_location: None,
    }
}

#[tokio::test]
async fn downloads_are_byte_identical_single_and_multi_connection() {
    let p = MockProvider::start(Knobs::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    for (name, size) in [("empty", 0usize), ("small", 99), ("big", 1234)] {
        let uri = format!("{ROOT}/{name}");
        p.put_file(&uri, &data(size, 4));
        e.enqueue_download(
            &remote_file(&uri, name, size as u64),
            dir.path(),
            ConflictPolicy::Ask,
        )
        .unwrap();
    }
    e.wait_idle().await.unwrap();
    for (name, size) in [("empty", 0usize), ("small", 99), ("big", 1234)] {
        let got = std::fs::read(dir.path().join(name)).unwrap();
        assert_eq!(sha(&got), sha(&data(size, 4)), "{name}");
        assert!(!part_path(&dir.path().join(name)).exists());
    }
    let ranged = p.with(|s| {
        s.served
            .iter()
            .filter(|r| r.0.ends_with("/big") && r.1.is_some())
            .count()
    });
    assert_eq!(ranged, 13, "1234 bytes in 100-byte ranges");
}

/// Counts flushes of the part file.
struct SyncCounter {
    inner: Arc<dyn PartWriter>,
    syncs: Arc<std::sync::atomic::AtomicUsize>,
}

impl PartWriter for SyncCounter {
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.inner.write_at(offset, data)
    }
    fn sync(&self) -> io::Result<()> {
        self.syncs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.inner.sync()
    }
}

#[tokio::test]
async fn a_download_flushes_its_part_file_in_batches_not_per_range() {
    let p = MockProvider::start(Knobs::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let syncs = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = syncs.clone();
    let opener: OpenPart = Arc::new(move |path: &Path| {
        Ok(Arc::new(SyncCounter {
            inner: download::open_file_part()(path)?,
            syncs: counter.clone(),
        }) as Arc<dyn PartWriter>)
    });
    let e =
        TransferEngine::with_part_opener(Arc::new(p.clone()), q.clone(), config(), opener).unwrap();
    let uri = format!("{ROOT}/big");
    p.put_file(&uri, &data(1234, 4));
    let id = e
        .enqueue_download(
            &remote_file(&uri, "big", 1234),
            dir.path(),
            ConflictPolicy::Ask,
        )
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(
        std::fs::read(dir.path().join("big")).unwrap(),
        data(1234, 4)
    );
    // 13 ranges of 100 bytes, far below the flush threshold: one flush before the rename.
    assert_eq!(syncs.load(std::sync::atomic::Ordering::SeqCst), 1);
}

struct FailingWriter {
    inner: Arc<dyn PartWriter>,
    budget: std::sync::atomic::AtomicI64,
}

impl PartWriter for FailingWriter {
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        if self
            .budget
            .fetch_sub(data.len() as i64, std::sync::atomic::Ordering::SeqCst)
            < data.len() as i64
        {
            return Err(io::Error::new(
                io::ErrorKind::StorageFull,
                "No space left on device",
            ));
        }
        self.inner.write_at(offset, data)
    }
    fn sync(&self) -> io::Result<()> {
        self.inner.sync()
    }
}

#[tokio::test]
async fn a_full_disk_stops_the_download_and_keeps_the_part_for_resume() {
    let p = MockProvider::start(Knobs::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.sqlite");
    let out = dir.path().join("out");
    let content = data(1000, 8);
    let uri = format!("{ROOT}/movie.mkv");
    p.put_file(&uri, &content);
    let opener: OpenPart = Arc::new(|path: &Path| {
        let real = download::open_file_part()(path)?;
        Ok(Arc::new(FailingWriter {
            inner: real,
            budget: 350.into(),
        }) as Arc<dyn PartWriter>)
    });
    let cfg = EngineConfig {
        download_connections: 1,
        ..config()
    };
    let id = {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e =
            TransferEngine::with_part_opener(Arc::new(p.clone()), q.clone(), cfg.clone(), opener)
                .unwrap();
        let id = e
            .enqueue_download(
                &remote_file(&uri, "movie.mkv", 1000),
                &out,
                ConflictPolicy::Ask,
            )
            .unwrap();
        e.wait_idle().await.unwrap();
        let item = q.get(id).unwrap();
        assert_eq!(item.state, ItemState::Failed);
        assert!(
            item.error.as_deref().unwrap().contains("disk is full"),
            "{:?}",
            item.error
        );
        assert_eq!(
            q.acked_chunks(id).unwrap().len(),
            3,
            "three whole chunks were written"
        );
        assert!(
            part_path(&out.join("movie.mkv")).exists(),
            "partial data kept"
        );
        assert!(
            !out.join("movie.mkv").exists(),
            "no half-written final file"
        );
        id
    };
    let served_before = p.with(|s| s.served.len());
    let q = Arc::new(TransferQueue::open(&db).unwrap());
    let e = TransferEngine::new(Arc::new(p.clone()), q.clone(), cfg).unwrap();
    e.retry(&Selection::Ids(vec![id])).await.unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(std::fs::read(out.join("movie.mkv")).unwrap(), content);
    let ranges: Vec<_> = p.with(|s| {
        s.served[served_before..]
            .iter()
            .map(|r| r.1.clone().unwrap())
            .collect()
    });
    assert_eq!(
        ranges.len(),
        7,
        "only the missing chunks are fetched: {ranges:?}"
    );
    assert!(!ranges.contains(&"bytes=0-99".to_string()));
}

#[tokio::test]
async fn hostile_remote_names_never_leave_the_download_folder() {
    let p = MockProvider::start(Knobs::default()).await;
    let base = tempfile::tempdir().unwrap();
    let dest = base.path().join("dest");
    std::fs::create_dir_all(&dest).unwrap();
    p.with(|s| s.folders.push(format!("{ROOT}/share")));
    let hostile = [
        "../escape.txt",
        "/etc/passwd",
        "..",
        "CON",
        "a\\..\\..\\b",
        "nul\0byte",
        "",
    ];
    for (i, name) in hostile.iter().enumerate() {
        p.put_named_file(&format!("{ROOT}/share/f{i}"), name, name.as_bytes());
    }
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let folder = Entry {
        kind: EntryKind::Folder,
        size: 0,
        ..remote_file(&format!("{ROOT}/share"), "../share", 0)
    };
    let id = e
        .enqueue_download(&folder, &dest, ConflictPolicy::KeepBoth)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(id).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.list().unwrap()
    );
    // Nothing appeared next to `dest`, and everything is below it.
    let siblings: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("dest")]);
    for child in q.children(id).unwrap() {
        assert!(
            child.local_path.starts_with(&dest),
            "{:?}",
            child.local_path
        );
        assert!(child.local_path.exists(), "{:?}", child.local_path);
    }
    assert_eq!(q.children(id).unwrap().len(), hostile.len());
}

#[tokio::test]
async fn downloads_never_overwrite_without_the_policy_saying_so() {
    let p = MockProvider::start(Knobs::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("{ROOT}/x.bin");
    p.put_file(&uri, b"remote");
    std::fs::write(dir.path().join("x.bin"), b"local").unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let entry = remote_file(&uri, "x.bin", 6);
    assert_eq!(
        e.plan_download(std::slice::from_ref(&entry), dir.path())
            .len(),
        1
    );

    let ask = e
        .enqueue_download(&entry, dir.path(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(ask).unwrap().error_kind.as_deref(),
        Some("alreadyExists")
    );
    assert_eq!(std::fs::read(dir.path().join("x.bin")).unwrap(), b"local");

    e.enqueue_download(&entry, dir.path(), ConflictPolicy::KeepBoth)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("x (1).bin")).unwrap(),
        b"remote"
    );
    assert_eq!(std::fs::read(dir.path().join("x.bin")).unwrap(), b"local");

    e.enqueue_download(&entry, dir.path(), ConflictPolicy::Overwrite)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(std::fs::read(dir.path().join("x.bin")).unwrap(), b"remote");
}

#[tokio::test]
async fn the_queue_database_holds_no_secrets_of_the_account() {
    // The session JSON is stored (resume needs it); account tokens never are.
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        hang_at: Some(1),
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.bin", &data(30, 1));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    wait_for(|| q.acked_chunks(id).unwrap().len() == 1).await;
    let dump = q.dump_text().unwrap();
    assert!(dump.contains("sess-1"));
    for secret in ["access_token", "refresh_token", "password", "Bearer"] {
        assert!(!dump.contains(secret), "{secret} stored");
    }
    drop(e);
    let _ = ErrorKind::Io;
}

#[tokio::test]
async fn an_expired_download_url_is_refreshed_once() {
    let p = MockProvider::start(Knobs::default()).await;
    let dir = tempfile::tempdir().unwrap();
    let uri = format!("{ROOT}/v.bin");
    p.put_file(&uri, &data(450, 1));
    p.with(|s| s.deny_downloads = 1);
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    let id = e
        .enqueue_download(
            &remote_file(&uri, "v.bin", 450),
            dir.path(),
            ConflictPolicy::Ask,
        )
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(id).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.get(id).unwrap().error
    );
    assert_eq!(p.with(|s| s.url_calls), 2);
    assert_eq!(
        std::fs::read(dir.path().join("v.bin")).unwrap(),
        data(450, 1)
    );

    // A URL that stays forbidden fails the item after one refresh.
    p.with(|s| s.deny_downloads = 100);
    let id = e
        .enqueue_download(
            &remote_file(&uri, "v.bin", 450),
            dir.path(),
            ConflictPolicy::KeepBoth,
        )
        .unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Failed);
    assert_eq!(item.error_kind.as_deref(), Some("permissionDenied"));
    assert_eq!(p.with(|s| s.url_calls), 4);
}

#[tokio::test]
async fn a_network_outage_keeps_the_session_so_retry_resumes() {
    let p = MockProvider::start(Knobs {
        chunk_size: 10,
        concurrency: 1,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "a.bin", &data(30, 1));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(&p, q.clone());
    p.with(|s| s.network_down = true);
    let id = e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Failed);
    assert_eq!(item.error_kind.as_deref(), Some("network"));
    assert!(q.session(id).unwrap().is_some(), "session kept for resume");
    assert_eq!(p.chunk_calls(0), 4, "retried up to the policy's attempts");

    p.with(|s| s.network_down = false);
    e.retry(&Selection::Ids(vec![id])).await.unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(
        p.with(|s| s.begin_calls),
        1,
        "the same session finished the upload"
    );
    assert_eq!(p.file(&format!("{ROOT}/a.bin")).unwrap(), data(30, 1));
}

#[tokio::test]
async fn the_upload_limit_slows_the_engine_and_can_be_lifted_live() {
    let p = MockProvider::start(Knobs {
        chunk_size: 100,
        concurrency: 1,
        ..Default::default()
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(
        Arc::new(p.clone()),
        q.clone(),
        EngineConfig {
            upload_limit: 200,
            ..config()
        },
    )
    .unwrap();
    let f = write(dir.path(), "slow.bin", &data(300, 1));
    let start = std::time::Instant::now();
    e.enqueue_upload(&f, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    // 300 bytes at 200 B/s: the third chunk waits for the first two to be paid for.
    assert!(
        start.elapsed() >= Duration::from_millis(900),
        "{:?}",
        start.elapsed()
    );

    e.set_upload_limit(0);
    let g = write(dir.path(), "fast.bin", &data(300, 2));
    let start = std::time::Instant::now();
    e.enqueue_upload(&g, &root(), ConflictPolicy::Ask).unwrap();
    e.wait_idle().await.unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(800),
        "{:?}",
        start.elapsed()
    );
}
