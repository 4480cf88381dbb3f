//! Drag-out against the sandbox over HTTP: a dragged folder is queued as a normal download of
//! its whole tree into the folder the drop target named, hostile names stay inside it, an
//! existing local file is kept, and small files are staged for targets that want ready files.

mod common;

use bytes::Bytes;
use cirrus_core::drag_out::{self, StagingArea};
use cirrus_core::provider::*;
use cirrus_core::settings::ConflictPreference;
use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use std::sync::Arc;

async fn put(p: &dyn Provider, parent: &RemoteRef, name: &str, body: &'static [u8]) {
    let req = UploadRequest {
        parent: parent.clone(),
        name: name.to_string(),
        size: body.len() as u64,
        modified_ms: None,
        mime: None,
        overwrite: false,
        want_client_encryption: false,
        keep_both: false,
        md5: None,
    };
    let s = p.begin_upload(&req).await.expect("upload begins");
    if !body.is_empty() {
        p.upload_chunk(&s, 0, Bytes::from_static(body).into())
            .await
            .unwrap();
    }
    p.finish_upload(&s, &ChunkReceipts::new()).await.unwrap();
}

fn engine(p: Arc<dyn Provider>) -> (TransferEngine, Arc<TransferQueue>) {
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p, q.clone(), EngineConfig::default()).unwrap();
    (e, q)
}

#[tokio::test]
async fn a_dragged_folder_lands_with_its_tree_inside_the_named_folder_only() {
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let x = p.create_folder(&p.root(), "X").await.unwrap().remote;
    let sub = p.create_folder(&x, "sub").await.unwrap().remote;
    put(p.as_ref(), &x, "a.txt", b"alpha").await;
    put(p.as_ref(), &sub, "b.txt", b"beta").await;
    // The server refuses `..` and separators, but takes names that are just as dangerous on a
    // local disk ("..." is ".." once Windows strips trailing dots): the client neutralises them.
    let hostile = UploadRequest {
        parent: x.clone(),
        name: "...".into(),
        size: 4,
        modified_ms: None,
        mime: None,
        overwrite: false,
        want_client_encryption: false,
        keep_both: false,
        md5: None,
    };
    let s = p
        .begin_upload(&hostile)
        .await
        .expect("the sandbox takes the name");
    p.upload_chunk(&s, 0, Bytes::from_static(b"evil").into())
        .await
        .unwrap();
    p.finish_upload(&s, &ChunkReceipts::new()).await.unwrap();

    let outer = tempfile::tempdir().unwrap();
    let desktop = outer.path().join("Desktop");
    std::fs::create_dir(&desktop).unwrap();
    // What a direct-save target sends back: a file URI inside the folder it wants.
    let uri = format!("file://{}/X", desktop.display());
    let folder = drag_out::folder_from_direct_save_uri(&uri).unwrap();
    assert_eq!(folder, desktop);

    let entries = drag_out::entries(p.as_ref(), std::slice::from_ref(&x.0))
        .await
        .unwrap();
    let (e, q) = engine(p.clone());
    let ids = drag_out::enqueue_into(
        &e,
        &entries,
        &folder,
        drag_out::drop_policy(ConflictPreference::Ask),
    )
    .unwrap();
    assert_eq!(ids.len(), 1, "one folder row in the queue");
    e.wait_idle().await.unwrap();
    let row = q.get(ids[0]).unwrap();
    assert_eq!(row.state, ItemState::Completed, "{:?}", row.error);
    assert_eq!(std::fs::read(desktop.join("X/a.txt")).unwrap(), b"alpha");
    assert_eq!(std::fs::read(desktop.join("X/sub/b.txt")).unwrap(), b"beta");
    assert_eq!(std::fs::read(desktop.join("X/_")).unwrap(), b"evil");
    // Nothing was written next to the named folder.
    let beside: Vec<_> = std::fs::read_dir(outer.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(beside, vec![std::ffi::OsString::from("Desktop")]);
}

#[tokio::test]
async fn an_existing_local_file_is_kept_and_small_files_are_staged() {
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    put(p.as_ref(), &p.root(), "notes.txt", b"from the server").await;
    let entries = drag_out::entries(p.as_ref(), &[format!("{}/notes.txt", p.root().0)])
        .await
        .unwrap();
    assert!(drag_out::stage_ahead(&entries));

    let drop = tempfile::tempdir().unwrap();
    std::fs::write(drop.path().join("notes.txt"), b"mine").unwrap();
    let (e, q) = engine(p.clone());
    let ids = drag_out::enqueue_into(
        &e,
        &entries,
        drop.path(),
        drag_out::drop_policy(ConflictPreference::Ask),
    )
    .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(ids[0]).unwrap().state, ItemState::Completed);
    assert_eq!(
        std::fs::read(drop.path().join("notes.txt")).unwrap(),
        b"mine"
    );
    assert_eq!(
        std::fs::read(drop.path().join("notes (1).txt")).unwrap(),
        b"from the server"
    );

    let cache = tempfile::tempdir().unwrap();
    let area = StagingArea::new(cache.path().join("drag"));
    let stage = area.fresh().unwrap();
    let ids = drag_out::enqueue_into(&e, &entries, &stage, ConflictPolicy::KeepBoth).unwrap();
    let done = drag_out::wait_completed(&e, &ids, std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert!(done, "staged within 10 s");
    let staged = drag_out::local_paths(&e, &ids).unwrap().remove(0);
    assert_eq!(staged, drag_out::local_path(&stage, &entries[0]));
    assert!(drag_out::file_uri(&staged).unwrap().ends_with("/notes.txt"));
    assert!(area.holds_all(std::slice::from_ref(&staged)));
    assert_eq!(std::fs::read(&staged).unwrap(), b"from the server");
}

#[tokio::test]
async fn a_missing_drop_folder_queues_nothing() {
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    put(p.as_ref(), &p.root(), "f.txt", b"x").await;
    let entries = drag_out::entries(p.as_ref(), &[format!("{}/f.txt", p.root().0)])
        .await
        .unwrap();
    let (e, q) = engine(p.clone());
    let gone = tempfile::tempdir().unwrap().path().join("gone");
    assert!(drag_out::enqueue_into(&e, &entries, &gone, ConflictPolicy::KeepBoth).is_err());
    assert!(q.list().unwrap().is_empty());
    assert!(!gone.exists());
}
