//! The scheduler: runs queued items with bounded parallelism, and the controls the desktop app
//! and the CLI use (enqueue, plan, pause, resume, cancel, retry, limits, events).

use super::bandwidth::BandwidthLimiter;
use super::conflict::{self, Conflict};
use super::download::{OpenPart, open_file_part, part_path};
use super::item::{
    ConflictPolicy, Direction, ItemId, ItemKind, ItemState, NewItem, Progress, TransferItem,
    TransferPhase,
};
use super::job::{JobContext, Outcome, prepare_folder};
use super::progress::{EngineEvent, ProgressTracker, TransferEvent};
use super::queue::{Interrupted, TransferQueue};
use super::retry::RetryPolicy;
use super::safe_path::sanitize_component;
use super::{download, upload};
use crate::error::{ErrorKind, Result};
use crate::provider::{Entry, FileVersion, Provider, RemoteRef};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Files up to this size go in one request each, so their time is mostly round trips.
pub const SMALL_FILE: u64 = 1 << 20;

/// Small files one slot of `parallel_files` holds: enough in flight at the default three
/// slots (48) to hide two round trips per file on a 40 ms line, and at most 16 MiB of
/// chunks per slot in memory.
pub const SMALL_PER_SLOT: usize = 16;

/// Slot units an item takes: a slot is one large file (or folder) or [`SMALL_PER_SLOT`]
/// small files.
fn slot_units(item: &TransferItem) -> usize {
    if item.kind == ItemKind::File && item.size <= SMALL_FILE {
        1
    } else {
        SMALL_PER_SLOT
    }
}

/// Tunables of the engine. `parallel_files` and the limits can also change while running.
#[derive(Clone, Debug)]
pub struct EngineConfig {
    /// Files transferred at the same time; each slot holds one large file or up to
    /// [`SMALL_PER_SLOT`] small ones (see [`SMALL_FILE`]).
    pub parallel_files: usize,
    /// Upload limit in bytes per second (0 = unlimited).
    pub upload_limit: u64,
    /// Download limit in bytes per second (0 = unlimited).
    pub download_limit: u64,
    /// Per-request retry policy.
    pub retry: RetryPolicy,
    /// Ask for client-side encryption where the storage policy supports it.
    pub want_client_encryption: bool,
    /// Bytes per ranged download request (and resume granularity).
    pub download_chunk_size: u64,
    /// Connections per large download.
    pub download_connections: usize,
    /// Files at least this large are downloaded over several connections.
    pub multi_connection_threshold: u64,
    /// Minimum time between two byte-progress events of one item.
    pub progress_interval: Duration,
    /// What happens at start to transfers whose process was interrupted.
    pub interrupted: Interrupted,
    /// The proxy of transfers to storage hosts (the account's, set by the hub).
    pub proxy: crate::net::proxy::ProxyConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            parallel_files: 3,
            upload_limit: 0,
            download_limit: 0,
            retry: RetryPolicy::default(),
            want_client_encryption: true,
            download_chunk_size: 4 << 20,
            download_connections: 4,
            multi_connection_threshold: 32 << 20,
            progress_interval: Duration::from_millis(250),
            interrupted: Interrupted::Requeue,
            proxy: crate::net::proxy::ProxyConfig::System,
        }
    }
}

/// Which items a control applies to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// Every item in the queue.
    All,
    /// These items (a folder item includes its files).
    Ids(Vec<ItemId>),
}

struct RunningJob {
    /// Share of the slots it takes: [`SMALL_PER_SLOT`] for a large file or a folder, 1 for a
    /// small file.
    units: usize,
    cancel: CancellationToken,
    /// Why the job was stopped: `Paused`, `Cancelled`, or `None` for engine shutdown.
    stop: Arc<Mutex<Option<ItemState>>>,
}

struct Inner {
    queue: Arc<TransferQueue>,
    base: JobContext,
    parallel: AtomicUsize,
    progress_interval: Duration,
    events: broadcast::Sender<EngineEvent>,
    wake: Notify,
    running: Mutex<HashMap<ItemId, RunningJob>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    interrupted: Interrupted,
    /// When the queue was last checked for transfers of owners that died since.
    last_settle: Mutex<std::time::Instant>,
}

