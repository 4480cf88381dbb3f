//! Scenarios for file versions and search filters, gated on `Capabilities::versions`,
//! `search_filters`, `search_category` and `search_folders`.

use super::*;

/// Bytes behind a version's download URL.
async fn fetch(p: &Arc<dyn Provider>, file: &RemoteRef, version: &str) -> Vec<u8> {
    let url = p.version_download_url(file, version).await.unwrap();
    let r = reqwest::get(&url).await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    r.bytes().await.unwrap().to_vec()
}

pub async fn versions_or_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig {
        max_versions: 5,
        ..SandboxConfig::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let root = p.root();
    assert_completed(&upload(&p, &root, "doc.txt", b"first", ConflictPolicy::Ask).await);
    let file = remote_entry(p.as_ref(), &root, "doc.txt").await.remote;
    if !p.capabilities().versions {
        assert_kind(
            p.list_versions(&file).await,
            ErrorKind::Unsupported,
            "list_versions",
        );
        assert_kind(
            p.set_current_version(&file, "x").await,
            ErrorKind::Unsupported,
            "set_current_version",
        );
        assert_kind(
            p.delete_version(&file, "x").await,
            ErrorKind::Unsupported,
            "delete_version",
        );
        return;
    }
    assert_completed(
        &upload(
            &p,
            &root,
            "doc.txt",
            b"second, longer",
            ConflictPolicy::Overwrite,
        )
        .await,
    );
    let list = p.list_versions(&file).await.unwrap();
    assert_eq!(list.len(), 2, "{list:?}");
    assert!(list[0].current && !list[1].current, "{list:?}");
    assert_eq!((list[0].size, list[1].size), (14, 5));
    assert_eq!(fetch(&p, &file, &list[1].id).await, b"first");
    // Through the transfer queue too, into a name the caller chose.
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = engine(p.clone(), q.clone());
    let entry = p.stat(&file).await.unwrap();
    let dest = dir.path().join("doc (old).txt");
    let id = e
        .enqueue_version_download(&entry, &list[1], &dest, ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    assert_eq!(std::fs::read(&dest).unwrap(), b"first");
    // The current version cannot be deleted, and the error says why in the caller's terms.
    let err = p.delete_version(&file, &list[0].id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("current version"), "{err}");
    // Restoring the old one makes it the file's content; both stay.
    p.set_current_version(&file, &list[1].id).await.unwrap();
    assert_eq!(p.stat(&file).await.unwrap().size, 5);
    let after = p.list_versions(&file).await.unwrap();
    assert_eq!(after.len(), 2);
    assert!(after.iter().any(|v| v.current && v.id == list[1].id));
    // Now the newer one is not current and can go.
    p.delete_version(&file, &list[0].id).await.unwrap();
    let left = p.list_versions(&file).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].id, list[1].id);
    // A folder has no versions: a clear error, not an empty list.
    let folder = p.create_folder(&root, "dir").await.unwrap();
    assert_kind(
        p.list_versions(&folder.remote).await,
        ErrorKind::InvalidInput,
        "versions of a folder",
    );
}

pub async fn search_filters_or_unsupported<F: Fixture>() {
    let env = start::<F>(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let caps = p.capabilities();
    let root = p.root();
    let by_size = SearchQuery {
        name: "needle".into(),
        min_size: Some(50),
        ..SearchQuery::default()
    };
    if !caps.search_filters {
        assert_kind(
            p.search(&root, &by_size, &ListOptions::default(), None)
                .await,
            ErrorKind::Unsupported,
            "search with a size filter",
        );
    }
    if !caps.search {
        return;
    }
    let deep = p
        .create_folders(&root, &["f1".into(), "f2".into()])
        .await
        .unwrap();
    assert_completed(
        &upload(
            &p,
            &deep.remote,
            "big needle.txt",
            &[7u8; 100],
            ConflictPolicy::Ask,
        )
        .await,
    );
    assert_completed(&upload(&p, &root, "small needle.txt", b"x", ConflictPolicy::Ask).await);
    assert_completed(
        &upload(
            &p,
            &deep.remote,
            "needle pic.jpg",
            b"jpg",
            ConflictPolicy::Ask,
        )
        .await,
    );
    let names = |q: SearchQuery| {
        let p = p.clone();
        let root = root.clone();
        async move {
            let page = p
                .search(&root, &q, &ListOptions::default(), None)
                .await
                .unwrap();
            let mut n: Vec<String> = page.entries.into_iter().map(|e| e.name).collect();
            n.sort();
            n
        }
    };
    if caps.search_filters {
        assert_eq!(names(by_size.clone()).await, vec!["big needle.txt"]);
        let small = SearchQuery {
            name: "needle".into(),
            max_size: Some(10),
            ..SearchQuery::default()
        };
        assert_eq!(
            names(small).await,
            vec!["needle pic.jpg", "small needle.txt"]
        );
        let old = SearchQuery {
            name: "needle".into(),
            modified_before: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            ..SearchQuery::default()
        };
        assert!(names(old).await.is_empty());
        let recent = SearchQuery {
            name: "needle".into(),
            modified_after: Some(chrono::Utc::now() - chrono::Duration::hours(1)),
            ..SearchQuery::default()
        };
        assert_eq!(names(recent).await.len(), 3);
    }
    let images = SearchQuery {
        name: "needle".into(),
        category: Some(SearchCategory::Image),
        ..SearchQuery::default()
    };
    if caps.search_category {
        assert_eq!(names(images).await, vec!["needle pic.jpg"]);
    }
    // Only folders: found where the server looks for them, refused (not answered with files)
    // where it finds files only.
    p.create_folder(&deep.remote, "needle box").await.unwrap();
    let folders = SearchQuery {
        name: "needle".into(),
        kind: Some(EntryKind::Folder),
        ..SearchQuery::default()
    };
    if caps.search_folders {
        assert_eq!(names(folders).await, vec!["needle box"]);
    } else {
        assert_kind(
            p.search(&root, &folders, &ListOptions::default(), None)
                .await,
            ErrorKind::Unsupported,
            "a folder-only search",
        );
    }
}
