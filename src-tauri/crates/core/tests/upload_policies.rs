//! Uploads through the transfer engine to every storage policy the sandbox serves (local,
//! relay, slave node, S3, KS3, COS, OBS, and whatever else it offers), over real HTTP, with
//! client-side encryption requested and not: sizes around the chunk boundaries come back
//! byte-identical, and no upload session is left open on the server.

mod common;
mod uploads_common;

use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::policy::PolicyKind;
use std::sync::Arc;
use uploads_common::*;

/// Uploads files of odd sizes to a `kind` policy and checks every download by SHA-256.
async fn round_trip(kind: PolicyKind, encryption: bool) {
    let env = common::env(SandboxConfig {
        policy: kind,
        encryption,
        ..Default::default()
    })
    .await;
    env.sandbox
        .set_policy_chunking(kind, chunk_for(kind), 3)
        .unwrap();
    let (_, real) = env.signed_in().await;
    let p = Counting::new(real.clone());
    let dest = real
        .create_folder(&real.root(), &format!("{kind}-{encryption}"))
        .await
        .unwrap()
        .remote;
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(4, true)).unwrap();
    let mut files = vec![];
    for (i, size) in odd_sizes(kind).into_iter().enumerate() {
        let name = format!("f{i}-{size}.bin");
        let content = data(size, i as u8);
        let f = write(dir.path(), &name, &content);
        e.enqueue_upload(&f, &dest, ConflictPolicy::Ask).unwrap();
        files.push((name, content));
    }
    e.wait_idle().await.unwrap();
    for it in q.list().unwrap() {
        assert_eq!(
            it.state,
            ItemState::Completed,
            "{}: {:?}",
            it.name,
            it.error
        );
    }
    for (name, content) in &files {
        let entry = remote_entry(real.as_ref(), &dest, name).await;
        assert_eq!(entry.size, content.len() as u64, "{name}");
        let got = download_bytes(real.clone(), &entry).await;
        assert_eq!(sha(&got), sha(content), "{kind} {name} differs");
    }
    let want = client_encrypts(kind, encryption);
    let sessions = p.sessions.lock().unwrap().clone();
    assert_eq!(sessions.len(), files.len(), "one session per file");
    assert!(
        sessions.iter().all(|(_, enc)| *enc == want),
        "{kind}: client encryption should be {want}: {sessions:?}"
    );
    // Chunk requests follow the session's layout: relay sends the whole file at once.
    let biggest = files.iter().map(|f| f.1.len()).max().unwrap();
    let max_sent = p.calls.lock().unwrap().iter().map(|c| c.2).max().unwrap();
    if kind == PolicyKind::Relay {
        assert_eq!(max_sent, biggest);
    } else {
        assert!(max_sent as u64 <= chunk_for(kind));
    }
    // Memory stays bounded: at most chunk size × concurrency (3) bytes in flight per file,
    // with the engine's default of 3 files at once.
    let per_file = if kind == PolicyKind::Relay {
        biggest as u64
    } else {
        chunk_for(kind) * 3
    };
    assert!(p.peak_in_flight() <= per_file * 3, "{}", p.peak_in_flight());
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_round_trips_plain_and_encrypted() {
    round_trip(PolicyKind::Local, false).await;
    round_trip(PolicyKind::Local, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_round_trips_in_one_request_with_server_side_encryption() {
    round_trip(PolicyKind::Relay, false).await;
    round_trip(PolicyKind::Relay, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slave_node_round_trips_plain_and_encrypted() {
    round_trip(PolicyKind::Remote, false).await;
    round_trip(PolicyKind::Remote, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_round_trips() {
    // The policy offers no client encryption: asking for it must still upload plaintext.
    round_trip(PolicyKind::S3, true).await;
    round_trip(PolicyKind::S3, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ks3_round_trips() {
    round_trip(PolicyKind::Ks3, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cos_round_trips() {
    round_trip(PolicyKind::Cos, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn obs_round_trips_with_the_storage_calling_back() {
    round_trip(PolicyKind::Obs, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onedrive_round_trips_in_order() {
    round_trip(PolicyKind::OneDrive, true).await;
}

#[tokio::test]
async fn onedrive_refuses_empty_files_without_leaving_a_session() {
    let env = common::env(SandboxConfig {
        policy: PolicyKind::OneDrive,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let req = UploadRequest {
        parent: p.root(),
        name: "empty.txt".into(),
        size: 0,
        modified_ms: None,
        mime: None,
        overwrite: false,
        want_client_encryption: true,
    };
    let e = p.begin_upload(&req).await.unwrap_err();
    assert_eq!(e.kind(), cirrus_core::ErrorKind::Unsupported, "{e}");
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
    let page = p
        .list(&p.root(), &ListOptions::default(), None)
        .await
        .unwrap();
    assert!(page.entries.iter().all(|e| e.name != "empty.txt"));
}

/// Policies the sandbox gained after this file was written (OSS, OneDrive, …) get the same
/// treatment, so a new policy cannot go untested.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_other_policy_the_sandbox_serves_round_trips() {
    let covered = [
        PolicyKind::Local,
        PolicyKind::Relay,
        PolicyKind::Remote,
        PolicyKind::S3,
        PolicyKind::Ks3,
        PolicyKind::Cos,
        PolicyKind::Obs,
        PolicyKind::OneDrive,
    ];
    let env = common::env(SandboxConfig::default()).await;
    let (_, p) = env.signed_in().await;
    let available = env.sandbox.available_policies();
    for kind in available.into_iter().filter(|k| !covered.contains(k)) {
        eprintln!("also covering the {kind} policy");
        if client_unsupported(kind) {
            refused_cleanly(&env.sandbox, p.as_ref(), kind).await;
            continue;
        }
        round_trip(kind, true).await;
    }
}
