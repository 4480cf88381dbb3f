//! One file download: conflict policy, ranged multi-connection fetch into a `.part` file that
//! survives restarts, size check and an atomic rename at the end.

use super::chunks::ChunkPlan;
use super::conflict::{keep_both_name, local_names};
use super::item::{ConflictPolicy, TransferItem};
use super::job::{JobContext, Outcome};
use super::progress::ProgressTracker;
use crate::error::{Error, ErrorKind, Result};
use futures::{StreamExt, TryStreamExt};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Random-access writer for the `.part` file; swapped out in tests to simulate a full disk.
pub trait PartWriter: Send + Sync {
    /// Writes `data` at absolute `offset`.
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()>;
    /// Flushes written data to disk (called before a chunk is recorded as done).
    fn sync(&self) -> io::Result<()>;
}

/// Opens (creating, never truncating) the part file at a path.
pub type OpenPart = Arc<dyn Fn(&Path) -> io::Result<Arc<dyn PartWriter>> + Send + Sync>;

/// The real part-file writer.
pub struct FilePartWriter(std::fs::File);

impl PartWriter for FilePartWriter {
    fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        #[cfg(unix)]
        {
            std::os::unix::fs::FileExt::write_all_at(&self.0, data, offset)
        }
        #[cfg(windows)]
        {
            let mut done = 0;
            while done < data.len() {
                done += std::os::windows::fs::FileExt::seek_write(
                    &self.0,
                    &data[done..],
                    offset + done as u64,
                )?;
            }
            Ok(())
        }
    }

    fn sync(&self) -> io::Result<()> {
        self.0.sync_data()
    }
}

/// The default [`OpenPart`]: a real file.
pub fn open_file_part() -> OpenPart {
    Arc::new(|path: &Path| {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        Ok(Arc::new(FilePartWriter(f)) as Arc<dyn PartWriter>)
    })
}

/// `dir/name` → `dir/name.part`.
pub fn part_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".part");
    dest.with_file_name(name)
}

fn write_error(path: &Path, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::StorageFull || e.raw_os_error() == Some(28) {
        Error::with_message(
            ErrorKind::Io,
            format!(
                "The disk is full while writing {}. Free some space and retry; the downloaded part is kept.",
                path.display()
            ),
        )
    } else {
        Error::io(format!("Cannot write {}: {e}", path.display()))
    }
}

fn http_error(e: reqwest::Error) -> Error {
    let kind = if e.is_timeout() {
        ErrorKind::Timeout
    } else {
        ErrorKind::Network
    };
    Error::with_message(kind, format!("Download failed: {e}"))
}

fn status_error(status: reqwest::StatusCode, retry_after: Option<&str>) -> Error {
    let code = status.as_u16();
    if code == 407 {
        return crate::net::proxy::auth_required();
    }
    let (kind, extra) = match code {
        429 => (
            ErrorKind::RateLimited,
            retry_after
                .map(|s| format!(" Retry-After: {s}"))
                .unwrap_or_default(),
        ),
        404 | 410 => (ErrorKind::NotFound, String::new()),
        401 | 403 => (ErrorKind::PermissionDenied, String::new()),
        500..=599 => (ErrorKind::Server, String::new()),
        _ => (ErrorKind::Protocol, String::new()),
    };
    Error::with_message(
        kind,
        format!("The download server answered HTTP {code}.{extra}"),
    )
    .with_http_status(code)
}

