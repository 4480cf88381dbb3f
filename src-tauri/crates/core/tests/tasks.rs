//! Server tasks (§10) through the client against the sandbox over HTTP: archive, extract,
//! remote download, cancel, listing by category and live progress, each checked by what ends
//! up in the drive rather than by the task's word alone.

mod common;

use std::io::{Cursor, Read};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use cirrus_core::ErrorKind;
use cirrus_core::provider::*;
use cirrus_sandbox::{SandboxConfig, demo};
use common::*;
use futures::StreamExt;

/// Poll the tasks of `category` until `id` is finished; returns the final task.
async fn wait_finished(p: &dyn Provider, category: TaskCategory, id: &str) -> Task {
    for _ in 0..400 {
        let page = p.list_tasks(category, None).await.unwrap();
        if let Some(t) = page.tasks.into_iter().find(|t| t.id == id)
            && t.status.is_finished()
        {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("task {id} did not finish in {category:?}");
}

/// Download a drive file through the client's download URL.
async fn fetch(p: &dyn Provider, path: &str) -> Vec<u8> {
    let file = p.resolve_path(path).await.unwrap();
    let url = p.download_url(&file).await.unwrap();
    let r = reqwest::get(&url).await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.bytes().await.unwrap().to_vec()
}

/// Serve `routes` on 127.0.0.1 and return the base URL.
async fn serve(routes: Router) -> String {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(l, routes).await.unwrap() });
    format!("http://{addr}")
}

fn unzip(bytes: Vec<u8>) -> zip::ZipArchive<Cursor<Vec<u8>>> {
    zip::ZipArchive::new(Cursor::new(bytes)).expect("a valid zip")
}

fn entry(z: &mut zip::ZipArchive<Cursor<Vec<u8>>>, name: &str) -> Vec<u8> {
    let mut f = z
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name} in zip: {e}"));
    let mut b = Vec::new();
    f.read_to_end(&mut b).unwrap();
    b
}

#[tokio::test]
async fn archive_puts_a_zip_with_the_sources_in_the_drive() {
    let e = env(SandboxConfig::default()).await;
    e.sandbox
        .seed_file_with_content(demo::EMAIL, "Documents/big.bin", 300_000, 7)
        .unwrap();
    let (_, p) = e.signed_in().await;
    assert!(p.capabilities().tasks_archive);
    let out = p.create_folder(&p.root(), "out").await.unwrap();
    let items = [
        p.resolve_path("/Documents").await.unwrap(),
        p.resolve_path("/Welcome.txt").await.unwrap(),
    ];
    let task = p
        .create_archive(&items, &out.remote, "all.zip")
        .await
        .unwrap();
    assert_eq!(task.task_type, "create_archive");
    assert!(!task.status.is_finished(), "{task:?}");
    assert_eq!(
        task.destination.as_deref(),
        Some("cloudreve://my/out/all.zip")
    );
    assert!(
        task.source
            .as_deref()
            .unwrap()
            .contains("cloudreve://my/Welcome.txt"),
        "{task:?}"
    );
    let done = wait_finished(p.as_ref(), TaskCategory::General, &task.id).await;
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");
    assert_eq!(done.error, None);

    // The zip is a regular drive file now, with every source inside byte for byte.
    let listed = p
        .list(&out.remote, &ListOptions::default(), None)
        .await
        .unwrap();
    let zip_entry = listed
        .entries
        .iter()
        .find(|x| x.name == "all.zip")
        .expect("all.zip listed");
    let bytes = fetch(p.as_ref(), "/out/all.zip").await;
    assert_eq!(zip_entry.size, bytes.len() as u64);
    let mut z = unzip(bytes);
    assert_eq!(
        entry(&mut z, "Welcome.txt"),
        b"Welcome to the Cirrus sandbox.\n"
    );
    assert_eq!(
        entry(&mut z, "Documents/Report 2024.txt"),
        b"Quarterly numbers.\n"
    );
    assert_eq!(
        entry(&mut z, "Documents/中文文件.txt"),
        "你好，世界\n".as_bytes()
    );
    assert_eq!(
        entry(&mut z, "Documents/big.bin"),
        cirrus_sandbox::seed::seeded_bytes(300_000, 7)
    );

    // The same name again is refused up front.
    let again = p
        .create_archive(&items[1..], &out.remote, "all.zip")
        .await
        .unwrap_err();
    assert_eq!(again.kind(), ErrorKind::AlreadyExists, "{again:?}");
    // A name with a slash cannot escape the destination folder.
    assert!(
        p.create_archive(&items[1..], &out.remote, "../x.zip")
            .await
            .is_err()
    );
}

