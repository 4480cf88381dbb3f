//! File operations against the sandbox: pagination, odd names, batch partial failures,
//! trash/restore, copy/move/rename, and the local-policy upload path.

mod common;

use std::collections::HashSet;

use bytes::Bytes;
use cirrus_core::ErrorKind;
use cirrus_core::provider::*;
use cirrus_sandbox::{SandboxConfig, demo};
use common::*;

#[tokio::test]
async fn pagination_across_ten_thousand_entries() {
    let e = env(SandboxConfig::default()).await;
    e.sandbox.seed_files(demo::EMAIL, "/big", 10_000);
    let (_, p) = e.signed_in().await;
    let big = p.resolve_path("/big").await.unwrap();
    let opts = ListOptions {
        page_size: Some(1000),
        ..Default::default()
    };
    let (all, pages) = list_all(p.as_ref(), &big, &opts).await;
    assert_eq!(all.len(), 10_000);
    assert!(pages >= 10, "{pages} pages");
    let names: HashSet<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names.len(), 10_000, "no duplicates across pages");
    let sorted: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
    assert!(sorted.windows(2).all(|w| w[0] <= w[1]), "ascending by name");
    // Descending by name gives the reverse order.
    let desc = ListOptions {
        page_size: Some(2000),
        direction: Direction::Desc,
        ..Default::default()
    };
    let (rev, _) = list_all(p.as_ref(), &big, &desc).await;
    assert_eq!(rev.first().unwrap().name, all.last().unwrap().name);
}

#[tokio::test]
async fn odd_names_round_trip() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let parent = p
        .create_folder(&p.root(), "odd names 100% #1")
        .await
        .unwrap();
    let names = [
        "a b.txt",
        "100%.txt",
        "#hash#",
        "a+b=c&d",
        "中文 文件",
        "emoji 😀🎉",
        "(x)!~'",
        "%20literal",
        "semi;colon,comma",
    ];
    for n in names {
        let f = p.create_folder(&parent.remote, n).await.unwrap();
        assert_eq!(f.name, n);
        let again = p.stat(&f.remote).await.unwrap();
        assert_eq!(again.name, n);
    }
    let (listed, _) = list_all(p.as_ref(), &parent.remote, &ListOptions::default()).await;
    let got: HashSet<String> = listed.iter().map(|e| e.name.clone()).collect();
    for n in names {
        assert!(got.contains(n), "{n} missing from {got:?}");
    }
    // Resolving a path with odd names gives the same reference the server lists.
    let via_path = p
        .resolve_path("/odd names 100% #1/中文 文件")
        .await
        .unwrap();
    assert!(listed.iter().any(|e| e.remote == via_path));
    // Names the server cannot store are refused early, with a typed error.
    assert_eq!(
        p.create_folder(&parent.remote, "a/b")
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidName
    );
}

#[tokio::test]
async fn nested_mkdir_rename_move_copy() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let root = p.root();
    let deep = p
        .create_folders(&root, &["x".into(), "y".into(), "z".into()])
        .await
        .unwrap();
    assert_eq!(deep.name, "z");
    assert!(
        p.stat(&p.resolve_path("/x/y").await.unwrap())
            .await
            .unwrap()
            .is_folder()
    );
    let renamed = p.rename(&deep.remote, "zz").await.unwrap();
    assert_eq!(renamed.name, "zz");
    let dest = p.create_folder(&root, "dest").await.unwrap();
    assert!(
        p.copy_items(std::slice::from_ref(&renamed.remote), &dest.remote)
            .await
            .unwrap()
            .is_complete()
    );
    assert!(
        p.stat(&p.resolve_path("/dest/zz").await.unwrap())
            .await
            .is_ok()
    );
    assert!(
        p.stat(&renamed.remote).await.is_ok(),
        "copy keeps the source"
    );
    let x = p.resolve_path("/x").await.unwrap();
    assert!(
        p.move_items(std::slice::from_ref(&x), &dest.remote)
            .await
            .unwrap()
            .is_complete()
    );
    assert_eq!(p.stat(&x).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert!(
        p.stat(&p.resolve_path("/dest/x/y/zz").await.unwrap())
            .await
            .is_ok()
    );
    let clash = p.create_folder(&root, "dest2").await.unwrap();
    p.create_folder(&clash.remote, "x").await.unwrap();
    let moved_x = p.resolve_path("/dest/x").await.unwrap();
    let res = p.move_items(&[moved_x], &clash.remote).await;
    match res {
        Err(err) => assert_eq!(err.kind(), ErrorKind::AlreadyExists),
        Ok(out) => assert_eq!(out.failed[0].1.kind(), ErrorKind::AlreadyExists),
    }
}

