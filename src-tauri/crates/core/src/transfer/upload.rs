//! One file upload: conflict handling, session creation and renewal, parallel encrypted chunks
//! read from disk on demand, completion, and clean-up on failure.

use super::chunks::ChunkPlan;
use super::conflict::keep_both_name;
use super::hashing::md5_file;
use super::item::{ConflictPolicy, Fingerprint, TransferItem, TransferPhase};
use super::job::{JobContext, Outcome};
use super::progress::ProgressTracker;
use crate::crypto::AesCtrKey;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::upload_types::{is_local_change, local_changed};
use crate::provider::{
    ChunkData, ChunkReceipt, FileSlice, RemoteRef, UploadRequest, UploadSession,
};
use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A whole-file (single-request) upload larger than this is streamed from disk block by
/// block instead of being read into memory first.
pub(crate) const STREAM_THRESHOLD: u64 = 4 << 20;

/// Sessions this close to expiry are renewed before sending more chunks.
const EXPIRY_MARGIN_SECS: i64 = 60;

/// Uploads one file item to completion (or pause/cancel, reported as `Cancelled`).
pub(crate) async fn run_upload(
    ctx: &JobContext,
    item: &TransferItem,
    tracker: &Arc<Mutex<ProgressTracker>>,
) -> Result<Outcome> {
    // A name the server refuses fails here, before any byte goes (keep-both only adds a
    // suffix to an accepted name, so checking the chosen one is enough).
    ctx.provider.check_name(&item.name)?;
    let mut restarted_for_change = false;
    let mut renewed = false;
    loop {
        match upload_attempt(ctx, item, tracker, &mut renewed).await {
            Err(e) if e.kind() == ErrorKind::UploadSessionExpired && !renewed => {
                // The server forgot the session (or it timed out): start once more from scratch.
                renewed = true;
                discard_session(ctx, item).await;
                reset(tracker, 0);
            }
            Err(e) if is_local_change(&e) && !restarted_for_change => {
                restarted_for_change = true;
                tracing::info!(
                    item = item.id,
                    "local file changed during upload; restarting"
                );
                discard_session(ctx, item).await;
                reset(tracker, 0);
            }
            Err(e) if e.kind() == ErrorKind::Cancelled => return Err(e),
            // Out of retries on a transient error (network down, server busy): keep the
            // session and acknowledged chunks so Retry resumes; Cancel removes it.
            Err(e) if e.is_retryable() => return Err(e),
            Err(e) => {
                // A final refusal: leave no orphan placeholder on the server.
                discard_session(ctx, item).await;
                return Err(e);
            }
            ok => return ok,
        }
    }
}

fn reset(tracker: &Mutex<ProgressTracker>, bytes: u64) {
    tracker.lock().expect("tracker poisoned").reset(bytes);
}

/// Cancels the stored session on the server (best effort) and forgets all upload state.
pub(crate) async fn discard_session(ctx: &JobContext, item: &TransferItem) {
    if let Ok(Some(session)) = ctx.queue.session(item.id)
        && let Err(e) = ctx.provider.cancel_upload(&session).await
    {
        tracing::warn!(item = item.id, error = %e, "could not cancel upload session");
    }
    if let Err(e) = ctx.queue.reset_transfer_state(item.id) {
        tracing::warn!(item = item.id, error = %e, "could not reset upload state");
    }
}

fn local_fingerprint(path: &Path) -> Result<Fingerprint> {
    let meta = std::fs::metadata(path)
        .map_err(|e| Error::io(format!("Cannot read {}: {e}", path.display())))?;
    if !meta.is_file() {
        return Err(Error::invalid(format!("{} is not a file.", path.display())));
    }
    Ok(Fingerprint::of(&meta))
}

async fn upload_attempt(
    ctx: &JobContext,
    item: &TransferItem,
    tracker: &Arc<Mutex<ProgressTracker>>,
    renewed: &mut bool,
) -> Result<Outcome> {
    let now_fp = local_fingerprint(&item.local_path)?;
    let mut session = ctx.queue.session(item.id)?;
    if let Some(stored) = ctx.queue.fingerprint(item.id)?
        && session.is_some()
        && stored != now_fp
    {
        return Err(local_changed(&item.local_path));
    }
    if let Some(s) = &session
        && s.expires_at - EXPIRY_MARGIN_SECS <= chrono::Utc::now().timestamp()
    {
        if *renewed {
            return Err(Error::new(ErrorKind::UploadSessionExpired));
        }
        *renewed = true;
        tracing::info!(item = item.id, "upload session expired; creating a new one");
        discard_session(ctx, item).await;
        reset(tracker, 0);
        session = None;
    }
    let session = match session {
        Some(s) => s,
        None => match create_session(ctx, item, now_fp, tracker).await? {
            Some(s) => s,
            None => return Ok(Outcome::Skipped),
        },
    };
    if !session.complete {
        send_missing_chunks(ctx, item, tracker, &session, now_fp).await?;
    }

    if local_fingerprint(&item.local_path)? != now_fp {
        return Err(local_changed(&item.local_path));
    }
    // Receipts of chunks acknowledged in earlier runs too (S3 ETags survive restarts).
    let receipts = ctx.queue.chunk_receipts(item.id)?;
    let entry = ctx
        .retry
        .run(&ctx.cancel, |_| {
            ctx.provider.finish_upload(&session, &receipts)
        })
        .await?;
    if entry.size != now_fp.size {
        return Err(Error::protocol(format!(
            "The server reports {} bytes for {}, expected {}.",
            entry.size, entry.name, now_fp.size
        )));
    }
    // A server that settles keep-both itself (see `UploadRequest::keep_both`) says here which
    // name the file got.
    if item.conflict == ConflictPolicy::KeepBoth && ctx.queue.get(item.id)?.name != entry.name {
        ctx.queue.set_name(item.id, &entry.name)?;
    }
    if session.complete {
        ctx.queue.set_instant(item.id)?;
        ctx.queue.set_bytes_done(item.id, now_fp.size)?;
        reset(tracker, now_fp.size);
    }
    ctx.queue.clear_resume_state(item.id)?;
    Ok(Outcome::Done)
}

