//! The transfer engine against the real sandbox server over HTTP, through the Cloudreve v4
//! provider: uploads with and without client-side encryption, byte-identical downloads,
//! resume after the engine is dropped, session expiry, files changed mid-upload, full disks
//! and hostile names.

mod common;
mod uploads_common;

use bytes::Bytes;
use cirrus_core::Error;
use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use uploads_common::{Counting, data, remote_entry, sha, write};

fn config() -> EngineConfig {
    EngineConfig {
        retry: RetryPolicy::fast(4),
        download_chunk_size: 700,
        multi_connection_threshold: 2000,
        download_connections: 3,
        ..Default::default()
    }
}

async fn wait_for(mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in 10 s");
}

async fn download_bytes(p: Arc<dyn Provider>, entry: &Entry) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p, q.clone(), config()).unwrap();
    let id = e
        .enqueue_download(entry, dir.path(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    std::fs::read(&item.local_path).unwrap()
}

#[tokio::test]
async fn odd_sizes_round_trip_byte_identical_with_and_without_encryption() {
    for encryption in [false, true] {
        let env = common::env(SandboxConfig {
            chunk_size: 1000,
            chunk_concurrency: 3,
            encryption,
            ..Default::default()
        })
        .await;
        let (_, p) = env.signed_in().await;
        let dest = p
            .create_folder(&p.root(), &format!("up-{encryption}"))
            .await
            .unwrap()
            .remote;
        let dir = tempfile::tempdir().unwrap();
        let q = Arc::new(TransferQueue::open_in_memory().unwrap());
        let e = TransferEngine::new(p.clone(), q.clone(), config()).unwrap();
        let sizes = [0usize, 1, 999, 1000, 1001, 3017];
        for (i, size) in sizes.iter().enumerate() {
            let f = write(dir.path(), &format!("f{i}.bin"), &data(*size, i as u8));
            e.enqueue_upload(&f, &dest, ConflictPolicy::Ask).unwrap();
        }
        e.wait_idle().await.unwrap();
        for item in q.list().unwrap() {
            assert_eq!(
                item.state,
                ItemState::Completed,
                "{} {:?}",
                item.name,
                item.error
            );
        }
        assert_eq!(env.sandbox.active_upload_sessions(), 0);
        for (i, size) in sizes.iter().enumerate() {
            let entry = remote_entry(p.as_ref(), &dest, &format!("f{i}.bin")).await;
            assert_eq!(entry.size, *size as u64);
            let got = download_bytes(p.clone(), &entry).await;
            assert_eq!(
                sha(&got),
                sha(&data(*size, i as u8)),
                "size {size}, encryption {encryption}"
            );
        }
    }
}

#[tokio::test]
async fn resumes_from_the_same_database_without_resending_acknowledged_chunks() {
    let env = common::env(SandboxConfig {
        chunk_size: 1000,
        encryption: true,
        ..Default::default()
    })
    .await;
    let (_, real) = env.signed_in().await;
    let gate = Counting::new(real.clone());
    *gate.hang_at.lock().unwrap() = Some(3);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite3");
    let content = data(5500, 3);
    let f = write(dir.path(), "resume.bin", &content);
    let id = {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = TransferEngine::new(gate.clone(), q.clone(), config()).unwrap();
        let id = e
            .enqueue_upload(&f, &real.root(), ConflictPolicy::Ask)
            .unwrap();
        wait_for(|| q.acked_chunks(id).unwrap().len() == 3).await;
        // Chunk 3's request must have reached the hang before the engine goes.
        wait_for(|| gate.calls_for(3) == 1).await;
        drop(e);
        id
    };
    *gate.hang_at.lock().unwrap() = None;
    let q = Arc::new(TransferQueue::open(&db).unwrap());
    let e = TransferEngine::new(gate.clone(), q.clone(), config()).unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(id).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.get(id).unwrap().error
    );
    for i in 0..3 {
        assert_eq!(gate.calls_for(i), 1, "chunk {i} was sent again");
    }
    assert_eq!(
        gate.sessions
            .lock()
            .unwrap()
            .iter()
            .map(|s| s.1)
            .collect::<Vec<_>>(),
        vec![true],
        "one session, client-side encrypted"
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "resume.bin").await;
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&content)
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

