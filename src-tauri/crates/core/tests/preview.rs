//! Previews against the sandbox over HTTP: ranged reads answer 206 with the right
//! Content-Range and exactly the file's bytes, big reads are cut into bounded chunks, and a
//! local copy edited in another app goes back as a new version of the same file.

mod common;

use cirrus_core::preview::{EditWatch, MediaStore, MediaTarget, media::MAX_CHUNK};
use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::{SandboxConfig, demo, seed::seeded_bytes};
use std::sync::Arc;

async fn seeded(path: &str, size: u64) -> (common::Env, Arc<dyn Provider>, String, Vec<u8>) {
    let e = common::env(SandboxConfig::default()).await;
    e.sandbox
        .seed_file_with_content(demo::EMAIL, path, size, 7)
        .unwrap();
    let (account, p) = e.signed_in().await;
    (e, p, account, seeded_bytes(size, 7))
}

async fn target(p: &Arc<dyn Provider>, account: &str, path: &str) -> MediaTarget {
    let entry = p.stat(&p.resolve_path(path).await.unwrap()).await.unwrap();
    MediaTarget {
        account_id: account.to_string(),
        remote: entry.remote,
        name: entry.name,
        size: entry.size,
    }
}

#[tokio::test]
async fn ranged_reads_answer_206_with_the_files_bytes() {
    let size = 100_000;
    let (_e, p, account, data) = seeded("/clip.mp4", size).await;
    let store = MediaStore::new().unwrap();
    let id = store.register(target(&p, &account, "/clip.mp4").await);

    let mid = store
        .read(&id, p.as_ref(), Some("bytes=1000-1999"))
        .await
        .unwrap();
    assert_eq!(mid.status, 206);
    assert_eq!(mid.content_range.as_deref(), Some("bytes 1000-1999/100000"));
    assert_eq!(mid.content_type, "video/mp4");
    assert_eq!(&mid.body[..], &data[1000..2000]);

    // Open-ended and suffix ranges, as media elements send them.
    let tail = store
        .read(&id, p.as_ref(), Some("bytes=99000-"))
        .await
        .unwrap();
    assert_eq!(
        tail.content_range.as_deref(),
        Some("bytes 99000-99999/100000")
    );
    assert_eq!(&tail.body[..], &data[99_000..]);
    let suffix = store
        .read(&id, p.as_ref(), Some("bytes=-10"))
        .await
        .unwrap();
    assert_eq!(&suffix.body[..], &data[size as usize - 10..]);

    // No Range: a small file comes whole with 200.
    let whole = store.read(&id, p.as_ref(), None).await.unwrap();
    assert_eq!(whole.status, 200);
    assert_eq!(whole.content_range, None);
    assert_eq!(&whole.body[..], &data[..]);

    // Past the end: 416, nothing fetched.
    let err = store
        .read(&id, p.as_ref(), Some("bytes=100000-"))
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(416));
    // An id nobody handed out.
    let err = store.read("nope", p.as_ref(), None).await.unwrap_err();
    assert_eq!(err.kind(), cirrus_core::ErrorKind::NotFound);
}

#[tokio::test]
async fn big_reads_come_in_bounded_chunks_that_join_up() {
    let size = MAX_CHUNK * 2 + 12_345;
    let (_e, p, account, data) = seeded("/Videos/long.webm", size).await;
    let store = MediaStore::new().unwrap();
    let id = store.register(target(&p, &account, "/Videos/long.webm").await);
    let mut got = Vec::new();
    let mut asked = String::from("bytes=0-");
    let mut answers = 0;
    loop {
        let chunk = store.read(&id, p.as_ref(), Some(&asked)).await.unwrap();
        answers += 1;
        assert_eq!(chunk.status, 206);
        assert!(
            chunk.body.len() as u64 <= MAX_CHUNK,
            "{} bytes",
            chunk.body.len()
        );
        let cr = chunk.content_range.unwrap();
        let (span, total) = cr.trim_start_matches("bytes ").split_once('/').unwrap();
        assert_eq!(total.parse::<u64>().unwrap(), size);
        let end: u64 = span.split_once('-').unwrap().1.parse().unwrap();
        got.extend_from_slice(&chunk.body);
        if end + 1 == size {
            break;
        }
        asked = format!("bytes={}-", end + 1);
    }
    assert_eq!(answers, 3);
    assert!(got == data, "the chunks join up to the file");
}

#[tokio::test]
async fn an_edited_copy_goes_back_as_a_new_version_of_the_same_file() {
    let (e, p, _account, _data) = seeded("/Docs/report.txt", 2000).await;
    let folder = p.resolve_path("/Docs").await.unwrap();
    let entry = p
        .stat(&p.resolve_path("/Docs/report.txt").await.unwrap())
        .await
        .unwrap();
    assert!(p.capabilities().upload_overwrite);

    // The private copy, made by the engine's download code.
    let cache = e.dir.path().join("open-with");
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let engine = TransferEngine::new(p.clone(), q.clone(), EngineConfig::default()).unwrap();
    let id = engine
        .enqueue_download(&entry, &cache, ConflictPolicy::Overwrite)
        .unwrap();
    engine.wait_idle().await.unwrap();
    let local = q.get(id).unwrap().local_path;
    let mut watch = EditWatch::new(&local).unwrap();
    assert!(!watch.changed().unwrap());

    // The user saves a change in their editor.
    std::fs::write(&local, b"edited in another app").unwrap();
    assert!(watch.changed().unwrap(), "the save is noticed");

    // Accepted: uploaded over the remote file.
    engine
        .enqueue_upload(&local, &folder, ConflictPolicy::Overwrite)
        .unwrap();
    engine.wait_idle().await.unwrap();
    watch.settle().unwrap();
    assert!(!watch.changed().unwrap());

    let (all, _) = common::list_all(p.as_ref(), &folder, &ListOptions::default()).await;
    let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["report.txt"], "replaced in place, no second file");
    let after = &all[0];
    assert_eq!(after.size, 21);
    let store = MediaStore::new().unwrap();
    let mid = store.register(MediaTarget {
        account_id: String::new(),
        remote: after.remote.clone(),
        name: after.name.clone(),
        size: after.size,
    });
    let read = store.read(&mid, p.as_ref(), None).await.unwrap();
    assert_eq!(&read.body[..], b"edited in another app");
}