/// Sends the chunks the queue has no acknowledgement for, `session.chunk_concurrency` at a
/// time, each with its own retries.
async fn send_missing_chunks(
    ctx: &JobContext,
    item: &TransferItem,
    tracker: &Arc<Mutex<ProgressTracker>>,
    session: &UploadSession,
    now_fp: Fingerprint,
) -> Result<()> {
    let plan = ChunkPlan::new(now_fp.size, session.chunk_size);
    let acked = ctx.queue.acked_chunks(item.id)?;
    reset(tracker, plan.acked_bytes(&acked));
    ctx.queue
        .set_bytes_done(item.id, plan.acked_bytes(&acked))?;

    let key = session
        .encryption
        .as_ref()
        .map(|e| AesCtrKey::new(e.key, e.iv));
    let concurrency = session.chunk_concurrency.max(1) as usize;
    let session_ref = session;
    let path = &item.local_path;
    // The whole file in one request (relay policies, Upyun): never hold it in memory. Under a
    // bandwidth limit every chunk is streamed too, so the limit paces the bytes on the wire
    // block by block instead of letting a whole chunk through at once.
    let stream_whole = (session.chunk_size == 0 && now_fp.size > STREAM_THRESHOLD)
        || ctx.upload_limiter.rate() > 0;
    let result = futures::stream::iter(plan.missing(&acked).collect::<Vec<_>>())
        // Reading (and encrypting) runs on the blocking pool as soon as it is spawned, so with
        // a window of two the next chunk is prepared while the current one is on the wire:
        // at most `concurrency` chunks being sent plus one ready or being read. A streamed
        // whole file is read block by block while it is sent instead.
        .map(|index| {
            let key = key.clone();
            let range = plan.range(index);
            let len = range.end - range.start;
            let streamed = stream_whole.then(|| Arc::new(AtomicU64::new(0)));
            let read = if let Some(counted) = &streamed {
                let slice = FileSlice::new(path.clone(), range.start, len, now_fp)
                    .with_key(key)
                    .with_limiter(ctx.upload_limiter.clone())
                    .with_progress(stream_progress(tracker.clone(), counted.clone()));
                Err(ChunkData::File(slice))
            } else {
                let path = path.clone();
                Ok(tokio::task::spawn_blocking(move || {
                    read_chunk(&path, range.start, len, now_fp, key)
                }))
            };
            async move {
                let data = match read {
                    Err(streamed) => streamed,
                    Ok(read) => ChunkData::Memory(
                        read.await
                            .map_err(|e| Error::io(format!("Reader task failed: {e}")))??,
                    ),
                };
                Ok::<_, Error>((index, data, streamed))
            }
        })
        .buffered(2)
        .map_ok(|(index, data, streamed)| async move {
            // The chunk may have been read a while ago: a file changed since must not reach
            // the server (the last chunk completes the upload).
            if local_fingerprint(path)? != now_fp {
                return Err(local_changed(path));
            }
            let receipt = send_chunk(ctx, session_ref, index, data).await?;
            ctx.queue.ack_chunk_with_receipt(item.id, index, &receipt)?;
            let mut t = tracker.lock().expect("tracker poisoned");
            // A streamed body counted its bytes as they were read.
            let counted = streamed.map_or(0, |c| c.load(Ordering::SeqCst));
            t.add(plan.len(index).saturating_sub(counted));
            ctx.queue.set_bytes_done(item.id, t.bytes_done())?;
            Ok::<_, Error>(())
        })
        .try_buffer_unordered(concurrency)
        .try_collect::<()>()
        .await;
    result?;
    Ok(())
}

/// Progress of a streamed whole-file body: bytes count as they are read for sending, and a
/// retried request, which reads from the start again, takes back what the failed one counted.
fn stream_progress(
    tracker: Arc<Mutex<ProgressTracker>>,
    counted: Arc<AtomicU64>,
) -> crate::provider::SliceProgress {
    Arc::new(move |pos| {
        let prev = counted.swap(pos, Ordering::SeqCst);
        let mut t = tracker.lock().expect("tracker poisoned");
        if pos >= prev {
            t.add(pos - prev);
        } else {
            let done = t.bytes_done();
            t.reset(done.saturating_sub(prev - pos));
        }
    })
}