#[tokio::test]
async fn batch_delete_reports_partial_failures() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let root = p.root();
    let a = p.create_folder(&root, "keep a").await.unwrap();
    let b = p.create_folder(&root, "keep b").await.unwrap();
    let missing = p.resolve_path("/does not exist").await.unwrap();
    let out = p
        .delete(
            &[a.remote.clone(), missing.clone(), b.remote.clone()],
            DeleteMode::Trash,
        )
        .await
        .unwrap();
    assert_eq!(out.failed.len(), 1, "{:?}", out.failed);
    assert_eq!(out.failed[0].0, missing);
    assert_eq!(out.failed[0].1.kind(), ErrorKind::NotFound);
    assert_eq!(
        p.stat(&a.remote).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[tokio::test]
async fn trash_restore_and_permanent_delete() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    assert!(p.capabilities().trash && p.capabilities().restore);
    let root = p.root();
    let f = p.create_folder(&root, "to trash").await.unwrap();
    assert!(
        p.delete(std::slice::from_ref(&f.remote), DeleteMode::Trash)
            .await
            .unwrap()
            .is_complete()
    );
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    let item = trash
        .entries
        .iter()
        .find(|e| e.name == "to trash")
        .expect("in trash under its display name")
        .clone();
    assert_eq!(
        item.original_location.as_ref().map(|r| r.as_str()),
        Some(f.remote.as_str())
    );
    assert!(
        p.restore(std::slice::from_ref(&item.remote))
            .await
            .unwrap()
            .is_complete()
    );
    assert!(p.stat(&f.remote).await.unwrap().is_folder());
    // Trash again, then delete from the trash (needs skip_soft_delete, handled for us).
    p.delete(std::slice::from_ref(&f.remote), DeleteMode::Trash)
        .await
        .unwrap();
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    let item = trash
        .entries
        .iter()
        .find(|e| e.name == "to trash")
        .unwrap()
        .clone();
    assert!(
        p.delete(std::slice::from_ref(&item.remote), DeleteMode::Trash)
            .await
            .unwrap()
            .is_complete()
    );
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    assert!(!trash.entries.iter().any(|e| e.name == "to trash"));
    // Permanent delete skips the trash.
    let g = p.create_folder(&root, "gone for good").await.unwrap();
    p.delete(std::slice::from_ref(&g.remote), DeleteMode::Permanent)
        .await
        .unwrap();
    let trash = p.list_trash(&ListOptions::default(), None).await.unwrap();
    assert!(!trash.entries.iter().any(|e| e.name == "gone for good"));
}

#[tokio::test]
async fn search_finds_nested_items() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let root = p.root();
    p.create_folders(&root, &["s1".into(), "needle folder".into()])
        .await
        .unwrap();
    p.create_folder(&root, "other").await.unwrap();
    let q = SearchQuery {
        name: "NEEDLE".into(),
        kind: None,
        ..SearchQuery::default()
    };
    let page = p
        .search(&root, &q, &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(
        page.entries.iter().any(|e| e.name == "needle folder"),
        "{:?}",
        page.entries
    );
    assert!(!page.entries.iter().any(|e| e.name == "other"));
}

#[tokio::test]
async fn capacity_and_whoami() {
    let e = env(SandboxConfig {
        user_quota: 5 << 20,
        ..Default::default()
    })
    .await;
    let (_, p) = e.signed_in().await;
    let c = p.capacity().await.unwrap();
    assert_eq!(c.total, 5 << 20);
    assert!(c.free() <= c.total);
    assert_eq!(
        p.whoami().await.unwrap().email.as_deref(),
        Some(demo::EMAIL)
    );
}