/// Downloads one file item.
pub(crate) async fn run_download(
    ctx: &JobContext,
    item: &TransferItem,
    tracker: &Mutex<ProgressTracker>,
) -> Result<Outcome> {
    let mut dest = item.local_path.clone();
    let dir = dest.parent().map(Path::to_path_buf).unwrap_or_default();
    std::fs::create_dir_all(&dir)?;
    let mut part = part_path(&dest);
    let resuming = part.exists();
    if !resuming && std::fs::symlink_metadata(&dest).is_ok() {
        match item.conflict {
            ConflictPolicy::Overwrite => {}
            ConflictPolicy::Skip => return Ok(Outcome::Skipped),
            ConflictPolicy::KeepBoth => {
                let name = dest
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                dest = dir.join(keep_both_name(&name, &local_names(&dir)));
                ctx.queue.set_local_path(item.id, &dest)?;
                part = part_path(&dest);
            }
            ConflictPolicy::Ask => {
                return Err(Error::with_message(
                    ErrorKind::AlreadyExists,
                    format!("{} already exists.", dest.display()),
                ));
            }
        }
    }
    if !part.exists() {
        // The part file is gone (or never existed): nothing acknowledged can be trusted.
        ctx.queue.reset_transfer_state(item.id)?;
    }

    let (remote, version) = super::version_ref::split(&item.remote);
    let size = item.size;
    let plan = ChunkPlan::new(size, ctx.download_chunk_size);
    let connections = if size >= ctx.multi_connection_threshold {
        ctx.download_connections.max(1)
    } else {
        1
    };
    let writer = (ctx.open_part)(&part).map_err(|e| write_error(&part, e))?;
    let mut url_refreshed = false;
    loop {
        // Signed URLs expire; a fresh one is asked for at every (re)start.
        let url = ctx
            .retry
            .run(&ctx.cancel, |_| async {
                match &version {
                    Some(v) => ctx.provider.version_download_url(&remote, v).await,
                    None => ctx.provider.download_url(&remote).await,
                }
            })
            .await?;
        let acked = ctx.queue.acked_chunks(item.id)?;
        tracker
            .lock()
            .expect("tracker poisoned")
            .reset(plan.acked_bytes(&acked));
        let unflushed = Unflushed::default();
        let result = futures::stream::iter(plan.missing(&acked).collect::<Vec<_>>())
            .map(|index| {
                let writer = writer.clone();
                let url = url.as_str();
                let part = part.as_path();
                let unflushed = &unflushed;
                async move {
                    let range = plan.range(index);
                    ctx.retry
                        .run(&ctx.cancel, |_| {
                            fetch_range(
                                ctx,
                                url,
                                range.clone(),
                                size,
                                writer.as_ref(),
                                part,
                                tracker,
                            )
                        })
                        .await?;
                    // Recorded at once, so a killed process loses at most the ranges in flight;
                    // the flush that makes them survive a power cut is batched.
                    let done = tracker.lock().expect("tracker poisoned").bytes_done();
                    ctx.queue.ack_chunks_unsynced(item.id, &[index], done)?;
                    if unflushed.add(range.end - range.start) {
                        unflushed.flush(ctx, item, &writer, part).await?;
                    }
                    Ok::<_, Error>(())
                }
            })
            .buffer_unordered(connections)
            .try_collect::<()>()
            .await;
        // On every stop (done, failed, paused, Ctrl-C) the ranges written so far are flushed.
        let flushed = unflushed.flush(ctx, item, &writer, &part).await;
        let result = result.and(flushed);
        match result {
            // 401/403 from the storage: the URL expired mid-download. Once is enough.
            Err(e) if e.kind() == ErrorKind::PermissionDenied && !url_refreshed => {
                url_refreshed = true;
            }
            other => {
                other?;
                break;
            }
        }
    }
    drop(writer);

    let written = std::fs::metadata(&part)?.len();
    if written != size {
        // Chunks are gone or the file was truncated: start over next time.
        ctx.queue.reset_transfer_state(item.id)?;
        let _ = std::fs::remove_file(&part);
        return Err(Error::protocol(format!(
            "Downloaded {written} bytes of {}, expected {size}.",
            item.name
        )));
    }
    #[cfg(windows)]
    if item.conflict == ConflictPolicy::Overwrite && dest.exists() {
        std::fs::remove_file(&dest)?;
    }
    std::fs::rename(&part, &dest)?;
    ctx.queue.clear_resume_state(item.id)?;
    Ok(Outcome::Done)
}