#[tokio::test]
async fn an_expired_session_is_recreated_and_the_stale_one_cancelled() {
    let env = common::env(SandboxConfig {
        chunk_size: 1000,
        upload_session_ttl: Duration::from_secs(2),
        ..Default::default()
    })
    .await;
    let (_, real) = env.signed_in().await;
    let gate = Counting::new(real.clone());
    *gate.hang_at.lock().unwrap() = Some(1);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite3");
    let content = data(2500, 4);
    let f = write(dir.path(), "late.bin", &content);
    let id = {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = TransferEngine::new(gate.clone(), q.clone(), config()).unwrap();
        let id = e
            .enqueue_upload(&f, &real.root(), ConflictPolicy::Ask)
            .unwrap();
        wait_for(|| q.acked_chunks(id).unwrap().len() == 1).await;
        wait_for(|| gate.calls_for(1) == 1).await;
        drop(e);
        id
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    *gate.hang_at.lock().unwrap() = None;
    let q = Arc::new(TransferQueue::open(&db).unwrap());
    let e = TransferEngine::new(gate.clone(), q.clone(), config()).unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    let sessions: std::collections::HashSet<String> = gate
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|c| c.0.clone())
        .collect();
    assert_eq!(sessions.len(), 2, "a second session was created");
    assert_eq!(
        env.sandbox.active_upload_sessions(),
        0,
        "no stale session left"
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "late.bin").await;
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&content)
    );
}

#[tokio::test]
async fn a_file_changed_mid_upload_ends_up_with_the_new_content() {
    let env = common::env(SandboxConfig {
        chunk_size: 1000,
        encryption: true,
        ..Default::default()
    })
    .await;
    let (_, real) = env.signed_in().await;
    let gate = Counting::new(real.clone());
    let dir = tempfile::tempdir().unwrap();
    let f = write(dir.path(), "edited.txt", &data(3000, 5));
    let new_content = data(3333, 6);
    let (path, replacement, once) = (
        f.clone(),
        new_content.clone(),
        Arc::new(AtomicBool::new(false)),
    );
    *gate.on_chunk.lock().unwrap() = Some(Box::new(move |index| {
        if index == 1 && !once.swap(true, Ordering::SeqCst) {
            std::fs::write(&path, &replacement).unwrap();
        }
    }));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(gate.clone(), q.clone(), config()).unwrap();
    let id = e
        .enqueue_upload(&f, &real.root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(id).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.get(id).unwrap().error
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "edited.txt").await;
    assert_eq!(entry.size, 3333);
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&new_content)
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

struct FullDisk {
    inner: Arc<dyn PartWriter>,
    budget: std::sync::atomic::AtomicI64,
}

impl PartWriter for FullDisk {
    fn write_at(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        if self.budget.fetch_sub(data.len() as i64, Ordering::SeqCst) < data.len() as i64 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "No space left on device",
            ));
        }
        self.inner.write_at(offset, data)
    }
    fn sync(&self) -> std::io::Result<()> {
        self.inner.sync()
    }
}

#[tokio::test]
async fn a_full_disk_fails_the_download_clearly_and_retry_resumes() {
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let content = data(5000, 7);
    let f = write(dir.path(), "big.bin", &content);
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config()).unwrap();
    e.enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let entry = remote_entry(p.as_ref(), &p.root(), "big.bin").await;

    let out = dir.path().join("out");
    let opener: OpenPart = Arc::new(|path: &Path| {
        let real = download::open_file_part()(path)?;
        Ok(Arc::new(FullDisk {
            inner: real,
            budget: 1500.into(),
        }) as Arc<dyn PartWriter>)
    });
    let cfg = EngineConfig {
        download_connections: 1,
        ..config()
    };
    let q2 = Arc::new(TransferQueue::open(&dir.path().join("dl.sqlite3")).unwrap());
    let e2 = TransferEngine::with_part_opener(p.clone(), q2.clone(), cfg.clone(), opener).unwrap();
    let id = e2
        .enqueue_download(&entry, &out, ConflictPolicy::Ask)
        .unwrap();
    e2.wait_idle().await.unwrap();
    let item = q2.get(id).unwrap();
    assert_eq!(item.state, ItemState::Failed);
    assert!(
        item.error.as_deref().unwrap_or("").contains("disk is full"),
        "{:?}",
        item.error
    );
    assert!(
        part_path(&out.join("big.bin")).exists(),
        "partial data kept"
    );
    assert!(!out.join("big.bin").exists());
    let kept = q2.acked_chunks(id).unwrap().len();
    assert_eq!(kept, 2, "two whole 700-byte chunks fit in 1500 bytes");
    drop(e2);

    let e3 = TransferEngine::new(p.clone(), q2.clone(), cfg).unwrap();
    e3.retry(&Selection::Ids(vec![id])).await.unwrap();
    e3.wait_idle().await.unwrap();
    assert_eq!(q2.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(
        sha(&std::fs::read(out.join("big.bin")).unwrap()),
        sha(&content)
    );
}

