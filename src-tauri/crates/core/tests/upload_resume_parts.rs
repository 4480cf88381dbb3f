//! Multipart uploads (S3, Qiniu) interrupted by dropping the engine resume from the queue
//! database: acknowledged parts are not sent again, and their ETags (kept as chunk receipts)
//! complete the multipart upload in the second run.

mod common;
mod uploads_common;

use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::policy::PolicyKind;
use std::sync::Arc;
use uploads_common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_upload_resumes_after_the_engine_is_dropped_without_resending_parts() {
    resumes_without_resending_parts(PolicyKind::S3, S3_PART).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qiniu_upload_resumes_after_the_engine_is_dropped_without_resending_parts() {
    resumes_without_resending_parts(PolicyKind::Qiniu, QINIU_PART).await;
}

/// Five parts of `part` bytes (the last 11 bytes); the first run stops while part 3 is in
/// flight (S3 keeps four parts in flight, so parts 4 and 5 get through meanwhile; Qiniu
/// sends one at a time), the second one sends only the parts not acknowledged and completes
/// with all five ETags.
async fn resumes_without_resending_parts(kind: PolicyKind, part: u64) {
    let env = common::env(SandboxConfig {
        policy: kind,
        ..Default::default()
    })
    .await;
    env.sandbox.set_policy_chunking(kind, part, 1).unwrap();
    let (_, real) = env.signed_in().await;
    let p = Counting::new(real.clone());
    *p.hang_at.lock().unwrap() = Some(2);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.sqlite3");
    let content = data((4 * part + 11) as usize, 9);
    let f = write(dir.path(), "resume.bin", &content);
    let id = {
        let q = Arc::new(TransferQueue::open(&db).unwrap());
        let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
        let id = e
            .enqueue_upload(&f, &real.root(), ConflictPolicy::Ask)
            .unwrap();
        let before_hang = if kind == PolicyKind::S3 { 4 } else { 2 };
        wait_for(30, || q.acked_chunks(id).unwrap().len() == before_hang).await;
        // Part 3's request must be parked before the engine goes, or it could still be on
        // its way to the hang point and go through once the hang is lifted below.
        wait_for(30, || p.hung.lock().unwrap().contains(&2)).await;
        assert_eq!(
            q.chunk_receipts(id).unwrap().len(),
            before_hang,
            "{kind}: ETags are stored"
        );
        drop(e);
        id
    };
    assert_eq!(env.sandbox.active_upload_sessions(), 1);
    let acked_first = Arc::new(TransferQueue::open(&db).unwrap())
        .acked_chunks(id)
        .unwrap();
    assert!(!acked_first.contains(&2));
    *p.hang_at.lock().unwrap() = None;
    p.clear();

    let q = Arc::new(TransferQueue::open(&db).unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(4, false)).unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{kind}: {:?}", item.error);
    for i in 0..5 {
        let want = if acked_first.contains(&i) { 0 } else { 1 };
        assert_eq!(
            p.calls_for(i),
            want,
            "{kind}: part {} (acknowledged in the first run: {}); failures {:?}",
            i + 1,
            want == 0,
            p.failures.lock().unwrap()
        );
    }
    assert_eq!(
        p.sessions.lock().unwrap().len(),
        1,
        "the same session went on"
    );
    let entry = remote_entry(real.as_ref(), &real.root(), "resume.bin").await;
    assert_eq!(entry.size, content.len() as u64);
    assert_eq!(
        sha(&download_bytes(real.clone(), &entry).await),
        sha(&content)
    );
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
    assert!(q.chunk_receipts(id).unwrap().is_empty(), "receipts cleared");
}