/// Flush the part file to disk at most once per this many downloaded bytes (and at every
/// stop): a flush per range would cost the download much of its speed. Ranges are recorded as
/// soon as they are written, marked unflushed until then (see `TransferQueue::mark_synced`).
const SYNC_EVERY_BYTES: u64 = 128 << 20;

/// Bytes written to the part file since it was last flushed.
#[derive(Default)]
struct Unflushed(Mutex<u64>);

impl Unflushed {
    /// Counts a written range; true when enough is pending to flush now.
    fn add(&self, len: u64) -> bool {
        let mut pending = self.0.lock().expect("unflushed poisoned");
        *pending += len;
        *pending >= SYNC_EVERY_BYTES
    }

    /// Flushes the part file, then marks the item's recorded ranges as durable.
    async fn flush(
        &self,
        ctx: &JobContext,
        item: &TransferItem,
        writer: &Arc<dyn PartWriter>,
        part: &Path,
    ) -> Result<()> {
        if std::mem::take(&mut *self.0.lock().expect("unflushed poisoned")) == 0 {
            return Ok(());
        }
        let w = writer.clone();
        tokio::task::spawn_blocking(move || w.sync())
            .await
            .map_err(|e| Error::io(format!("Flush task failed: {e}")))?
            .map_err(|e| write_error(part, e))?;
        ctx.queue.mark_synced(item.id)
    }
}

/// GETs `range` of `url` and writes it at its offset. A short body is a retryable network error.
async fn fetch_range(
    ctx: &JobContext,
    url: &str,
    range: std::ops::Range<u64>,
    total: u64,
    writer: &dyn PartWriter,
    part: &Path,
    tracker: &Mutex<ProgressTracker>,
) -> Result<()> {
    let want = range.end - range.start;
    let mut req = ctx.http.get(url);
    let whole = range.start == 0 && range.end == total;
    if !whole {
        req = req.header(
            reqwest::header::RANGE,
            format!("bytes={}-{}", range.start, range.end - 1),
        );
    }
    let resp = req.send().await.map_err(http_error)?;
    let status = resp.status();
    if !status.is_success() {
        let ra = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        return Err(status_error(status, ra.as_deref()));
    }
    if !whole && status != reqwest::StatusCode::PARTIAL_CONTENT {
        return Err(Error::protocol(
            "The download server ignored the Range request.",
        ));
    }
    if let Some(cr) = resp
        .headers()
        .get(reqwest::header::CONTENT_RANGE)
        .and_then(|v| v.to_str().ok())
        && let Some(t) = cr.rsplit('/').next().and_then(|t| t.parse::<u64>().ok())
        && t != total
    {
        return Err(Error::protocol(format!(
            "The remote file is {t} bytes now, expected {total}."
        )));
    }
    let mut offset = range.start;
    let mut body = resp.bytes_stream();
    let mut counted = 0u64;
    let result = async {
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(http_error)?;
            if offset + piece.len() as u64 > range.end {
                return Err(Error::protocol(
                    "The download server sent more bytes than requested.",
                ));
            }
            ctx.download_limiter.acquire(piece.len() as u64).await;
            writer
                .write_at(offset, &piece)
                .map_err(|e| write_error(part, e))?;
            offset += piece.len() as u64;
            counted += piece.len() as u64;
            tracker
                .lock()
                .expect("tracker poisoned")
                .add(piece.len() as u64);
        }
        if offset != range.end {
            return Err(Error::with_message(
                ErrorKind::Network,
                format!(
                    "The download stopped after {} of {want} bytes.",
                    offset - range.start
                ),
            ));
        }
        Ok(())
    }
    .await;
    if result.is_err() {
        // The retry re-fetches the whole chunk; do not count its bytes twice.
        let mut t = tracker.lock().expect("tracker poisoned");
        let done = t.bytes_done();
        t.reset(done - counted);
    }
    result
}