#[tokio::test]
async fn hostile_names_on_the_server_stay_inside_the_download_folder() {
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let share = p.create_folder(&p.root(), "hostile").await.unwrap().remote;
    let names = ["CON", "a\\..\\..\\evil", "...", "nul.txt", " spaced "];
    let mut uploaded = 0;
    for name in names {
        let req = UploadRequest {
            parent: share.clone(),
            name: name.to_string(),
            size: 3,
            modified_ms: None,
            mime: None,
            overwrite: false,
            want_client_encryption: false,
            keep_both: false,
            md5: None,
        };
        // The server may refuse some names; the rest must be neutralised by the client.
        if let Ok(s) = p.begin_upload(&req).await {
            p.upload_chunk(&s, 0, Bytes::from_static(b"bad").into())
                .await
                .unwrap();
            p.finish_upload(&s, &ChunkReceipts::new()).await.unwrap();
            uploaded += 1;
        }
    }
    assert!(
        uploaded >= 3,
        "the sandbox accepted only {uploaded} hostile names"
    );
    let base = tempfile::tempdir().unwrap();
    let dest = base.path().join("dest");
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config()).unwrap();
    let folder = remote_entry(p.as_ref(), &p.root(), "hostile").await;
    let id = e
        .enqueue_download(&folder, &dest, ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(id).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.list().unwrap()
    );
    let children = q.children(id).unwrap();
    assert_eq!(children.len(), uploaded);
    for c in children {
        assert!(
            c.local_path.starts_with(dest.join("hostile")),
            "{:?}",
            c.local_path
        );
        assert_eq!(std::fs::read(&c.local_path).unwrap(), b"bad");
    }
    let siblings: Vec<_> = std::fs::read_dir(base.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(siblings, vec![std::ffi::OsString::from("dest")]);
}

#[tokio::test]
async fn folder_upload_and_download_preserve_the_tree() {
    let env = common::env(SandboxConfig {
        chunk_size: 1000,
        encryption: true,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("project");
    std::fs::create_dir_all(src.join("src/deep")).unwrap();
    std::fs::create_dir_all(src.join("empty")).unwrap();
    write(&src, "README.md", &data(1500, 1));
    write(&src.join("src"), "main.rs", &data(10, 2));
    write(&src.join("src/deep"), "x.bin", &data(4321, 3));
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config()).unwrap();
    let up = e
        .enqueue_upload(&src, &p.root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(up).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.list().unwrap()
    );

    let out = dir.path().join("out");
    let folder = remote_entry(p.as_ref(), &p.root(), "project").await;
    let down = e
        .enqueue_download(&folder, &out, ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(
        q.get(down).unwrap().state,
        ItemState::Completed,
        "{:?}",
        q.list().unwrap()
    );
    assert_eq!(
        std::fs::read(out.join("project/README.md")).unwrap(),
        data(1500, 1)
    );
    assert_eq!(
        std::fs::read(out.join("project/src/main.rs")).unwrap(),
        data(10, 2)
    );
    assert_eq!(
        std::fs::read(out.join("project/src/deep/x.bin")).unwrap(),
        data(4321, 3)
    );
    assert!(out.join("project/empty").is_dir());
    let _ = Error::io("keep the import used");
}

#[tokio::test]
async fn small_files_cost_two_requests_each_plus_one_policy_lookup_per_folder() {
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let dest = p.create_folder(&p.root(), "many").await.unwrap().remote;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config()).unwrap();
    let files: Vec<(String, Vec<u8>)> = (0..20u8)
        .map(|i| (format!("s{i}.bin"), data(100 + i as usize, i)))
        .collect();
    let before = env.sandbox.fault_stats().requests;
    for (name, content) in &files {
        let f = write(dir.path(), name, content);
        e.enqueue_upload(&f, &dest, ConflictPolicy::Ask).unwrap();
    }
    e.wait_idle().await.unwrap();
    let requests = env.sandbox.fault_stats().requests - before;
    assert!(
        q.list()
            .unwrap()
            .iter()
            .all(|i| i.state == ItemState::Completed)
    );
    // Per file: open the session, send the one chunk. The folder's storage policy is looked up
    // once, not per file, and no file is asked about again after its chunk was accepted.
    assert_eq!(requests, 2 * files.len() as u64 + 1);
    for (name, content) in &files {
        let entry = remote_entry(p.as_ref(), &dest, name).await;
        assert_eq!(entry.size, content.len() as u64, "{name}");
        assert!(!entry.uploading, "{name}");
    }
    let last = remote_entry(p.as_ref(), &dest, &files[19].0).await;
    assert_eq!(
        sha(&download_bytes(p.clone(), &last).await),
        sha(&files[19].1)
    );
}