#[tokio::test]
async fn chunked_upload_then_download() {
    let e = env(SandboxConfig {
        chunk_size: 1024,
        ..Default::default()
    })
    .await;
    let (_, p) = e.signed_in().await;
    let data: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
    let req = UploadRequest {
        parent: p.resolve_path("/uploads/ünï côdé").await.unwrap(),
        name: "data 100%.bin".into(),
        size: data.len() as u64,
        modified_ms: Some(1_735_689_600_000),
        mime: Some("application/octet-stream".into()),
        overwrite: false,
        want_client_encryption: false,
        keep_both: false,
        md5: None,
    };
    let s = p.begin_upload(&req).await.unwrap();
    assert_eq!(s.chunk_size, 1024);
    assert_eq!(e.sandbox.active_upload_sessions(), 1);
    // The session survives a JSON round trip (the transfer engine persists it).
    let s: UploadSession = serde_json::from_str(&serde_json::to_string(&s).unwrap()).unwrap();
    let placeholder = p.stat(&s.target).await.unwrap();
    assert!(placeholder.uploading);
    // A chunk of the wrong length is refused before it is sent.
    assert!(
        p.upload_chunk(&s, 0, Bytes::from_static(b"short").into())
            .await
            .is_err()
    );
    for i in 0..s.chunk_count(req.size) {
        let len = s.chunk_len(req.size, i) as usize;
        let start = (i * s.chunk_size) as usize;
        p.upload_chunk(
            &s,
            i,
            Bytes::copy_from_slice(&data[start..start + len]).into(),
        )
        .await
        .unwrap();
    }
    let done = p.finish_upload(&s, &ChunkReceipts::new()).await.unwrap();
    assert_eq!(done.size, 2500);
    assert!(!done.uploading);
    assert_eq!(done.name, "data 100%.bin");
    let url = p.download_url(&done.remote).await.unwrap();
    let body = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert_eq!(body.as_ref(), data.as_slice());

    // Cancel removes the placeholder.
    let req2 = UploadRequest {
        name: "cancelled.bin".into(),
        ..req.clone()
    };
    let s2 = p.begin_upload(&req2).await.unwrap();
    p.cancel_upload(&s2).await.unwrap();
    assert_eq!(
        p.stat(&s2.target).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // Uploading to an existing name without overwrite is a conflict; with overwrite it works.
    assert_eq!(
        p.begin_upload(&req).await.unwrap_err().kind(),
        ErrorKind::AlreadyExists
    );
    let over = UploadRequest {
        overwrite: true,
        size: 0,
        ..req.clone()
    };
    let s3 = p.begin_upload(&over).await.unwrap();
    p.upload_chunk(&s3, 0, Bytes::new().into()).await.unwrap();
    assert_eq!(
        p.finish_upload(&s3, &ChunkReceipts::new())
            .await
            .unwrap()
            .size,
        0
    );
}

#[tokio::test]
async fn empty_file_upload() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let req = UploadRequest {
        parent: p.root(),
        name: "empty.txt".into(),
        size: 0,
        modified_ms: None,
        mime: None,
        overwrite: false,
        want_client_encryption: false,
        keep_both: false,
        md5: None,
    };
    let s = p.begin_upload(&req).await.unwrap();
    assert_eq!(s.chunk_count(0), 1);
    p.upload_chunk(&s, 0, Bytes::new().into()).await.unwrap();
    assert_eq!(
        p.finish_upload(&s, &ChunkReceipts::new())
            .await
            .unwrap()
            .size,
        0
    );
}

#[tokio::test]
async fn encrypted_upload_gets_key_material() {
    let e = env(SandboxConfig {
        encryption: true,
        ..Default::default()
    })
    .await;
    let (_, p) = e.signed_in().await;
    let req = UploadRequest {
        parent: p.root(),
        name: "secret.bin".into(),
        size: 10,
        modified_ms: None,
        mime: None,
        overwrite: false,
        want_client_encryption: true,
        keep_both: false,
        md5: None,
    };
    let s = p.begin_upload(&req).await.unwrap();
    assert!(s.encryption.is_some());
    assert!(!format!("{s:?}").contains(&format!("{:?}", s.encryption.as_ref().unwrap().key)));
    p.cancel_upload(&s).await.unwrap();
    let plain = UploadRequest {
        want_client_encryption: false,
        name: "plain.bin".into(),
        ..req
    };
    let s = p.begin_upload(&plain).await.unwrap();
    assert!(s.encryption.is_none());
    p.cancel_upload(&s).await.unwrap();
}

#[tokio::test]
async fn a_search_window_pages_past_one_server_page_and_keeps_the_folder_of_each_hit() {
    use cirrus_core::listing_window::{ListingSource, ListingWindow};
    let e = env(SandboxConfig::default()).await;
    e.sandbox.seed_files(demo::EMAIL, "/A/B", 2_500);
    let (_, p) = e.signed_in().await;
    let mut w = ListingWindow::new(
        p.clone(),
        ListingSource::Search(
            p.root(),
            SearchQuery {
                name: "file-".into(),
                ..SearchQuery::default()
            },
        ),
        ListOptions::default(),
    );
    let first = w.rows(0, 50).await.unwrap();
    assert_eq!(first.entries.len(), 50);
    assert!(!first.complete, "one server page does not hold 2 500 hits");
    assert!(!first.limited);
    // Every hit keeps its full address, so the UI can show (and open) its folder.
    assert!(
        first.entries[0]
            .remote
            .as_str()
            .starts_with("cloudreve://my/A/B/file-"),
        "{:?}",
        first.entries[0].remote
    );
    let end = w.rows(2_450, 100).await.unwrap();
    assert_eq!(end.entries.len(), 50);
    assert!(end.complete);
    assert_eq!(end.loaded, 2_500);
    assert!(!end.limited);
}

#[tokio::test]
async fn a_search_that_runs_out_of_folder_budget_says_so() {
    use cirrus_core::listing_window::{ListingSource, ListingWindow};
    let e = env(SandboxConfig {
        max_search_folders: 2,
        ..SandboxConfig::default()
    })
    .await;
    let (_, p) = e.signed_in().await;
    let q = SearchQuery {
        name: ".".into(),
        kind: None,
        ..SearchQuery::default()
    };
    let page = p
        .search(&p.root(), &q, &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(page.limited, "the server reported recursion_limit_reached");
    let mut w = ListingWindow::new(
        p.clone(),
        ListingSource::Search(
            p.root(),
            SearchQuery {
                name: ".".into(),
                ..SearchQuery::default()
            },
        ),
        ListOptions::default(),
    );
    let rows = w.rows(0, 100).await.unwrap();
    assert!(rows.complete && rows.limited);
}