/// Creates the upload session, applying the conflict policy before any byte is sent.
/// `None` = skipped because the destination exists and the policy says skip.
async fn create_session(
    ctx: &JobContext,
    item: &TransferItem,
    fp: Fingerprint,
    tracker: &Arc<Mutex<ProgressTracker>>,
) -> Result<Option<UploadSession>> {
    let md5 = if ctx.provider.capabilities().upload_needs_md5 {
        Some(content_md5(ctx, item, fp, tracker).await?)
    } else {
        None
    };
    let mut name = item.name.clone();
    let parent = RemoteRef::new(item.remote.clone());
    for _ in 0..3 {
        let req = UploadRequest {
            parent: parent.clone(),
            name: name.clone(),
            size: fp.size,
            modified_ms: Some(fp.mtime_ms),
            mime: None,
            overwrite: item.conflict == ConflictPolicy::Overwrite,
            want_client_encryption: ctx.want_encryption,
            keep_both: item.conflict == ConflictPolicy::KeepBoth,
            md5: md5.clone(),
        };
        match ctx
            .retry
            .run(&ctx.cancel, |_| ctx.provider.begin_upload(&req))
            .await
        {
            Ok(session) => {
                if name != item.name {
                    ctx.queue.set_name(item.id, &name)?;
                }
                // Fingerprint first: a crash right after storing the session must still detect
                // a changed file.
                ctx.queue.set_fingerprint(item.id, Some(fp))?;
                ctx.queue.set_session(item.id, Some(&session))?;
                return Ok(Some(session));
            }
            Err(e) if e.kind() == ErrorKind::AlreadyExists => match item.conflict {
                ConflictPolicy::Skip => return Ok(None),
                ConflictPolicy::KeepBoth => {
                    let taken = super::conflict::names_in(ctx.provider.as_ref(), &parent).await?;
                    name = keep_both_name(&item.name, &taken);
                }
                _ => {
                    return Err(Error::with_message(
                        ErrorKind::AlreadyExists,
                        format!("\"{name}\" already exists in the destination folder."),
                    ));
                }
            },
            Err(e) => return Err(e),
        }
    }
    Err(Error::with_message(
        ErrorKind::AlreadyExists,
        format!("No free name found for \"{}\".", item.name),
    ))
}

/// The MD5 of the item's file as it is now (`fp`): from the queue's cache when this exact
/// file was hashed before (a retry, a resume, a second upload), otherwise read in full in the
/// "checking" phase, then cached.
async fn content_md5(
    ctx: &JobContext,
    item: &TransferItem,
    fp: Fingerprint,
    tracker: &Arc<Mutex<ProgressTracker>>,
) -> Result<String> {
    let path = &item.local_path;
    if let Some(md5) = ctx.queue.cached_md5(path, fp)? {
        return Ok(md5);
    }
    ctx.hash_passes.fetch_add(1, Ordering::Relaxed);
    tracker
        .lock()
        .expect("tracker poisoned")
        .set_phase(TransferPhase::Checking);
    let t = tracker.clone();
    let result = md5_file(path.clone(), fp, ctx.cancel.clone(), move |n| {
        t.lock().expect("tracker poisoned").checked(n)
    })
    .await;
    tracker
        .lock()
        .expect("tracker poisoned")
        .set_phase(TransferPhase::Transfer);
    let md5 = result?;
    ctx.queue.cache_md5(path, fp, &md5)?;
    Ok(md5)
}

/// Sends one prepared chunk, with per-request retries. A streamed chunk waits for the
/// bandwidth limiter block by block as it is read; one in memory waits once for all of it.
async fn send_chunk(
    ctx: &JobContext,
    session: &UploadSession,
    index: u64,
    data: ChunkData,
) -> Result<ChunkReceipt> {
    if let ChunkData::Memory(b) = &data {
        ctx.upload_limiter.acquire(b.len() as u64).await;
    }
    ctx.retry
        .run(&ctx.cancel, |_| {
            ctx.provider.upload_chunk(session, index, data.clone())
        })
        .await
}

/// Reads exactly `len` bytes at `offset` and encrypts them at their file offset (blocking;
/// only this chunk is ever in memory).
fn read_chunk(
    path: &Path,
    offset: u64,
    len: u64,
    fp: Fingerprint,
    key: Option<AesCtrKey>,
) -> Result<Bytes> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("Cannot open {}: {e}", path.display())))?;
    if Fingerprint::of(&f.metadata()?) != fp {
        return Err(local_changed(path));
    }
    f.seek(SeekFrom::Start(offset))?;
    let mut buf = vec![0u8; len as usize];
    f.read_exact(&mut buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            local_changed(path)
        } else {
            Error::io(format!("Cannot read {}: {e}", path.display()))
        }
    })?;
    if let Some(key) = key {
        key.apply_at(offset, &mut buf);
    }
    Ok(Bytes::from(buf))
}