#[tokio::test]
async fn extract_recreates_the_files_of_an_archive() {
    let e = env(SandboxConfig::default()).await;
    e.sandbox
        .seed_file_with_content(demo::EMAIL, "src/dir/sub/b b.bin", 50_000, 3)
        .unwrap();
    let (_, p) = e.signed_in().await;
    // The archive comes from the server itself, so the test does not depend on the upload path.
    let src = p.resolve_path("/src").await.unwrap();
    p.create_folder(&src, "empty").await.unwrap();
    let sources = [
        src.clone(),
        p.resolve_path("/Documents/中文文件.txt").await.unwrap(),
    ];
    let zipped = p
        .create_archive(&sources, &p.root(), "in.zip")
        .await
        .unwrap();
    let zipped = wait_finished(p.as_ref(), TaskCategory::General, &zipped.id).await;
    assert_eq!(zipped.status, TaskStatus::Completed, "{zipped:?}");
    let archive = p.resolve_path("/in.zip").await.unwrap();

    // The destination folder must exist.
    let nowhere = RemoteRef::new("cloudreve://my/nope");
    let err = p
        .extract_archive(&archive, &nowhere, &ExtractOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");

    let dest = p.create_folder(&p.root(), "ex").await.unwrap();
    let task = p
        .extract_archive(&archive, &dest.remote, &ExtractOptions::default())
        .await
        .unwrap();
    assert_eq!(task.task_type, "extract_archive");
    assert_eq!(task.source.as_deref(), Some("cloudreve://my/in.zip"));
    let done = wait_finished(p.as_ref(), TaskCategory::General, &task.id).await;
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");

    assert_eq!(
        fetch(p.as_ref(), "/ex/src/dir/sub/b b.bin").await,
        cirrus_sandbox::seed::seeded_bytes(50_000, 3)
    );
    assert_eq!(
        fetch(p.as_ref(), "/ex/中文文件.txt").await,
        "你好，世界\n".as_bytes()
    );
    let top: Vec<String> = p
        .list(&dest.remote, &ListOptions::default(), None)
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|x| x.name)
        .collect();
    assert_eq!(top.len(), 2, "{top:?}");
    let inner: Vec<String> = p
        .list(
            &p.resolve_path("/ex/src").await.unwrap(),
            &ListOptions::default(),
            None,
        )
        .await
        .unwrap()
        .entries
        .into_iter()
        .map(|x| x.name)
        .collect();
    let mut inner = inner;
    inner.sort();
    assert_eq!(inner, ["dir", "empty"]);
}

#[tokio::test]
async fn remote_download_stores_the_served_bytes() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let payload = cirrus_sandbox::seed::seeded_bytes(200_000, 99);
    let served = payload.clone();
    let base = serve(Router::new().route(
        "/files/data%20set.bin",
        get(move || {
            let p = served.clone();
            async move { p }
        }),
    ))
    .await;
    let url = format!("{base}/files/data%20set.bin");
    let missing = RemoteRef::new("cloudreve://my/Downloads");
    let err = p
        .remote_download(std::slice::from_ref(&url), &missing)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err:?}");

    let dest = p.create_folder(&p.root(), "Downloads").await.unwrap();
    let tasks = p
        .remote_download(std::slice::from_ref(&url), &dest.remote)
        .await
        .unwrap();
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!(t.task_type, "remote_download");
    assert_eq!(t.status, TaskStatus::Queued);
    assert_eq!(t.source.as_deref(), Some(url.as_str()));
    let done = wait_finished(p.as_ref(), TaskCategory::Downloaded, &t.id).await;
    assert_eq!(done.status, TaskStatus::Completed, "{done:?}");
    let d = done.download.expect("download status");
    assert_eq!(d.name, "data set.bin");
    assert_eq!(d.total, 200_000);
    assert_eq!(d.downloaded, 200_000);
    assert_eq!(fetch(p.as_ref(), "/Downloads/data set.bin").await, payload);

    // Sources the server cannot fetch are refused for the whole request.
    let err = p
        .remote_download(&["magnet:?xt=urn:btih:abc".to_string()], &dest.remote)
        .await
        .unwrap_err();
    assert_ne!(err.kind(), ErrorKind::Protocol, "{err:?}");
}

