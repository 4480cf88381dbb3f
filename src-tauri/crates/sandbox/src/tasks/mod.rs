//! Background tasks (§10): create/extract archives and remote downloads, run on tokio with a
//! configurable artificial step delay so clients can watch status, phases and progress.

pub mod archive;
pub mod download;
pub mod extract;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde_json::{Map, Value, json};
use tokio_util::sync::CancellationToken;

use crate::app::App;
use crate::crypto::EncryptionKey;
use crate::ids::Kind;
use crate::store::{Id, NodeKind, validate_name};
use crate::timefmt::go_time;
use crate::uri::{CrUri, Fs};

/// Task status strings of `ent/task`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskStatus {
    Queued,
    Processing,
    Suspending,
    Error,
    Canceled,
    Completed,
}

impl TaskStatus {
    /// Wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Queued => "queued",
            TaskStatus::Processing => "processing",
            TaskStatus::Suspending => "suspending",
            TaskStatus::Error => "error",
            TaskStatus::Canceled => "canceled",
            TaskStatus::Completed => "completed",
        }
    }

    /// Finished one way or another.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TaskStatus::Error | TaskStatus::Canceled | TaskStatus::Completed
        )
    }
}

/// Task types the sandbox runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskType {
    CreateArchive,
    ExtractArchive,
    RemoteDownload,
}

impl TaskType {
    /// Wire name (`queue.*TaskType`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::CreateArchive => "create_archive",
            TaskType::ExtractArchive => "extract_archive",
            TaskType::RemoteDownload => "remote_download",
        }
    }
}

/// One progress counter (`queue.Progress`).
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub total: i64,
    pub current: i64,
    pub identifier: String,
}

/// A task row plus its in-memory runtime state.
pub struct Task {
    pub id: Id,
    pub owner: Id,
    pub kind: TaskType,
    pub status: TaskStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub phase: String,
    /// Summary props (`src`, `src_multiple`, `src_str`, `dst`, `failed`, `download`).
    pub props: Map<String, Value>,
    pub error: Option<String>,
    /// Progress counters while running; emptied when the task finishes.
    pub progress: BTreeMap<String, Progress>,
    started: Option<Instant>,
    duration: Duration,
    /// Fired by cancel.
    pub cancel: CancellationToken,
}

/// Registry of every task and the step delay.
#[derive(Default)]
pub struct Tasks {
    map: Mutex<BTreeMap<Id, Task>>,
    step_delay_ms: AtomicU64,
}

/// Why a task stopped early.
pub enum Stop {
    /// Cancelled by the user.
    Canceled,
    /// Failed with a message.
    Failed(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::Failed(s)
    }
}

impl Tasks {
    /// A registry whose tasks pause `step_delay` between steps.
    pub fn new(step_delay: Duration) -> Self {
        let t = Self::default();
        t.set_step_delay(step_delay);
        t
    }

    /// Change the artificial delay between task steps.
    pub fn set_step_delay(&self, d: Duration) {
        self.step_delay_ms
            .store(d.as_millis() as u64, Ordering::Relaxed);
    }

    /// The artificial delay between task steps.
    pub fn step_delay(&self) -> Duration {
        Duration::from_millis(self.step_delay_ms.load(Ordering::Relaxed))
    }

    /// Lock the task map.
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<Id, Task>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run `f` on task `id` (no-op when missing); bumps `updated_at`.
    pub fn update<R>(&self, id: Id, f: impl FnOnce(&mut Task) -> R) -> Option<R> {
        let mut m = self.lock();
        let t = m.get_mut(&id)?;
        t.updated_at = Utc::now();
        Some(f(t))
    }

    /// Sleep one step; `Err(Canceled)` when the task was cancelled meanwhile.
    pub async fn step(&self, id: Id) -> Result<(), Stop> {
        let token = self
            .update(id, |t| t.cancel.clone())
            .ok_or(Stop::Canceled)?;
        tokio::select! {
            _ = token.cancelled() => Err(Stop::Canceled),
            _ = tokio::time::sleep(self.step_delay()) => Ok(()),
        }
    }

    /// Enter `status`/`phase`.
    pub fn set_phase(&self, id: Id, status: TaskStatus, phase: &str) {
        self.update(id, |t| {
            if t.started.is_none() && status == TaskStatus::Processing {
                t.started = Some(Instant::now());
            }
            t.status = status;
            t.phase = phase.to_string();
        });
    }

    /// Set (or replace) a progress counter.
    pub fn set_progress(&self, id: Id, key: &str, p: Progress) {
        self.update(id, |t| {
            t.progress.insert(key.to_string(), p);
        });
    }

    /// Add to a progress counter's `current`.
    pub fn advance(&self, id: Id, key: &str, by: i64) {
        self.update(id, |t| {
            if let Some(p) = t.progress.get_mut(key) {
                p.current += by;
            }
        });
    }