/// The transfer engine. Dropping it stops all work; unfinished items resume from the same
/// database the next time an engine is created on it.
pub struct TransferEngine {
    inner: Arc<Inner>,
    scheduler: JoinHandle<()>,
}

impl Drop for TransferEngine {
    fn drop(&mut self) {
        self.scheduler.abort();
        for t in self.inner.tasks.lock().expect("tasks poisoned").drain(..) {
            t.abort();
        }
        // The aborted jobs may hold the queue a moment longer; their items are interrupted
        // now, so the next engine on this database resumes them at once.
        let _ = self.inner.queue.release_running();
    }
}

impl TransferEngine {
    /// Starts an engine on `queue`; interrupted items come back and resume.
    pub fn new(
        provider: Arc<dyn Provider>,
        queue: Arc<TransferQueue>,
        config: EngineConfig,
    ) -> Result<Self> {
        Self::with_part_opener(provider, queue, config, open_file_part())
    }

    /// Like [`TransferEngine::new`] with a custom part-file opener (tests inject disk errors).
    pub fn with_part_opener(
        provider: Arc<dyn Provider>,
        queue: Arc<TransferQueue>,
        config: EngineConfig,
        open_part: OpenPart,
    ) -> Result<Self> {
        queue.settle_interrupted(config.interrupted)?;
        let builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(120));
        let http = crate::net::proxy::apply(builder, &config.proxy)?
            .build()
            .map_err(|e| crate::error::Error::io(format!("Cannot build the HTTP client: {e}")))?;
        let base = JobContext {
            provider,
            queue: queue.clone(),
            http,
            retry: config.retry.clone(),
            upload_limiter: Arc::new(BandwidthLimiter::new(config.upload_limit)),
            download_limiter: Arc::new(BandwidthLimiter::new(config.download_limit)),
            cancel: CancellationToken::new(),
            want_encryption: config.want_client_encryption,
            download_chunk_size: config.download_chunk_size.max(1),
            download_connections: config.download_connections.max(1),
            multi_connection_threshold: config.multi_connection_threshold,
            open_part,
            hash_passes: Arc::new(AtomicU64::new(0)),
        };
        let (events, _) = broadcast::channel(1024);
        let inner = Arc::new(Inner {
            queue,
            base,
            parallel: AtomicUsize::new(config.parallel_files.max(1)),
            progress_interval: config.progress_interval,
            events,
            wake: Notify::new(),
            running: Mutex::new(HashMap::new()),
            tasks: Mutex::new(Vec::new()),
            interrupted: config.interrupted,
            last_settle: Mutex::new(std::time::Instant::now()),
        });
        let scheduler = tokio::spawn(scheduler_loop(inner.clone()));
        Ok(Self { inner, scheduler })
    }

    /// The queue this engine works on.
    pub fn queue(&self) -> &Arc<TransferQueue> {
        &self.inner.queue
    }

    /// How many files this engine has read through to hash them (uploads to servers that want
    /// the MD5 first); a hash found in the queue's cache does not count.
    pub fn hash_passes(&self) -> u64 {
        self.inner.base.hash_passes.load(Ordering::Relaxed)
    }

    /// Progress and state events for every item.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.inner.events.subscribe()
    }

    /// All items, oldest first.
    pub fn list(&self) -> Result<Vec<TransferItem>> {
        self.inner.queue.list()
    }

    /// One item and everything below it (see [`TransferQueue::subtree`]).
    pub fn subtree(&self, id: ItemId) -> Result<Vec<TransferItem>> {
        self.inner.queue.subtree(id)
    }

    /// Conflicts an upload of `sources` into `dest` would meet, found by listing `dest` once.
    pub async fn plan_upload(
        &self,
        sources: &[PathBuf],
        dest: &RemoteRef,
    ) -> Result<Vec<Conflict>> {
        conflict::plan_upload(self.inner.base.provider.as_ref(), sources, dest).await
    }

    /// Conflicts a download of `sources` into `dest_dir` would meet.
    pub fn plan_download(&self, sources: &[Entry], dest_dir: &Path) -> Vec<Conflict> {
        conflict::plan_download(sources, dest_dir)
    }

    /// Queues an upload of a local file or folder into the remote folder `dest`.
    pub fn enqueue_upload(
        &self,
        local: &Path,
        dest: &RemoteRef,
        conflict: ConflictPolicy,
    ) -> Result<ItemId> {
        let meta = std::fs::metadata(local).map_err(|e| {
            crate::error::Error::invalid(format!("Cannot read {}: {e}", local.display()))
        })?;
        let mut item = NewItem::upload_file(local, dest.as_str(), meta.len(), conflict);
        if meta.is_dir() {
            item.kind = ItemKind::Folder;
            item.size = 0;
        }
        let id = self.inner.queue.add(&item)?;
        self.inner.emit_item(id);
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Queues a download of a remote file or folder into the local folder `dest_dir`.
    pub fn enqueue_download(
        &self,
        entry: &Entry,
        dest_dir: &Path,
        conflict: ConflictPolicy,
    ) -> Result<ItemId> {
        // A remote name is one component: separators inside it never create folders.
        let local = dest_dir.join(sanitize_component(&entry.name));
        let mut item = NewItem::download_file(entry.remote.as_str(), &local, entry.size, conflict);
        // The server's name, which the local one may differ from (see `local_name_differs`).
        item.name = entry.name.clone();
        if entry.is_folder() {
            item.kind = ItemKind::Folder;
            item.size = 0;
        }
        let id = self.inner.queue.add(&item)?;
        self.inner.emit_item(id);
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Queues a download of one stored version of `file` (a file entry) to the local path
    /// `dest` (the caller names it, so it does not clash with the current content's name).
    pub fn enqueue_version_download(
        &self,
        file: &Entry,
        version: &FileVersion,
        dest: &Path,
        conflict: ConflictPolicy,
    ) -> Result<ItemId> {
        let remote = super::version_ref::join(&file.remote, &version.id);
        let mut item = NewItem::download_file(&remote, dest, version.size, conflict);
        item.name = file.name.clone();
        let id = self.inner.queue.add(&item)?;
        self.inner.emit_item(id);
        self.inner.wake.notify_one();
        Ok(id)
    }

    /// Changes how many files run at once (takes effect as slots free up).
    pub fn set_parallel_files(&self, n: usize) {
        self.inner.parallel.store(n.max(1), Ordering::Relaxed);
        self.inner.wake.notify_one();
    }

    /// Changes the global upload limit (bytes/s, 0 = unlimited) while running.
    pub fn set_upload_limit(&self, bytes_per_sec: u64) {
        self.inner.base.upload_limiter.set_rate(bytes_per_sec);
    }

    /// Changes the global download limit (bytes/s, 0 = unlimited) while running.
    pub fn set_download_limit(&self, bytes_per_sec: u64) {
        self.inner.base.download_limiter.set_rate(bytes_per_sec);
    }

    /// Pauses items: running ones stop after their in-flight requests, keeping their progress.
    pub async fn pause(&self, sel: &Selection) -> Result<()> {
        let moved = match sel {
            Selection::All => {
                self.inner.stop_all_running(ItemState::Paused);
                let moved = self
                    .inner
                    .queue
                    .transition_all(ItemState::Queued, ItemState::Paused)?;
                // Started by the scheduler in the freed slots before the update: stop them too.
                self.inner.stop_all_running(ItemState::Paused);
                moved
            }
            Selection::Ids(_) => self.pause_some(sel)?,
        };
        let parents = self.inner.emit_states(moved, ItemState::Paused);
        // Folders whose files were all waiting are paused now; running files update theirs
        // as they stop.
        for parent in parents {
            self.inner.queue.refresh_folder(parent)?;
            self.inner.emit_item(parent);
        }
        Ok(())
    }

    /// [`TransferEngine::pause`] of chosen items; returns the waiting ones it moved, with
    /// their folders.
    fn pause_some(&self, sel: &Selection) -> Result<Vec<(ItemId, Option<ItemId>)>> {
        let waiting: Vec<(ItemId, Option<ItemId>)> = self
            .inner
            .files_of(sel)?
            .into_iter()
            .filter(|item| {
                !self.inner.stop_running(item.id, ItemState::Paused)
                    && item.state == ItemState::Queued
            })
            .map(|i| (i.id, i.parent_id))
            .collect();
        let moved = self
            .inner
            .transition_chosen(&waiting, ItemState::Queued, ItemState::Paused)?;
        // The running files stopped above freed their slots, and the scheduler may have
        // started waiting ones before the transaction: stop those too (the scheduler claims
        // and registers a job under the lock `stop_running` takes, so none is missed).
        if moved.len() < waiting.len() {
            let moved: std::collections::HashSet<ItemId> = moved.iter().map(|m| m.0).collect();
            for (id, _) in waiting.iter().filter(|(id, _)| !moved.contains(id)) {
                self.inner.stop_running(*id, ItemState::Paused);
            }
        }
        Ok(moved)
    }

    /// Resumes paused items.
    pub async fn resume(&self, sel: &Selection) -> Result<()> {
        let moved = match sel {
            Selection::All => self
                .inner
                .queue
                .transition_all(ItemState::Paused, ItemState::Queued)?,
            Selection::Ids(_) => {
                let paused: Vec<(ItemId, Option<ItemId>)> = self
                    .inner
                    .files_of(sel)?
                    .into_iter()
                    .filter(|i| i.state == ItemState::Paused)
                    .map(|i| (i.id, i.parent_id))
                    .collect();
                self.inner
                    .transition_chosen(&paused, ItemState::Paused, ItemState::Queued)?
            }
        };
        let parents = self.inner.emit_states(moved, ItemState::Queued);
        // Their folders were paused with them: they run again, so their files can be picked.
        for parent in parents {
            if self.inner.queue.get(parent)?.state == ItemState::Paused {
                self.inner.queue.transition(parent, ItemState::Running)?;
                self.inner.emit_item(parent);
            }
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Cancels items: server upload sessions are cancelled and partial downloads deleted.
    pub async fn cancel(&self, sel: &Selection) -> Result<()> {
        for item in self.inner.files_of(sel)? {
            // A failed upload still holds its server session (kept so Retry can resume):
            // cancelling is what finally abandons it, so it is cleaned up like a paused one.
            if self.inner.stop_running(item.id, ItemState::Cancelled)
                || matches!(item.state, ItemState::Completed | ItemState::Cancelled)
            {
                continue;
            }
            // Its job may have ended since the list was read: a file that just finished stays
            // done (and does not fail the whole "Cancel all").
            let now = self.inner.queue.get(item.id)?;
            if matches!(now.state, ItemState::Completed | ItemState::Cancelled) {
                continue;
            }
            self.inner.clean_up(&now).await;
            if let Err(e) = self.inner.queue.transition(item.id, ItemState::Cancelled) {
                if self.inner.queue.get(item.id)?.state == ItemState::Completed {
                    continue;
                }
                return Err(e);
            }
            // Started by the scheduler since the list was read: stop that job too.
            self.inner.stop_running(item.id, ItemState::Cancelled);
            self.inner.emit_item(item.id);
        }
        for folder in self.inner.folders_of(sel)? {
            if !folder.state.is_finished() {
                self.inner
                    .queue
                    .transition(folder.id, ItemState::Cancelled)?;
                self.inner.emit_item(folder.id);
            }
        }
        Ok(())
    }

    /// Queues failed or cancelled items again; uploads continue from acknowledged chunks where
    /// their session is still alive.
    pub async fn retry(&self, sel: &Selection) -> Result<()> {
        for folder in self.inner.folders_of(sel)? {
            if matches!(folder.state, ItemState::Failed | ItemState::Cancelled) {
                let to = if self.inner.queue.is_prepared(folder.id)? {
                    ItemState::Running
                } else {
                    ItemState::Queued
                };
                self.inner.queue.transition(folder.id, to)?;
                self.inner.emit_item(folder.id);
            }
        }
        for item in self.inner.files_of(sel)? {
            if matches!(item.state, ItemState::Failed | ItemState::Cancelled) {
                self.inner.queue.transition(item.id, ItemState::Queued)?;
                self.inner.emit_item(item.id);
            }
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Waits until nothing is running and nothing runnable is queued.
    pub async fn wait_idle(&self) -> Result<()> {
        loop {
            let busy = !self
                .inner
                .running
                .lock()
                .expect("running poisoned")
                .is_empty();
            if !busy && self.inner.queue.runnable(1)?.is_empty() {
                // A job may have finished between the two checks and queued nothing new.
                if self
                    .inner
                    .running
                    .lock()
                    .expect("running poisoned")
                    .is_empty()
                {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops all running jobs without changing their state (they resume next start).
    pub async fn shutdown(self) {
        self.scheduler.abort();
        let ids: Vec<ItemId> = self
            .inner
            .running
            .lock()
            .expect("running poisoned")
            .keys()
            .copied()
            .collect();
        for id in ids {
            if let Some(job) = self
                .inner
                .running
                .lock()
                .expect("running poisoned")
                .get(&id)
            {
                job.cancel.cancel();
            }
        }
        let tasks: Vec<_> = self
            .inner
            .tasks
            .lock()
            .expect("tasks poisoned")
            .drain(..)
            .collect();
        for t in tasks {
            let _ = t.await;
        }
    }
}

impl Inner {
    fn event_for(&self, item: &TransferItem) -> TransferEvent {
        TransferEvent {
            id: item.id,
            parent_id: item.parent_id,
            direction: item.direction,
            name: item.name.clone(),
            state: item.state,
            progress: Progress {
                bytes_done: item.bytes_done,
                total: item.size,
                ..Default::default()
            },
            error: item.error.clone(),
            phase: if item.instant {
                TransferPhase::Instant
            } else {
                TransferPhase::Transfer
            },
            checked_bytes: 0,
        }
    }

    fn emit_item(&self, id: ItemId) {
        if let Ok(item) = self.queue.get(id) {
            let _ = self.events.send(EngineEvent::Item(self.event_for(&item)));
        }
    }

    /// Moves the `items` (with their folders) still in `from` to `to` in one transaction;
    /// returns those that moved, in the same order.
    fn transition_chosen(
        &self,
        items: &[(ItemId, Option<ItemId>)],
        from: ItemState,
        to: ItemState,
    ) -> Result<Vec<(ItemId, Option<ItemId>)>> {
        let ids: Vec<ItemId> = items.iter().map(|(id, _)| *id).collect();
        let moved: std::collections::HashSet<ItemId> = self
            .queue
            .transition_many(&ids, from, to)?
            .into_iter()
            .collect();
        Ok(items
            .iter()
            .filter(|(id, _)| moved.contains(id))
            .copied()
            .collect())
    }

    /// One event for items (with their folders) that only changed state, nothing for none;
    /// returns their folders.
    fn emit_states(
        &self,
        moved: Vec<(ItemId, Option<ItemId>)>,
        state: ItemState,
    ) -> std::collections::BTreeSet<ItemId> {
        let parents = moved.iter().filter_map(|(_, parent)| *parent).collect();
        if !moved.is_empty() {
            let _ = self.events.send(EngineEvent::States {
                ids: moved.into_iter().map(|(id, _)| id).collect(),
                state,
            });
        }
        parents
    }

    /// Selected file items (folders expand to their files).
    fn files_of(&self, sel: &Selection) -> Result<Vec<TransferItem>> {
        let all = self.queue.list()?;
        // A set: "select all, then pause" passes every id, and a list made that quadratic.
        let chosen: std::collections::HashSet<ItemId> = match sel {
            Selection::All => Default::default(),
            Selection::Ids(ids) => ids.iter().copied().collect(),
        };
        let picked = |i: &TransferItem| match sel {
            Selection::All => true,
            Selection::Ids(_) => {
                chosen.contains(&i.id) || i.parent_id.is_some_and(|p| chosen.contains(&p))
            }
        };
        Ok(all
            .into_iter()
            .filter(|i| {
                picked(i)
                    && (i.kind == ItemKind::File || !self.queue.is_prepared(i.id).unwrap_or(true))
            })
            .collect())
    }

    fn folders_of(&self, sel: &Selection) -> Result<Vec<TransferItem>> {
        Ok(self
            .queue
            .list()?
            .into_iter()
            .filter(|i| i.kind == ItemKind::Folder)
            .filter(|i| match sel {
                Selection::All => true,
                Selection::Ids(ids) => ids.contains(&i.id),
            })
            .collect())
    }

    /// Signals every running job not stopping yet to stop for `reason` (a file being
    /// cancelled stays cancelled).
    fn stop_all_running(&self, reason: ItemState) {
        for job in self.running.lock().expect("running poisoned").values() {
            let mut stop = job.stop.lock().expect("stop poisoned");
            if stop.is_none() {
                *stop = Some(reason);
                job.cancel.cancel();
            }
        }
    }

    /// Signals a running job to stop for `reason`; false if it is not running.
    fn stop_running(&self, id: ItemId, reason: ItemState) -> bool {
        let running = self.running.lock().expect("running poisoned");
        match running.get(&id) {
            Some(job) => {
                *job.stop.lock().expect("stop poisoned") = Some(reason);
                job.cancel.cancel();
                true
            }
            None => false,
        }
    }

    /// Removes what a cancelled item leaves behind: the server session or the part file.
    async fn clean_up(&self, item: &TransferItem) {
        match item.direction {
            Direction::Upload => upload::discard_session(&self.base, item).await,
            Direction::Download => {
                let current = self
                    .queue
                    .get(item.id)
                    .map(|i| i.local_path)
                    .unwrap_or(item.local_path.clone());
                let _ = std::fs::remove_file(part_path(&current));
                let _ = self.queue.reset_transfer_state(item.id);
            }
        }
    }

    /// Stops running jobs whose item another process paused or cancelled in the database
    /// (`cirrus transfers pause` in a second terminal), for the reason it gave.
    fn follow_external_stops(&self) -> Result<()> {
        let ids: Vec<ItemId> = {
            let running = self.running.lock().expect("running poisoned");
            running
                .iter()
                .filter(|(_, job)| job.stop.lock().expect("stop poisoned").is_none())
                .map(|(id, _)| *id)
                .collect()
        };
        if ids.is_empty() {
            return Ok(());
        }
        for (id, state) in self.queue.states(&ids)? {
            if matches!(state, ItemState::Paused | ItemState::Cancelled) {
                tracing::debug!(item = id, ?state, "stopped from another process");
                self.stop_running(id, state);
                self.emit_item(id);
            }
        }
        Ok(())
    }

    /// At most once a second: transfers left running by an owner that has died since (an
    /// engine of this process dropped a moment ago, another process killed) are settled.
    fn settle_dead_owners(&self) -> Result<()> {
        {
            let mut last = self.last_settle.lock().expect("settle poisoned");
            if last.elapsed() < Duration::from_secs(1) {
                return Ok(());
            }
            *last = std::time::Instant::now();
        }
        if self.queue.settle_dead_owners(self.interrupted)? > 0 {
            self.wake.notify_one();
        }
        Ok(())
    }

    fn fill_slots(self: &Arc<Self>) -> Result<()> {
        let capacity = self.parallel.load(Ordering::Relaxed) * SMALL_PER_SLOT;
        let mut running = self.running.lock().expect("running poisoned");
        let mut used: usize = running.values().map(|j| j.units).sum();
        if used >= capacity {
            return Ok(());
        }
        for item in self.queue.runnable(capacity - used + running.len())? {
            let units = slot_units(&item);
            // In queue order: a large file waits for room rather than being overtaken for good.
            if used + units > capacity {
                break;
            }
            // Another process working on the same queue may take it first.
            if running.contains_key(&item.id) || !self.queue.claim(item.id)? {
                continue;
            }
            used += units;
            let job = RunningJob {
                units,
                cancel: self.base.cancel.child_token(),
                stop: Arc::new(Mutex::new(None)),
            };
            let ctx = JobContext {
                cancel: job.cancel.clone(),
                ..self.base.clone()
            };
            let stop = job.stop.clone();
            running.insert(item.id, job);
            let inner = self.clone();
            let handle = tokio::spawn(async move { inner.run_item(ctx, item.id, stop).await });
            let mut tasks = self.tasks.lock().expect("tasks poisoned");
            tasks.retain(|t| !t.is_finished());
            tasks.push(handle);
        }
        Ok(())
    }

    async fn run_item(
        self: Arc<Self>,
        ctx: JobContext,
        id: ItemId,
        stop: Arc<Mutex<Option<ItemState>>>,
    ) {
        let item = match self.queue.get(id) {
            Ok(i) => i,
            Err(_) => {
                self.running.lock().expect("running poisoned").remove(&id);
                return;
            }
        };
        let tracker = Arc::new(Mutex::new(ProgressTracker::new(
            self.events.clone(),
            self.progress_interval,
            self.event_for(&item),
        )));
        tracker
            .lock()
            .expect("tracker poisoned")
            .state(ItemState::Running, None);
        let result = match (item.kind, item.direction) {
            (ItemKind::Folder, _) => prepare_folder(&ctx, &item).await.map(|r| match r {
                Some(()) => None,
                None => Some(Outcome::Skipped),
            }),
            (ItemKind::File, Direction::Upload) => {
                upload::run_upload(&ctx, &item, &tracker).await.map(Some)
            }
            (ItemKind::File, Direction::Download) => download::run_download(&ctx, &item, &tracker)
                .await
                .map(Some),
        };
        let reason = *stop.lock().expect("stop poisoned");
        let outcome = match result {
            // A prepared folder stays running while its files go.
            Ok(None) => Ok(()),
            Ok(Some(Outcome::Done)) => self.queue.transition(id, ItemState::Completed).map(|_| ()),
            Ok(Some(Outcome::Skipped)) => self.queue.skip(id),
            Err(e) if e.kind() == ErrorKind::Cancelled => match reason {
                Some(ItemState::Paused) => self.queue.transition(id, ItemState::Paused).map(|_| ()),
                Some(ItemState::Cancelled) => {
                    self.clean_up(&item).await;
                    self.queue.transition(id, ItemState::Cancelled).map(|_| ())
                }
                // Engine shutdown: leave it running; the next engine requeues it.
                _ => Ok(()),
            },
            // Paused or cancelled from elsewhere while failing: the user's word stands, and
            // a resume tries again.
            Err(_)
                if matches!(
                    self.queue.get(id).map(|i| i.state),
                    Ok(ItemState::Paused | ItemState::Cancelled)
                ) =>
            {
                Ok(())
            }
            Err(e) => {
                tracing::warn!(item = id, error = %e, "transfer failed");
                self.queue.fail(id, &e)
            }
        };
        if let Err(e) = outcome {
            tracing::error!(item = id, error = %e, "could not record transfer state");
        }
        if let Ok(now) = self.queue.get(id) {
            let mut t = tracker.lock().expect("tracker poisoned");
            t.set_total(now.size);
            t.reset(now.bytes_done);
            t.end_phase(now.instant);
            t.state(now.state, now.error.clone());
        }
        if let Some(parent) = item.parent_id
            && self.queue.refresh_folder(parent).is_ok()
        {
            self.emit_item(parent);
        }
        self.running.lock().expect("running poisoned").remove(&id);
        self.wake.notify_one();
    }
}

async fn scheduler_loop(inner: Arc<Inner>) {
    loop {
        let notified = inner.wake.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if let Err(e) = inner
            .follow_external_stops()
            .and_then(|()| inner.settle_dead_owners())
            .and_then(|()| inner.fill_slots())
        {
            tracing::error!(error = %e, "transfer scheduler could not read the queue");
        }
        // Periodic wake-ups also pick up items queued by another process on the same DB.
        let _ = tokio::time::timeout(Duration::from_secs(1), notified).await;
    }
}