#[tokio::test]
async fn cancel_a_running_remote_download() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    // Sends 1000 of the announced 100 000 bytes, then stalls forever.
    let base = serve(Router::new().route(
        "/slow.bin",
        get(|| async {
            let s = futures::stream::once(async { Ok::<_, std::io::Error>(vec![1u8; 1000]) })
                .chain(futures::stream::pending());
            axum::response::Response::builder()
                .header("content-length", "100000")
                .body(Body::from_stream(s))
                .unwrap()
        }),
    ))
    .await;
    let tasks = p
        .remote_download(&[format!("{base}/slow.bin")], &p.root())
        .await
        .unwrap();
    let id = tasks[0].id.clone();
    let mut running = None;
    for _ in 0..200 {
        let page = p.list_tasks(TaskCategory::Downloading, None).await.unwrap();
        if let Some(t) = page.tasks.into_iter().find(|t| t.id == id)
            && t.download.as_ref().is_some_and(|d| d.downloaded == 1000)
        {
            running = Some(t);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let running = running.expect("download seen in progress");
    assert!(!running.status.is_finished(), "{running:?}");
    let d = running.download.unwrap();
    assert_eq!(d.total, 100_000);
    assert_eq!(d.state, "downloading");

    p.cancel_task(&id).await.unwrap();
    let done = wait_finished(p.as_ref(), TaskCategory::Downloaded, &id).await;
    assert_eq!(done.status, TaskStatus::Canceled, "{done:?}");
    let page = p.list_tasks(TaskCategory::Downloading, None).await.unwrap();
    assert!(page.tasks.iter().all(|t| t.id != id));
    let root = p
        .list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(root.entries.iter().all(|x| x.name != "slow.bin"));

    // Malformed ids are rejected as input, not taken for a network failure.
    let err = p.cancel_task("xyz").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err:?}");
}

#[tokio::test]
async fn list_by_category_and_progress_while_running() {
    let e = env(SandboxConfig {
        task_step_delay: Duration::from_millis(150),
        ..SandboxConfig::default()
    })
    .await;
    let (_, p) = e.signed_in().await;
    let docs = p.resolve_path("/Documents").await.unwrap();
    let task = p
        .create_archive(std::slice::from_ref(&docs), &p.root(), "d.zip")
        .await
        .unwrap();

    // Live counters appear while the archive is being written.
    let mut seen = None;
    for _ in 0..100 {
        let progress = p.task_progress(&task.id).await.unwrap();
        if let Some(c) = progress.items.iter().find(|i| i.name == "archive_count") {
            seen = Some((c.clone(), progress.clone()));
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (count, progress) = seen.expect("archive progress visible");
    assert_eq!(count.total, 6);
    assert!(count.current <= count.total);
    let size = progress
        .items
        .iter()
        .find(|i| i.name == "archive_size")
        .expect("archive_size counter");
    assert!(size.total > 0);
    let general = p.list_tasks(TaskCategory::General, None).await.unwrap();
    let running = general.tasks.iter().find(|t| t.id == task.id).unwrap();
    assert_eq!(running.status, TaskStatus::Processing);
    assert_eq!(running.phase.as_deref(), Some("compress_files"));
    assert!(general.next_cursor.is_none());

    let done = wait_finished(p.as_ref(), TaskCategory::General, &task.id).await;
    assert_eq!(done.status, TaskStatus::Completed);
    // Finished tasks have no live counters.
    assert!(p.task_progress(&task.id).await.unwrap().items.is_empty());

    // Categories keep their own tasks: archives are general, downloads are not.
    let payload: Arc<Vec<u8>> = Arc::new(b"remote bytes".to_vec());
    let base = serve(Router::new().route(
        "/r.txt",
        get(move || {
            let p = payload.clone();
            async move { p.as_ref().clone() }
        }),
    ))
    .await;
    let dl = p
        .remote_download(&[format!("{base}/r.txt")], &p.root())
        .await
        .unwrap();
    let dl_done = wait_finished(p.as_ref(), TaskCategory::Downloaded, &dl[0].id).await;
    assert_eq!(dl_done.status, TaskStatus::Completed, "{dl_done:?}");
    let general = p.list_tasks(TaskCategory::General, None).await.unwrap();
    assert_eq!(general.tasks.len(), 1);
    assert_eq!(general.tasks[0].id, task.id);
    let downloaded = p.list_tasks(TaskCategory::Downloaded, None).await.unwrap();
    assert_eq!(downloaded.tasks.len(), 1);
    assert_eq!(downloaded.tasks[0].id, dl[0].id);
    assert!(
        p.list_tasks(TaskCategory::Downloading, None)
            .await
            .unwrap()
            .tasks
            .is_empty()
    );
    assert_eq!(fetch(p.as_ref(), "/r.txt").await, b"remote bytes");
}