    /// Record the final outcome.
    pub fn finish(&self, id: Id, result: Result<(), Stop>) {
        self.update(id, |t| {
            t.status = match result {
                Ok(()) => TaskStatus::Completed,
                Err(Stop::Canceled) => TaskStatus::Canceled,
                Err(Stop::Failed(e)) => {
                    t.error = Some(e);
                    TaskStatus::Error
                }
            };
            if let Some(s) = t.started.take() {
                t.duration += s.elapsed();
            }
            t.progress.clear();
        });
    }
}

impl App {
    /// Register a queued task owned by `owner`; returns its id.
    pub fn new_task(&self, owner: Id, kind: TaskType, props: Map<String, Value>) -> Id {
        let id = self.store().new_id();
        let now = Utc::now();
        let phase = match kind {
            TaskType::CreateArchive => "not_started",
            _ => "",
        };
        self.tasks.lock().insert(
            id,
            Task {
                id,
                owner,
                kind,
                status: TaskStatus::Queued,
                created_at: now,
                updated_at: now,
                phase: phase.to_string(),
                props,
                error: None,
                progress: BTreeMap::new(),
                started: None,
                duration: Duration::ZERO,
                cancel: CancellationToken::new(),
            },
        );
        id
    }

    /// `TaskResponse` of task `id`.
    pub fn task_json(&self, t: &Task) -> Value {
        let mut v = json!({
            "created_at": go_time(t.created_at),
            "updated_at": go_time(t.updated_at),
            "id": self.ids.encode(Kind::Task, t.id),
            "status": t.status.as_str(),
            "type": t.kind.as_str(),
        });
        let mut summary = Map::new();
        if !t.phase.is_empty() {
            summary.insert("phase".into(), json!(t.phase));
        }
        if !t.props.is_empty() {
            summary.insert("props".into(), Value::Object(t.props.clone()));
        }
        v["summary"] = Value::Object(summary);
        if let Some(e) = &t.error {
            v["error"] = json!(e);
        }
        let ms = (t.duration + t.started.map_or(Duration::ZERO, |s| s.elapsed())).as_millis();
        if ms > 0 {
            v["duration"] = json!(ms as u64);
        }
        v
    }

    /// Plaintext content of a file's current version.
    pub async fn read_file(&self, file: Id) -> Result<Vec<u8>, String> {
        let (blob, size, key) = {
            let store = self.store();
            let n = store.nodes.get(&file).ok_or("file not found")?;
            match n.primary.and_then(|e| store.entities.get(&e)) {
                Some(e) => (e.blob.clone(), e.size, e.key.clone()),
                None => return Ok(Vec::new()),
            }
        };
        // Sources may live on any storage policy.
        let mut stream = self
            .blob_driver(&blob)
            .read_range(blob.clone(), 0, size)
            .await
            .map_err(|e| format!("failed to open entity: {e}"))?;
        let mut out = Vec::with_capacity(size as usize);
        while let Some(c) = stream.next().await {
            out.extend_from_slice(&c.map_err(|e| format!("failed to read entity: {e}"))?);
        }
        if let Some(k) = key {
            k.stream_at(0).apply(&mut out);
        }
        Ok(out)
    }

    /// Store `data` as a new file at `my`-URI `path` of `owner` (parents are created; an
    /// existing object is an error). Server-written files are encrypted on encrypting
    /// policies like `PUT /file/content`.
    pub async fn write_new_file(
        &self,
        owner: Id,
        path: &CrUri,
        data: Vec<u8>,
    ) -> Result<Id, String> {
        if path.fs != Fs::My || path.is_root() {
            return Err("invalid destination".into());
        }
        let name = path.name().to_string();
        validate_name(&name).map_err(|e| e.msg)?;
        let len = data.len() as u64;
        let mut data = data;
        let key = self.policy.encrypts().then(EncryptionKey::generate);
        if let Some(k) = &key {
            k.stream_at(0).apply(&mut data);
        }
        let blob = uuid::Uuid::new_v4().simple().to_string();
        self.policy
            .driver
            .put(blob.clone(), Bytes::from(data))
            .await
            .map_err(|e| format!("failed to write blob: {e}"))?;
        let now = Utc::now();
        let res = (|| {
            let mut store = self.store();
            let root = store.users[&owner].root;
            let parents = &path.segments[..path.segments.len() - 1];
            let parent = store
                .ensure_folders(owner, root, parents, now)
                .map_err(|e| e.msg)?;
            if store.child(parent, &name).is_some() {
                return Err("Object existed".to_string());
            }
            let u = &store.users[&owner];
            if u.used.saturating_add(len) > u.quota {
                return Err("Insufficient capacity".to_string());
            }
            let file = store.insert_node(owner, parent, &name, NodeKind::File, now);
            let entity = store.new_entity(file, len, blob.clone(), key, None, now);
            store.promote_entity(file, entity);
            Ok(file)
        })();
        if res.is_err() {
            // The blob never became an entity; remove it again.
            let _ = self.policy.driver.delete(blob).await;
        }
        res
    }
}
