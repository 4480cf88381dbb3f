//! Uploads through the transfer engine to every storage policy the sandbox serves (local,
//! relay, slave node, S3, KS3, COS, OBS, OneDrive, Qiniu, Upyun, and whatever else it offers),
//! over real HTTP, with client-side encryption requested and not, and with policies whose
//! file encryption is switched on: sizes around the chunk boundaries come back
//! byte-identical, and no upload session is left open on the server. Plus the lost answers
//! of Qiniu's completion and Upyun's form POST.

mod common;
mod uploads_common;

use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::policy::PolicyKind;
use serde_json::{Value, json};
use std::sync::Arc;
use uploads_common::*;

/// Uploads files of odd sizes to a `kind` policy and checks every download by SHA-256.
/// `encryption` is the sandbox's setting (local, relay and slave policies).
async fn round_trip(kind: PolicyKind, encryption: bool) {
    round_trip_with(kind, encryption, false).await;
}

/// [`round_trip`], with `kind`'s own file encryption switched on when `policy_encrypts`
/// (Cloudreve lets an admin switch it on for any policy type).
async fn round_trip_with(kind: PolicyKind, encryption: bool, policy_encrypts: bool) {
    let env = common::env(SandboxConfig {
        policy: kind,
        encryption,
        ..Default::default()
    })
    .await;
    env.sandbox
        .set_policy_chunking(kind, chunk_for(kind), 3)
        .unwrap();
    if policy_encrypts {
        env.sandbox.set_policy_encryption(kind, true).unwrap();
    }
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
    // Relay policies are encrypted by the server, never by the client.
    let want = client_encrypts(kind, encryption) || (policy_encrypts && kind != PolicyKind::Relay);
    let sessions = p.sessions.lock().unwrap().clone();
    assert_eq!(sessions.len(), files.len(), "one session per file");
    assert!(
        sessions.iter().all(|(_, enc)| *enc == want),
        "{kind}: client encryption should be {want}: {sessions:?}"
    );
    // Chunk requests follow the session's layout: relay and Upyun send the whole file at once
    // (Upyun whatever chunk size the policy has), the others never more than a chunk.
    let biggest = files.iter().map(|f| f.1.len()).max().unwrap();
    let calls = p.calls.lock().unwrap().clone();
    let max_sent = calls.iter().map(|c| c.2).max().unwrap();
    if whole_file(kind) {
        assert_eq!(max_sent, biggest);
        assert_eq!(calls.len(), files.len(), "{kind}: one request per file");
    } else {
        assert!(max_sent as u64 <= chunk_for(kind));
    }
    // Memory stays bounded: at most chunk size × concurrency (3) bytes in flight per file,
    // with the engine's default of 3 files at once.
    let per_file = if whole_file(kind) {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qiniu_round_trips_in_parts_of_at_least_one_mib() {
    // Parts of 1 MiB (the store refuses smaller non-final parts), numbered from 1, completed
    // with their etags through the store's callback; the policy offers no client encryption.
    round_trip(PolicyKind::Qiniu, true).await;
    round_trip(PolicyKind::Qiniu, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upyun_round_trips_in_one_form_post() {
    round_trip(PolicyKind::Upyun, true).await;
    round_trip(PolicyKind::Upyun, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qiniu_and_upyun_take_client_encrypted_uploads_when_their_policy_encrypts() {
    round_trip_with(PolicyKind::Qiniu, false, true).await;
    round_trip_with(PolicyKind::Upyun, false, true).await;
}

/// A session of `kind` for a `size`-byte file in the root, with its provider state.
async fn session_for(p: &dyn Provider, name: &str, size: u64) -> (UploadSession, Value) {
    let s = p
        .begin_upload(&upload_request(p.root(), name, size))
        .await
        .unwrap();
    let state = s.policy.clone();
    (s, state)
}

/// The completion POST reaches the store (which completes the file through Cloudreve), but
/// its answer is lost; the retry finds the upload gone (612) and succeeds on the file itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_qiniu_completion_answer_is_not_a_failure() {
    let env = common::env(SandboxConfig {
        policy: PolicyKind::Qiniu,
        ..Default::default()
    })
    .await;
    env.sandbox
        .set_policy_chunking(PolicyKind::Qiniu, QINIU_PART, 2)
        .unwrap();
    let (_, p) = env.signed_in().await;
    let content = data((QINIU_PART + 5) as usize, 21);
    let (s, state) = session_for(p.as_ref(), "lost.bin", content.len() as u64).await;
    assert_eq!(s.chunk_size, QINIU_PART);
    let mut receipts = ChunkReceipts::new();
    for (i, part) in content.chunks(QINIU_PART as usize).enumerate() {
        let r = p
            .upload_chunk(&s, i as u64, bytes::Bytes::copy_from_slice(part).into())
            .await
            .unwrap();
        receipts.insert(i as u64, r.token().expect("an etag").to_string());
    }
    // The first completion, sent as the client sends it, whose answer nobody reads.
    let parts: Vec<Value> = receipts
        .iter()
        .map(|(i, e)| json!({"etag": e, "partNumber": i + 1}))
        .collect();
    let url = state["upload_urls"][0].as_str().unwrap();
    let token = state["credential"].as_str().unwrap();
    let r = reqwest::Client::new()
        .post(url)
        .header("Authorization", format!("UpToken {token}"))
        .json(&json!({ "parts": parts }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The retry.
    let entry = p.finish_upload(&s, &receipts).await.unwrap();
    assert_eq!(entry.size, content.len() as u64);
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&content));
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

/// The form POST completes the upload but its answer is lost; sending it again and finishing
/// still yields the file, intact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_upyun_form_post_still_finishes() {
    let env = common::env(SandboxConfig {
        policy: PolicyKind::Upyun,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let content = data(54_321, 22);
    let (s, state) = session_for(p.as_ref(), "twice.bin", content.len() as u64).await;
    assert_eq!(s.chunk_size, 0, "the form API takes the whole file");
    assert_eq!(s.chunk_concurrency, 1);
    assert!(
        state["upload_policy"]
            .as_str()
            .is_some_and(|p| !p.is_empty())
    );
    let body = bytes::Bytes::from(content.clone());
    p.upload_chunk(&s, 0, body.clone().into()).await.unwrap();
    p.upload_chunk(&s, 0, body.into()).await.unwrap();
    let entry = p.finish_upload(&s, &ChunkReceipts::new()).await.unwrap();
    assert_eq!(entry.size, content.len() as u64);
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&content));
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
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
        want_client_encryption: true,
        ..upload_request(p.root(), "empty.txt", 0)
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
    let env = common::env(SandboxConfig::default()).await;
    let available = env.sandbox.available_policies();
    for kind in available
        .into_iter()
        .filter(|k| !COVERED_POLICIES.contains(k))
    {
        eprintln!("also covering the {kind} policy");
        round_trip(kind, true).await;
    }
}

/// Bigger than the engine's threshold for streaming a whole-file upload from disk (4 MiB),
/// and not a multiple of the 1 MiB read block nor of the AES block.
const STREAMED: usize = (4 << 20) + 12_345;

/// A relay or Upyun upload too big to hold in memory reaches the provider as a file to stream
/// (its bytes are the file's, or their encryption), a small one as bytes; both come back
/// intact. `policy_encrypts` switches on the policy's file encryption (client-side for Upyun).
async fn whole_file_streams(kind: PolicyKind, encryption: bool, policy_encrypts: bool) {
    let env = common::env(SandboxConfig {
        policy: kind,
        encryption,
        ..Default::default()
    })
    .await;
    if policy_encrypts {
        env.sandbox.set_policy_encryption(kind, true).unwrap();
    }
    let (_, real) = env.signed_in().await;
    let p = Counting::new(real.clone());
    let dest = real.root();
    let dir = tempfile::tempdir().unwrap();
    let big = data(STREAMED, 5);
    let small = data(100_000, 6);
    let big_path = write(dir.path(), "big.bin", &big);
    write(dir.path(), "small.bin", &small);
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p.clone(), q.clone(), config(4, true)).unwrap();
    for name in ["big.bin", "small.bin"] {
        e.enqueue_upload(&dir.path().join(name), &dest, ConflictPolicy::Ask)
            .unwrap();
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
    let client_encrypted = p.sessions.lock().unwrap().iter().any(|s| s.1);
    assert_eq!(
        client_encrypted,
        policy_encrypts && kind == PolicyKind::Upyun
    );

    let streamed = p.streamed.lock().unwrap().clone();
    assert_eq!(streamed.len(), 1, "{kind}: only the big file streams");
    let slice = &streamed[0];
    assert_eq!(slice.path(), big_path);
    assert_eq!((slice.offset(), slice.len()), (0, STREAMED as u64));
    assert_eq!(slice.is_encrypted(), client_encrypted);
    let sent = ChunkData::File(slice.clone()).to_bytes().await.unwrap();
    assert_eq!(sent.len(), STREAMED);
    if client_encrypted {
        assert_ne!(sha(&sent), sha(&big));
    } else {
        assert_eq!(sha(&sent), sha(&big), "the streamed bytes are the file");
    }
    // One request per file, the whole file each.
    let mut sizes: Vec<usize> = p.calls.lock().unwrap().iter().map(|c| c.2).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [small.len(), STREAMED]);

    for (name, content) in [("big.bin", &big), ("small.bin", &small)] {
        let entry = remote_entry(real.as_ref(), &dest, name).await;
        assert_eq!(entry.size, content.len() as u64, "{name}");
        let got = download_bytes(real.clone(), &entry).await;
        assert_eq!(sha(&got), sha(content), "{kind} {name} differs");
    }
    assert_eq!(env.sandbox.active_upload_sessions(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_relay_uploads_stream_from_disk() {
    whole_file_streams(PolicyKind::Relay, false, false).await;
    whole_file_streams(PolicyKind::Relay, true, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_upyun_uploads_stream_from_disk_plain_and_client_encrypted() {
    whole_file_streams(PolicyKind::Upyun, false, false).await;
    whole_file_streams(PolicyKind::Upyun, false, true).await;
}

/// A file that ends early while its body is on the wire aborts the request with the "local
/// file changed" error (which the engine restarts on), not a retryable network error; the
/// server keeps nothing of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_body_that_ends_early_fails_as_a_local_change() {
    for kind in [PolicyKind::Relay, PolicyKind::Upyun] {
        let env = common::env(SandboxConfig {
            policy: kind,
            ..Default::default()
        })
        .await;
        let (_, p) = env.signed_in().await;
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "short.bin", &data(3 << 20, 9));
        let fp = Fingerprint::of(&std::fs::metadata(&path).unwrap());
        // The session (and the slice) expect 2 MiB more than the file has: the first blocks
        // go out, then the reader hits the end of the file.
        let want = (5 << 20) as u64;
        let (s, _) = session_for(p.as_ref(), "short.bin", want).await;
        let slice = FileSlice::new(&path, 0, want, fp);
        let e = p
            .upload_chunk(&s, 0, ChunkData::File(slice))
            .await
            .unwrap_err();
        assert!(upload_types::is_local_change(&e), "{kind}: {e:?}");
        assert!(!e.is_retryable());
        p.cancel_upload(&s).await.unwrap();
        assert_eq!(env.sandbox.active_upload_sessions(), 0);
    }
}

/// A streamed whole-file upload reports progress while its one request is on the wire, not
/// only 0 % then 100 %.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_upload_reports_progress_while_it_is_sent() {
    let env = common::env(SandboxConfig {
        policy: PolicyKind::Relay,
        ..Default::default()
    })
    .await;
    let (_, p) = env.signed_in().await;
    let dir = tempfile::tempdir().unwrap();
    let size = 6usize << 20;
    let content = data(size, 3);
    let f = write(dir.path(), "big.bin", &content);
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let cfg = EngineConfig {
        // About half a second on the wire, in 1 MiB blocks.
        upload_limit: 12 << 20,
        progress_interval: std::time::Duration::from_millis(20),
        ..config(3, false)
    };
    let e = TransferEngine::new(p.clone(), q.clone(), cfg).unwrap();
    let mut events = e.subscribe();
    let id = e
        .enqueue_upload(&f, &p.root(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    assert_eq!(q.get(id).unwrap().state, ItemState::Completed);
    let mut partial = vec![];
    while let Ok(ev) = events.try_recv() {
        let Some(ev) = ev.item() else { continue };
        let b = ev.progress.bytes_done;
        if ev.id == id && b > 0 && b < size as u64 {
            partial.push(b);
        }
    }
    assert!(partial.len() >= 2, "progress while sending: {partial:?}");
    assert!(partial.windows(2).all(|w| w[0] <= w[1]), "{partial:?}");
    assert_eq!(q.get(id).unwrap().bytes_done, size as u64);
    let entry = remote_entry(p.as_ref(), &p.root(), "big.bin").await;
    assert_eq!(sha(&download_bytes(p.clone(), &entry).await), sha(&content));
}
