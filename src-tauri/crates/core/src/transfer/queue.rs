//! The persisted transfer queue (SQLite): items, their state machine, the chunks each upload
//! has had acknowledged and the upload session needed to resume.
//!
//! Only what is needed to resume is stored: paths, remote references, sizes, the local file
//! fingerprint and the provider's upload session. Account tokens and passwords never are.

use super::item::{
    ConflictPolicy, Direction, Fingerprint, ItemId, ItemKind, ItemState, NewItem, TransferItem,
    TransferOptions,
};
use crate::error::{Error, Result};
use crate::provider::{ChunkReceipt, ChunkReceipts, UploadSession};
use rusqlite::{Connection, OptionalExtension, Row, params};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER REFERENCES items(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    kind TEXT NOT NULL,
    local_path TEXT NOT NULL,
    remote TEXT NOT NULL,
    name TEXT NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    conflict TEXT NOT NULL,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    error_kind TEXT,
    skipped INTEGER NOT NULL DEFAULT 0,
    prepared INTEGER NOT NULL DEFAULT 0,
    fp_size INTEGER,
    fp_mtime_ms INTEGER,
    session TEXT,
    owner TEXT,
    options TEXT,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS items_parent ON items(parent_id);
CREATE INDEX IF NOT EXISTS items_state ON items(state);
CREATE TABLE IF NOT EXISTS acked_chunks (
    item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    receipt TEXT,
    synced INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (item_id, idx)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS content_hashes (
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ms INTEGER NOT NULL,
    md5 TEXT NOT NULL,
    used_ms INTEGER NOT NULL,
    PRIMARY KEY (path, size, mtime_ms)
) WITHOUT ROWID;
";

/// Content hashes kept at most; the least recently used go first.
const MAX_CACHED_HASHES: i64 = 20_000;

/// Adds columns that later versions introduced to a database created by an earlier one.
fn migrate(conn: &Connection) -> rusqlite::Result<()> {
    let has_receipt = conn
        .prepare("SELECT 1 FROM pragma_table_info('acked_chunks') WHERE name = 'receipt'")?
        .exists([])?;
    if !has_receipt {
        // The storage's answer per chunk (S3 part ETag), needed to complete after a restart.
        conn.execute_batch("ALTER TABLE acked_chunks ADD COLUMN receipt TEXT")?;
    }
    let has_synced = conn
        .prepare("SELECT 1 FROM pragma_table_info('acked_chunks') WHERE name = 'synced'")?
        .exists([])?;
    if !has_synced {
        // Download ranges recorded before their bytes were flushed to disk (see `mark_synced`).
        conn.execute_batch(
            "ALTER TABLE acked_chunks ADD COLUMN synced INTEGER NOT NULL DEFAULT 1",
        )?;
    }
    let has_instant = conn
        .prepare("SELECT 1 FROM pragma_table_info('items') WHERE name = 'instant'")?
        .exists([])?;
    if !has_instant {
        conn.execute_batch("ALTER TABLE items ADD COLUMN instant INTEGER NOT NULL DEFAULT 0")?;
    }
    for column in ["owner", "options"] {
        let exists = conn
            .prepare("SELECT 1 FROM pragma_table_info('items') WHERE name = ?1")?
            .exists([column])?;
        if !exists {
            conn.execute_batch(&format!("ALTER TABLE items ADD COLUMN {column} TEXT"))?;
        }
    }
    Ok(())
}

/// Identifies the current boot of the machine, so ranges written but not yet flushed can be
/// trusted after a process crash (the page cache still holds them) but not after a power cut.
fn boot_id() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// Creates and locks this owner's lock file; the lock lasts as long as the file stays open.
fn lock_owner_file(dir: &Path, owner: &str) -> Result<std::fs::File> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{owner}.lock"));
    loop {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        f.try_lock()
            .map_err(|e| Error::io(format!("Cannot lock the transfer queue: {e}")))?;
        // Another process sweeping dead owners may have removed the file between its creation
        // and our lock: then the lock guards nothing anyone can see, so make it again.
        if still_linked(&f, &path) {
            return Ok(f);
        }
    }
}

#[cfg(unix)]
fn still_linked(f: &std::fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (f.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_linked(_f: &std::fs::File, path: &Path) -> bool {
    path.exists()
}

/// Removes the lock files of owners whose process is gone (nobody holds their lock).
fn sweep_dead_owners(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "lock")
            && let Ok(f) = std::fs::OpenOptions::new().write(true).open(&path)
            && f.try_lock().is_ok()
        {
            let _ = std::fs::remove_file(&path);
        }
    }
}

/// What becomes of a transfer left `Running` by a process that is gone (crash, kill, quit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// Queue it again: the engine picks it up at once (the desktop app resumes at start).
    Requeue,
    /// Mark it paused: it waits for an explicit resume (the CLI, where a new `put` must not
    /// silently continue an older one).
    Pause,
}

const COLUMNS: &str = "id, parent_id, direction, kind, local_path, remote, name, size, state, conflict, \
                       bytes_done, error, error_kind, skipped, created_ms, updated_ms, instant";

/// The transfer queue database. Cheap, short statements behind a mutex.
///
/// Several processes may open the same database (a `cirrus put` and a `cirrus transfers
/// pause` in another terminal). Each opened queue is an *owner*: it claims the items it runs,
/// and holds a lock file for as long as it is open, so others can tell a transfer that is
/// running elsewhere from one whose process is gone.
pub struct TransferQueue {
    conn: Mutex<Connection>,
    owner: String,
    /// Where owners' lock files live (`None` for an in-memory queue, which nobody shares).
    owners_dir: Option<PathBuf>,
    /// Held (locked) while this queue is open; the lock is what tells others we are alive.
    _owner_lock: Option<std::fs::File>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn enum_str<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn enum_parse<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

fn row_to_item(r: &Row<'_>) -> rusqlite::Result<TransferItem> {
    Ok(TransferItem {
        id: r.get(0)?,
        parent_id: r.get(1)?,
        direction: enum_parse(&r.get::<_, String>(2)?)?,
        kind: enum_parse(&r.get::<_, String>(3)?)?,
        local_path: PathBuf::from(r.get::<_, String>(4)?),
        remote: r.get(5)?,
        name: r.get(6)?,
        size: r.get::<_, i64>(7)? as u64,
        state: enum_parse(&r.get::<_, String>(8)?)?,
        conflict: enum_parse(&r.get::<_, String>(9)?)?,
        bytes_done: r.get::<_, i64>(10)? as u64,
        error: r.get(11)?,
        error_kind: r.get(12)?,
        skipped: r.get(13)?,
        created_ms: r.get(14)?,
        updated_ms: r.get(15)?,
        instant: r.get(16)?,
    })
}

/// Sets an item's state (?2) and time (?3), clearing its error when ?4; callers add the WHERE.
const SET_STATE: &str = "UPDATE items SET state = ?2, updated_ms = ?3,
     error = CASE WHEN ?4 THEN NULL ELSE error END,
     error_kind = CASE WHEN ?4 THEN NULL ELSE error_kind END";

/// Refuses a move the state machine does not allow; else says whether it clears the error
/// (an item that is going again or done has none).
fn checked_transition(from: ItemState, to: ItemState) -> Result<bool> {
    if !transition_allowed(from, to) {
        return Err(Error::invalid(format!(
            "A {} transfer cannot become {}.",
            enum_str(from),
            enum_str(to)
        )));
    }
    Ok(matches!(
        to,
        ItemState::Queued | ItemState::Running | ItemState::Completed
    ))
}

/// Whether the state machine allows `from → to`.
pub fn transition_allowed(from: ItemState, to: ItemState) -> bool {
    use ItemState::*;
    matches!(
        (from, to),
        (Queued, Running)
            | (Queued, Paused)
            | (Queued, Cancelled)
            | (Queued, Failed)
            | (Queued, Completed)
            | (Running, Queued)
            | (Running, Paused)
            | (Running, Completed)
            | (Running, Failed)
            | (Running, Cancelled)
            | (Paused, Queued)
            | (Paused, Cancelled)
            // Paused or cancelled (from another process) just as its last bytes went: the
            // transfer is complete, and saying otherwise would make a resume send it again.
            | (Paused, Completed)
            | (Cancelled, Completed)
            | (Failed, Queued)
            | (Failed, Cancelled)
            | (Cancelled, Queued)
            // A prepared folder goes straight back to running its children.
            | (Failed, Running)
            | (Cancelled, Running)
            | (Paused, Running)
    )
}

impl Drop for TransferQueue {
    fn drop(&mut self) {
        if let Some(dir) = &self.owners_dir {
            let _ = std::fs::remove_file(dir.join(format!("{}.lock", self.owner)));
        }
    }
}

impl TransferQueue {
    /// Opens (or creates) the queue at `path`. Items that were running when their process
    /// stopped stay so until [`TransferQueue::settle_interrupted`] (an engine does it at start).
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut owners_dir = path.as_os_str().to_owned();
        owners_dir.push(".owners");
        Self::init(Connection::open(path)?, Some(PathBuf::from(owners_dir)))
    }

    /// An in-memory queue (tests, one-shot CLI runs).
    pub fn open_in_memory() -> Result<Self> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(conn: Connection, owners_dir: Option<PathBuf>) -> Result<Self> {
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // WAL keeps readers (UI listing) from blocking the engine's writes.
        let _ = conn.pragma_update(None, "journal_mode", "WAL");
        // In WAL mode NORMAL still survives a killed process (only a power cut can lose the
        // last commits, which costs a re-sent chunk, never a wrong one); FULL would fsync every
        // one of the several commits each small file makes.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.execute_batch(SCHEMA)?;
        migrate(&conn)?;
        let owner = uuid::Uuid::new_v4().simple().to_string();
        let owner_lock = match &owners_dir {
            Some(dir) => {
                sweep_dead_owners(dir);
                Some(lock_owner_file(dir, &owner)?)
            }
            None => None,
        };
        let queue = Self {
            conn: Mutex::new(conn),
            owner,
            owners_dir,
            _owner_lock: owner_lock,
        };
        queue.forget_unflushed_after_reboot()?;
        Ok(queue)
    }

    /// This queue's owner token (stored on the items it runs).
    pub fn owner(&self) -> &str {
        &self.owner
    }

    /// Whether `owner` is another queue that is still open, in this process or another.
    fn owner_alive_elsewhere(&self, owner: &str) -> bool {
        if owner == self.owner {
            return false;
        }
        let Some(dir) = &self.owners_dir else {
            return false;
        };
        let path = dir.join(format!("{owner}.lock"));
        let Ok(f) = std::fs::OpenOptions::new().write(true).open(&path) else {
            return false;
        };
        match f.try_lock() {
            Ok(()) => {
                // Nobody holds it: its process is gone. Tidy up after it.
                let _ = std::fs::remove_file(&path);
                false
            }
            Err(_) => true,
        }
    }

    /// Settles items left `Running` by an owner that is gone, or by this queue's own earlier
    /// engine: files (and folders interrupted while being prepared) are requeued or paused.
    /// Items running under another live owner are left alone. Returns how many changed.
    pub fn settle_interrupted(&self, policy: Interrupted) -> Result<usize> {
        self.settle(policy, true)
    }

    /// Like [`TransferQueue::settle_interrupted`], for items of other owners only: what a
    /// running engine does from time to time, to take over from a process that died.
    pub fn settle_dead_owners(&self, policy: Interrupted) -> Result<usize> {
        self.settle(policy, false)
    }

    fn settle(&self, policy: Interrupted, include_own: bool) -> Result<usize> {
        let rows: Vec<(ItemId, Option<String>)> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(
                "SELECT id, owner FROM items
                 WHERE state = 'running' AND (kind = 'file' OR prepared = 0)",
            )?;
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<rusqlite::Result<_>>()?
        };
        let mut alive: std::collections::HashMap<String, bool> = Default::default();
        let to = match policy {
            Interrupted::Requeue => "queued",
            Interrupted::Pause => "paused",
        };
        let mut changed = 0;
        for (id, owner) in rows {
            if !include_own && owner.as_deref() == Some(self.owner.as_str()) {
                continue;
            }
            if let Some(o) = owner
                && *alive
                    .entry(o.clone())
                    .or_insert_with(|| self.owner_alive_elsewhere(&o))
            {
                continue;
            }
            changed += self.conn().execute(
                "UPDATE items SET state = ?2, owner = NULL, updated_ms = ?3
                 WHERE id = ?1 AND state = 'running'",
                params![id, to, now_ms()],
            )?;
            if let Some(parent) = self.get(id)?.parent_id {
                self.refresh_folder(parent)?;
            }
        }
        Ok(changed)
    }

    /// Puts files left `Running` by a previous engine (crash, quit) back in the queue.
    pub fn requeue_interrupted(&self) -> Result<usize> {
        self.settle_interrupted(Interrupted::Requeue)
    }

    /// Gives up this owner's claim on the items it runs (an engine stopping): they stay
    /// `Running` until settled, by any owner, as interrupted.
    pub fn release_running(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "UPDATE items SET owner = NULL WHERE owner = ?1 AND state = 'running'",
            params![self.owner],
        )?)
    }

    /// Whether item `id` is running under another queue that is still open (another process).
    pub fn running_elsewhere(&self, id: ItemId) -> Result<bool> {
        let (state, owner): (String, Option<String>) = self.conn().query_row(
            "SELECT state, owner FROM items WHERE id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(state == "running" && owner.is_some_and(|o| self.owner_alive_elsewhere(&o)))
    }

    /// Takes a queued item for this owner and marks it running; false when another owner
    /// took it first (or it is no longer queued).
    pub fn claim(&self, id: ItemId) -> Result<bool> {
        Ok(self.conn().execute(
            "UPDATE items SET state = 'running', owner = ?2, updated_ms = ?3,
                 error = NULL, error_kind = NULL
             WHERE id = ?1 AND state = 'queued'",
            params![id, self.owner, now_ms()],
        )? == 1)
    }

    /// The states of some items, as stored now (another process may have changed them).
    pub fn states(&self, ids: &[ItemId]) -> Result<Vec<(ItemId, ItemState)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT state FROM items WHERE id = ?1")?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(s) = stmt
                .query_row(params![id], |r| r.get::<_, String>(0))
                .optional()?
            {
                out.push((*id, enum_parse(&s)?));
            }
        }
        Ok(out)
    }

    /// Download ranges recorded before a flush are only as durable as the page cache: after
    /// a reboot (power cut) they cannot be trusted and are fetched again.
    fn forget_unflushed_after_reboot(&self) -> Result<()> {
        let now = boot_id();
        let conn = self.conn();
        let stored: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key = 'boot_id'", [], |r| {
                r.get(0)
            })
            .optional()?;
        if now.is_none() || stored != now {
            conn.execute("DELETE FROM acked_chunks WHERE synced = 0", [])?;
        }
        if let Some(id) = now {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('boot_id', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![id],
            )?;
        }
        Ok(())
    }

    /// Stores the options a transfer was started with (limits, parallelism), so a resume
    /// runs it the same way.
    pub fn set_options(&self, id: ItemId, options: &TransferOptions) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET options = ?2 WHERE id = ?1",
            params![id, serde_json::to_string(options)?],
        )?;
        Ok(())
    }

    /// The options stored with an item (see [`TransferQueue::set_options`]).
    pub fn options(&self, id: ItemId) -> Result<Option<TransferOptions>> {
        let json: Option<String> = self.conn().query_row(
            "SELECT options FROM items WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().expect("queue mutex poisoned")
    }

    /// Adds one item in state `Queued`.
    pub fn add(&self, item: &NewItem) -> Result<ItemId> {
        Ok(self.add_many(std::slice::from_ref(item))?[0])
    }

    /// Adds several items in one transaction.
    pub fn add_many(&self, items: &[NewItem]) -> Result<Vec<ItemId>> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut ids = Vec::with_capacity(items.len());
        {
            let mut stmt = tx.prepare(
                "INSERT INTO items (parent_id, direction, kind, local_path, remote, name, size, state, conflict, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?8, ?9, ?9)",
            )?;
            let now = now_ms();
            for it in items {
                stmt.execute(params![
                    it.parent_id,
                    enum_str(it.direction),
                    enum_str(it.kind),
                    it.local_path.to_string_lossy(),
                    it.remote,
                    it.name,
                    it.size as i64,
                    enum_str(it.conflict),
                    now
                ])?;
                ids.push(tx.last_insert_rowid());
            }
        }
        tx.commit()?;
        Ok(ids)
    }

    /// One item.
    pub fn get(&self, id: ItemId) -> Result<TransferItem> {
        self.conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM items WHERE id = ?1"))?
            .query_row(params![id], row_to_item)
            .optional()?
            .ok_or_else(|| Error::invalid(format!("No transfer with id {id}.")))
    }

    /// Every item, oldest first.
    pub fn list(&self) -> Result<Vec<TransferItem>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM items ORDER BY id"),
            params![],
        )
    }

    /// An item and everything below it (a folder's files and subfolders), oldest first.
    pub fn subtree(&self, id: ItemId) -> Result<Vec<TransferItem>> {
        self.query(
            &format!(
                "WITH RECURSIVE tree(id) AS (
                    SELECT id FROM items WHERE id = ?1
                    UNION ALL SELECT i.id FROM items i JOIN tree t ON i.parent_id = t.id)
                 SELECT {COLUMNS} FROM items WHERE id IN (SELECT id FROM tree) ORDER BY id"
            ),
            params![id],
        )
    }

    /// The files of a folder item.
    pub fn children(&self, parent: ItemId) -> Result<Vec<TransferItem>> {
        self.query(
            &format!("SELECT {COLUMNS} FROM items WHERE parent_id = ?1 ORDER BY id"),
            params![parent],
        )
    }

    fn query(&self, sql: &str, p: impl rusqlite::Params) -> Result<Vec<TransferItem>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(sql)?;
        let rows = stmt.query_map(p, row_to_item)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Items the scheduler may start now, oldest first: unprepared folders, and queued files
    /// that are top-level or whose folder is prepared and running.
    pub fn runnable(&self, limit: usize) -> Result<Vec<TransferItem>> {
        self.query(
            &format!(
                "SELECT {COLUMNS} FROM items i WHERE i.state = 'queued' AND (
                    (i.kind = 'folder' AND i.prepared = 0)
                    OR (i.kind = 'file' AND (i.parent_id IS NULL OR EXISTS (
                        SELECT 1 FROM items p WHERE p.id = i.parent_id AND p.prepared = 1 AND p.state = 'running')))
                 ) ORDER BY i.id LIMIT ?1"
            ),
            params![limit as i64],
        )
    }

    /// Moves an item to `to` if the state machine allows it; returns whether it changed.
    pub fn transition(&self, id: ItemId, to: ItemState) -> Result<bool> {
        let from = self.get(id)?.state;
        if from == to {
            return Ok(false);
        }
        let clear_error = checked_transition(from, to)?;
        self.conn().execute(
            &format!("{SET_STATE} WHERE id = ?1"),
            params![id, enum_str(to), now_ms(), clear_error],
        )?;
        Ok(true)
    }

    /// Moves the items of `ids` that are still in state `from` to `to`, in one transaction;
    /// returns the ids that moved. Pausing 10 000 queued files one transition at a time took
    /// seconds.
    pub fn transition_many(
        &self,
        ids: &[ItemId],
        from: ItemState,
        to: ItemState,
    ) -> Result<Vec<ItemId>> {
        let clear_error = checked_transition(from, to)?;
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let mut moved = Vec::new();
        {
            let mut update = tx.prepare(&format!("{SET_STATE} WHERE id = ?1 AND state = ?5"))?;
            for &id in ids {
                if update.execute(params![id, enum_str(to), now, clear_error, enum_str(from)])? > 0
                {
                    moved.push(id);
                }
            }
        }
        tx.commit()?;
        Ok(moved)
    }

    /// Moves every unit of work in state `from` to `to` in one statement: each file, and each
    /// folder not yet expanded into its files (what "Pause all" and "Resume all" move).
    /// Returns the moved items with their folders, in queue order. Reading 10 000 items to
    /// update them one by one took most of the time of a "Pause all".
    pub fn transition_all(
        &self,
        from: ItemState,
        to: ItemState,
    ) -> Result<Vec<(ItemId, Option<ItemId>)>> {
        let clear_error = checked_transition(from, to)?;
        let conn = self.conn();
        let mut update = conn.prepare(&format!(
            "{SET_STATE} WHERE state = ?1 AND (kind = 'file' OR prepared = 0)
             RETURNING id, parent_id"
        ))?;
        let mut moved = update
            .query_map(
                params![enum_str(from), enum_str(to), now_ms(), clear_error],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<rusqlite::Result<Vec<(ItemId, Option<ItemId>)>>>()?;
        moved.sort_unstable();
        Ok(moved)
    }

    /// Marks an item failed with `err`.
    pub fn fail(&self, id: ItemId, err: &Error) -> Result<()> {
        let state = self.get(id)?.state;
        if state != ItemState::Failed {
            self.transition(id, ItemState::Failed)?;
        }
        self.conn().execute(
            "UPDATE items SET error = ?2, error_kind = ?3 WHERE id = ?1",
            params![id, err.to_string(), err.kind_str()],
        )?;
        Ok(())
    }

    /// Marks an item completed because the conflict policy skipped it.
    pub fn skip(&self, id: ItemId) -> Result<()> {
        self.transition(id, ItemState::Completed)?;
        self.conn()
            .execute("UPDATE items SET skipped = 1 WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// Marks an upload as completed without sending its content (instant upload).
    pub fn set_instant(&self, id: ItemId) -> Result<()> {
        self.conn()
            .execute("UPDATE items SET instant = 1 WHERE id = ?1", params![id])?;
        Ok(())
    }

    /// The MD5 computed earlier for the file at `path` when it had fingerprint `fp`.
    pub fn cached_md5(&self, path: &Path, fp: Fingerprint) -> Result<Option<String>> {
        let conn = self.conn();
        let key = path.to_string_lossy();
        let md5: Option<String> = conn
            .query_row(
                "SELECT md5 FROM content_hashes WHERE path = ?1 AND size = ?2 AND mtime_ms = ?3",
                params![key, fp.size as i64, fp.mtime_ms],
                |r| r.get(0),
            )
            .optional()?;
        if md5.is_some() {
            conn.execute(
                "UPDATE content_hashes SET used_ms = ?4
                 WHERE path = ?1 AND size = ?2 AND mtime_ms = ?3",
                params![key, fp.size as i64, fp.mtime_ms, now_ms()],
            )?;
        }
        Ok(md5)
    }

    /// Remembers the MD5 of the file at `path` with fingerprint `fp`, so a retry, a resume or
    /// a second upload of the unchanged file does not read it again.
    pub fn cache_md5(&self, path: &Path, fp: Fingerprint, md5: &str) -> Result<()> {
        let mut conn = self.conn();
        let key = path.to_string_lossy();
        let tx = conn.transaction()?;
        // Hashes of the file's earlier contents can never match again.
        tx.execute("DELETE FROM content_hashes WHERE path = ?1", params![key])?;
        tx.execute(
            "INSERT INTO content_hashes (path, size, mtime_ms, md5, used_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![key, fp.size as i64, fp.mtime_ms, md5, now_ms()],
        )?;
        tx.execute(
            "DELETE FROM content_hashes WHERE (path, size, mtime_ms) IN (
                 SELECT path, size, mtime_ms FROM content_hashes
                 ORDER BY used_ms DESC LIMIT -1 OFFSET ?1)",
            params![MAX_CACHED_HASHES],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Records bytes done (not every chunk: callers throttle).
    pub fn set_bytes_done(&self, id: ItemId, bytes: u64) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET bytes_done = ?2 WHERE id = ?1",
            params![id, bytes as i64],
        )?;
        Ok(())
    }

    /// Changes the destination name (keep-both renames) or remote reference.
    pub fn set_name(&self, id: ItemId, name: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET name = ?2 WHERE id = ?1",
            params![id, name],
        )?;
        Ok(())
    }

    /// Changes the destination path of a download (keep-both renames).
    pub fn set_local_path(&self, id: ItemId, path: &Path) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET local_path = ?2 WHERE id = ?1",
            params![id, path.to_string_lossy()],
        )?;
        Ok(())
    }

    /// Changes the size (folders once their children are known; downloads once stat'ed).
    pub fn set_size(&self, id: ItemId, size: u64) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET size = ?2 WHERE id = ?1",
            params![id, size as i64],
        )?;
        Ok(())
    }

    /// Marks a folder prepared (remote/local folders made, children added) and running,
    /// together with its children in one transaction.
    pub fn prepare_folder(
        &self,
        id: ItemId,
        children: &[NewItem],
        total: u64,
    ) -> Result<Vec<ItemId>> {
        let ids = self.add_many(children)?;
        self.conn().execute(
            "UPDATE items SET prepared = 1, state = 'running', size = ?2, updated_ms = ?3 WHERE id = ?1",
            params![id, total as i64, now_ms()],
        )?;
        Ok(ids)
    }

    /// Whether a folder's children exist already.
    pub fn is_prepared(&self, id: ItemId) -> Result<bool> {
        Ok(self.conn().query_row(
            "SELECT prepared FROM items WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )?)
    }

    /// Recomputes a folder from its children: bytes, and a final state once all are finished.
    /// Returns the folder's state.
    pub fn refresh_folder(&self, id: ItemId) -> Result<ItemState> {
        let folder = self.get(id)?;
        // One aggregate instead of loading every child: this runs after each file of a folder.
        let (done, total, finished, completed, paused): (i64, i64, i64, i64, i64) = self
            .conn()
            .prepare_cached(
                "SELECT COALESCE(SUM(bytes_done), 0), COUNT(*),
                        COALESCE(SUM(state IN ('completed', 'failed', 'cancelled')), 0),
                        COALESCE(SUM(state = 'completed'), 0),
                        COALESCE(SUM(state = 'paused'), 0)
                 FROM items WHERE parent_id = ?1",
            )?
            .query_row(params![id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?;
        self.set_bytes_done(id, done as u64)?;
        // A folder whose unfinished files are all paused is paused itself (and runs again as
        // soon as one of them is resumed, see `TransferEngine::resume`).
        if folder.state == ItemState::Running && paused > 0 && finished + paused == total {
            self.transition(id, ItemState::Paused)?;
            return Ok(ItemState::Paused);
        }
        if folder.state != ItemState::Running || finished < total {
            return Ok(folder.state);
        }
        let failed = total - completed;
        if failed == 0 {
            self.transition(id, ItemState::Completed)?;
            Ok(ItemState::Completed)
        } else {
            let err = Error::with_message(
                crate::error::ErrorKind::Io,
                format!("{failed} of {total} files did not transfer."),
            );
            self.fail(id, &err)?;
            Ok(ItemState::Failed)
        }
    }

    /// Stores (or clears) the upload session of an item.
    pub fn set_session(&self, id: ItemId, session: Option<&UploadSession>) -> Result<()> {
        let json = session.map(serde_json::to_string).transpose()?;
        self.conn().execute(
            "UPDATE items SET session = ?2 WHERE id = ?1",
            params![id, json],
        )?;
        Ok(())
    }

    /// The stored upload session, if any.
    pub fn session(&self, id: ItemId) -> Result<Option<UploadSession>> {
        let json: Option<String> = self.conn().query_row(
            "SELECT session FROM items WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    /// Stores the local file fingerprint taken when the upload began.
    pub fn set_fingerprint(&self, id: ItemId, fp: Option<Fingerprint>) -> Result<()> {
        self.conn().execute(
            "UPDATE items SET fp_size = ?2, fp_mtime_ms = ?3 WHERE id = ?1",
            params![id, fp.map(|f| f.size as i64), fp.map(|f| f.mtime_ms)],
        )?;
        Ok(())
    }

    /// The fingerprint taken when the upload began.
    pub fn fingerprint(&self, id: ItemId) -> Result<Option<Fingerprint>> {
        let (size, mtime): (Option<i64>, Option<i64>) = self.conn().query_row(
            "SELECT fp_size, fp_mtime_ms FROM items WHERE id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(size.zip(mtime).map(|(s, m)| Fingerprint {
            size: s as u64,
            mtime_ms: m,
        }))
    }

    /// Records that the server acknowledged chunk `index`.
    pub fn ack_chunk(&self, id: ItemId, index: u64) -> Result<()> {
        self.ack_chunk_with_receipt(id, index, &ChunkReceipt::default())
    }

    /// Records that the server acknowledged chunk `index` together with the storage's receipt
    /// for it (kept until the upload completes, so completion works after a restart).
    pub fn ack_chunk_with_receipt(
        &self,
        id: ItemId,
        index: u64,
        receipt: &ChunkReceipt,
    ) -> Result<()> {
        // A chunk sent again (e.g. after a lost answer) gets the storage's latest receipt.
        self.conn().execute(
            "INSERT INTO acked_chunks (item_id, idx, receipt) VALUES (?1, ?2, ?3)
             ON CONFLICT (item_id, idx) DO UPDATE SET receipt = excluded.receipt",
            params![id, index as i64, receipt.token()],
        )?;
        Ok(())
    }

    /// Records several acknowledged chunks (no receipts) and the item's progress in one commit.
    pub fn ack_chunks(&self, id: ItemId, indices: &[u64], bytes_done: u64) -> Result<()> {
        self.record_chunks(id, indices, bytes_done, true)
    }

    /// Records download ranges written to the part file but not yet flushed to disk: they
    /// survive a killed process (the page cache has them), not a reboot, until `mark_synced`.
    pub fn ack_chunks_unsynced(&self, id: ItemId, indices: &[u64], bytes_done: u64) -> Result<()> {
        self.record_chunks(id, indices, bytes_done, false)
    }

    /// Marks every range of an item recorded so far as flushed to disk.
    pub fn mark_synced(&self, id: ItemId) -> Result<()> {
        self.conn().execute(
            "UPDATE acked_chunks SET synced = 1 WHERE item_id = ?1 AND synced = 0",
            params![id],
        )?;
        Ok(())
    }

    fn record_chunks(
        &self,
        id: ItemId,
        indices: &[u64],
        bytes_done: u64,
        synced: bool,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT INTO acked_chunks (item_id, idx, receipt, synced) VALUES (?1, ?2, NULL, ?3)
                 ON CONFLICT (item_id, idx) DO NOTHING",
            )?;
            for i in indices {
                stmt.execute(params![id, *i as i64, synced])?;
            }
        }
        tx.execute(
            "UPDATE items SET bytes_done = ?2 WHERE id = ?1",
            params![id, bytes_done as i64],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Receipts of the acknowledged chunks that have one.
    pub fn chunk_receipts(&self, id: ItemId) -> Result<ChunkReceipts> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT idx, receipt FROM acked_chunks WHERE item_id = ?1 AND receipt IS NOT NULL",
        )?;
        let rows = stmt.query_map(params![id], |r| {
            Ok((r.get::<_, i64>(0)? as u64, r.get::<_, String>(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Chunks acknowledged so far.
    pub fn acked_chunks(&self, id: ItemId) -> Result<BTreeSet<u64>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT idx FROM acked_chunks WHERE item_id = ?1")?;
        let rows = stmt.query_map(params![id], |r| r.get::<_, i64>(0))?;
        Ok(rows
            .map(|r| r.map(|v| v as u64))
            .collect::<rusqlite::Result<_>>()?)
    }

    /// Forgets all resume state (session, acked chunks, fingerprint, bytes) so it starts over.
    pub fn reset_transfer_state(&self, id: ItemId) -> Result<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM acked_chunks WHERE item_id = ?1", params![id])?;
        conn.execute(
            "UPDATE items SET session = NULL, fp_size = NULL, fp_mtime_ms = NULL, bytes_done = 0,
                 instant = 0 WHERE id = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// Forgets resume state once an item is done, keeping its byte count for display.
    pub fn clear_resume_state(&self, id: ItemId) -> Result<()> {
        let conn = self.conn();
        conn.execute("DELETE FROM acked_chunks WHERE item_id = ?1", params![id])?;
        conn.execute(
            "UPDATE items SET session = NULL, fp_size = NULL, fp_mtime_ms = NULL WHERE id = ?1",
            params![id],
        )?;
        Ok(())
    }

    /// Removes finished items (and their children). Returns how many top-level rows went.
    pub fn clear_finished(&self) -> Result<usize> {
        Ok(self.conn().execute(
            "DELETE FROM items WHERE parent_id IS NULL AND state IN ('completed', 'cancelled')",
            params![],
        )?)
    }

    /// Test hook and maintenance: the raw text of every stored column, to check nothing secret
    /// is persisted.
    pub fn dump_text(&self) -> Result<String> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("SELECT {COLUMNS}, session FROM items"))?;
        let mut rows = stmt.query([])?;
        let mut out = String::new();
        while let Some(r) = rows.next()? {
            for i in 0..18 {
                if let Ok(Some(s)) = r.get::<_, Option<String>>(i) {
                    out.push_str(&s);
                    out.push('\n');
                }
            }
        }
        Ok(out)
    }
}

/// Default conflict policy used by [`NewItem::upload_file`]/[`NewItem::download_file`].
impl NewItem {
    /// A single-file upload of `local` into remote folder `dest`.
    pub fn upload_file(local: &Path, dest: &str, size: u64, conflict: ConflictPolicy) -> Self {
        NewItem {
            parent_id: None,
            direction: Direction::Upload,
            kind: ItemKind::File,
            local_path: local.to_path_buf(),
            remote: dest.to_string(),
            name: local
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size,
            conflict,
        }
    }

    /// A single-file download of `remote` to the local path `dest`.
    pub fn download_file(remote: &str, dest: &Path, size: u64, conflict: ConflictPolicy) -> Self {
        NewItem {
            parent_id: None,
            direction: Direction::Download,
            kind: ItemKind::File,
            local_path: dest.to_path_buf(),
            remote: remote.to_string(),
            name: dest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            size,
            conflict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{EncryptionParams, RemoteRef};

    fn file(q: &TransferQueue) -> ItemId {
        q.add(&NewItem::upload_file(
            Path::new("/tmp/a.bin"),
            "cloudreve://my",
            100,
            ConflictPolicy::Ask,
        ))
        .unwrap()
    }

    #[test]
    fn new_items_are_queued_with_their_fields() {
        let q = TransferQueue::open_in_memory().unwrap();
        let id = file(&q);
        let it = q.get(id).unwrap();
        assert_eq!(it.state, ItemState::Queued);
        assert_eq!(it.name, "a.bin");
        assert_eq!(it.remote, "cloudreve://my");
        assert_eq!(it.direction, Direction::Upload);
        assert_eq!(it.size, 100);
    }

    #[test]
    fn state_machine_rejects_invalid_transitions() {
        let q = TransferQueue::open_in_memory().unwrap();
        let id = file(&q);
        assert!(q.transition(id, ItemState::Running).unwrap());
        assert!(q.transition(id, ItemState::Paused).unwrap());
        assert!(
            q.transition(id, ItemState::Failed).is_err(),
            "paused cannot fail"
        );
        assert!(q.transition(id, ItemState::Queued).unwrap());
        assert!(!q.transition(id, ItemState::Queued).unwrap(), "no-op");
        q.transition(id, ItemState::Running).unwrap();
        q.transition(id, ItemState::Completed).unwrap();
        assert!(
            q.transition(id, ItemState::Queued).is_err(),
            "completed is final"
        );
        assert!(q.transition(id, ItemState::Cancelled).is_err());
    }

    #[test]
    fn fail_then_retry_clears_the_error() {
        let q = TransferQueue::open_in_memory().unwrap();
        let id = file(&q);
        q.transition(id, ItemState::Running).unwrap();
        q.fail(id, &Error::new(crate::error::ErrorKind::QuotaExceeded))
            .unwrap();
        let it = q.get(id).unwrap();
        assert_eq!(it.state, ItemState::Failed);
        assert_eq!(it.error_kind.as_deref(), Some("quotaExceeded"));
        q.transition(id, ItemState::Queued).unwrap();
        let it = q.get(id).unwrap();
        assert_eq!((it.state, it.error), (ItemState::Queued, None));
    }

    #[test]
    fn reopening_restores_items_chunks_and_session_and_requeues_running() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.sqlite");
        let session = UploadSession {
            id: "sess-1".into(),
            target: RemoteRef::new("cloudreve://my/a.bin"),
            chunk_size: 10,
            chunk_concurrency: 2,
            expires_at: 42,
            encryption: Some(EncryptionParams {
                key: [1; 32],
                iv: [2; 16],
            }),
            policy: serde_json::json!({"type": "local"}),
            complete: false,
        };
        let id = {
            let q = TransferQueue::open(&db).unwrap();
            let id = file(&q);
            q.transition(id, ItemState::Running).unwrap();
            q.set_session(id, Some(&session)).unwrap();
            q.set_fingerprint(
                id,
                Some(Fingerprint {
                    size: 100,
                    mtime_ms: 7,
                }),
            )
            .unwrap();
            q.ack_chunk(id, 0).unwrap();
            q.ack_chunk(id, 3).unwrap();
            q.ack_chunk(id, 3).unwrap();
            q.ack_chunk_with_receipt(id, 4, &ChunkReceipt::new("\"etag-4\""))
                .unwrap();
            q.set_bytes_done(id, 20).unwrap();
            id
        };
        let q = TransferQueue::open(&db).unwrap();
        assert_eq!(q.get(id).unwrap().state, ItemState::Running);
        assert_eq!(q.settle_interrupted(Interrupted::Requeue).unwrap(), 1);
        let it = q.get(id).unwrap();
        assert_eq!(
            it.state,
            ItemState::Queued,
            "interrupted item is queued again"
        );
        assert_eq!(it.bytes_done, 20);
        assert_eq!(q.acked_chunks(id).unwrap(), BTreeSet::from([0, 3, 4]));
        assert_eq!(
            q.chunk_receipts(id).unwrap(),
            ChunkReceipts::from([(4, "\"etag-4\"".to_string())])
        );
        let back = q.session(id).unwrap().unwrap();
        assert_eq!(back.id, "sess-1");
        assert_eq!(back.encryption, session.encryption);
        assert_eq!(
            q.fingerprint(id).unwrap(),
            Some(Fingerprint {
                size: 100,
                mtime_ms: 7
            })
        );
        assert_eq!(q.runnable(10).unwrap().len(), 1);

        q.reset_transfer_state(id).unwrap();
        assert!(q.acked_chunks(id).unwrap().is_empty());
        assert!(q.chunk_receipts(id).unwrap().is_empty());
        assert!(q.session(id).unwrap().is_none());
        assert_eq!(q.fingerprint(id).unwrap(), None);
    }

    #[test]
    fn databases_without_receipts_are_migrated() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.sqlite");
        {
            let c = Connection::open(&db).unwrap();
            c.execute_batch(
                "CREATE TABLE acked_chunks (item_id INTEGER NOT NULL, idx INTEGER NOT NULL,
                 PRIMARY KEY (item_id, idx)) WITHOUT ROWID;",
            )
            .unwrap();
        }
        let q = TransferQueue::open(&db).unwrap();
        let id = file(&q);
        q.ack_chunk_with_receipt(id, 0, &ChunkReceipt::new("e0"))
            .unwrap();
        assert_eq!(q.chunk_receipts(id).unwrap()[&0], "e0");
        drop(q);
        TransferQueue::open(&db).unwrap();
    }

    #[test]
    fn content_hashes_are_kept_per_file_version_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.sqlite");
        let path = Path::new("/data/movie.mkv");
        let v1 = Fingerprint {
            size: 10,
            mtime_ms: 1000,
        };
        let v2 = Fingerprint {
            size: 10,
            mtime_ms: 2000,
        };
        {
            let q = TransferQueue::open(&db).unwrap();
            assert_eq!(q.cached_md5(path, v1).unwrap(), None);
            q.cache_md5(path, v1, "aa").unwrap();
            q.cache_md5(Path::new("/data/other"), v1, "bb").unwrap();
            assert_eq!(q.cached_md5(path, v1).unwrap().as_deref(), Some("aa"));
            assert_eq!(q.cached_md5(path, v2).unwrap(), None, "another version");
        }
        let q = TransferQueue::open(&db).unwrap();
        assert_eq!(q.cached_md5(path, v1).unwrap().as_deref(), Some("aa"));
        // A new version of the file replaces the old one's hash.
        q.cache_md5(path, v2, "cc").unwrap();
        assert_eq!(q.cached_md5(path, v1).unwrap(), None);
        assert_eq!(q.cached_md5(path, v2).unwrap().as_deref(), Some("cc"));
        assert_eq!(
            q.cached_md5(Path::new("/data/other"), v1)
                .unwrap()
                .as_deref(),
            Some("bb")
        );
    }

    #[test]
    fn the_instant_flag_is_stored_and_an_old_items_table_gains_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("old.sqlite");
        {
            let c = Connection::open(&db).unwrap();
            // The items table as the first versions made it.
            c.execute_batch(
                "CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT,
                 parent_id INTEGER, direction TEXT NOT NULL, kind TEXT NOT NULL,
                 local_path TEXT NOT NULL, remote TEXT NOT NULL, name TEXT NOT NULL,
                 size INTEGER NOT NULL, state TEXT NOT NULL, conflict TEXT NOT NULL,
                 bytes_done INTEGER NOT NULL DEFAULT 0, error TEXT, error_kind TEXT,
                 skipped INTEGER NOT NULL DEFAULT 0, prepared INTEGER NOT NULL DEFAULT 0,
                 fp_size INTEGER, fp_mtime_ms INTEGER, session TEXT,
                 created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);",
            )
            .unwrap();
        }
        let q = TransferQueue::open(&db).unwrap();
        let id = file(&q);
        assert!(!q.get(id).unwrap().instant);
        q.set_instant(id).unwrap();
        assert!(q.get(id).unwrap().instant);
        q.reset_transfer_state(id).unwrap();
        assert!(!q.get(id).unwrap().instant, "a fresh start forgets it");
    }

    #[test]
    fn folder_children_run_only_after_preparation_and_aggregate() {
        let q = TransferQueue::open_in_memory().unwrap();
        let folder = q
            .add(&NewItem {
                kind: ItemKind::Folder,
                ..NewItem::upload_file(
                    Path::new("/tmp/dir"),
                    "cloudreve://my",
                    0,
                    ConflictPolicy::Skip,
                )
            })
            .unwrap();
        let r = q.runnable(10).unwrap();
        assert_eq!(r.iter().map(|i| i.id).collect::<Vec<_>>(), vec![folder]);
        q.transition(folder, ItemState::Running).unwrap();
        // Interrupted during preparation: it must come back.
        assert_eq!(q.requeue_interrupted().unwrap(), 1);
        assert_eq!(q.get(folder).unwrap().state, ItemState::Queued);
        q.transition(folder, ItemState::Running).unwrap();
        let child = |n: &str| NewItem {
            parent_id: Some(folder),
            ..NewItem::upload_file(
                &Path::new("/tmp/dir").join(n),
                "cloudreve://my/dir",
                5,
                ConflictPolicy::Skip,
            )
        };
        let kids = q
            .prepare_folder(folder, &[child("a"), child("b")], 10)
            .unwrap();
        assert!(q.is_prepared(folder).unwrap());
        let r = q.runnable(10).unwrap();
        assert_eq!(r.iter().map(|i| i.id).collect::<Vec<_>>(), kids);
        for k in &kids {
            q.transition(*k, ItemState::Running).unwrap();
            q.set_bytes_done(*k, 5).unwrap();
        }
        q.transition(kids[0], ItemState::Completed).unwrap();
        assert_eq!(q.refresh_folder(folder).unwrap(), ItemState::Running);
        q.fail(kids[1], &Error::io("boom")).unwrap();
        assert_eq!(q.refresh_folder(folder).unwrap(), ItemState::Failed);
        assert_eq!(q.get(folder).unwrap().bytes_done, 10);
        assert_eq!(
            q.get(folder).unwrap().error.as_deref(),
            Some("1 of 2 files did not transfer.")
        );
    }

    #[test]
    fn subtree_is_an_item_and_everything_below_it() {
        let q = TransferQueue::open_in_memory().unwrap();
        let under = |parent: Option<ItemId>, n: &str| {
            q.add(&NewItem {
                parent_id: parent,
                ..NewItem::upload_file(Path::new(n), "cloudreve://my", 1, ConflictPolicy::Ask)
            })
            .unwrap()
        };
        let top = under(None, "/top");
        let a = under(Some(top), "/top/a");
        let sub = under(Some(top), "/top/sub");
        let b = under(Some(sub), "/top/sub/b");
        let other = under(None, "/other");
        let ids = |id| {
            q.subtree(id)
                .unwrap()
                .iter()
                .map(|i| i.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(top), vec![top, a, sub, b]);
        assert_eq!(ids(sub), vec![sub, b]);
        assert_eq!(ids(other), vec![other]);
        assert!(ids(999).is_empty());
    }

    #[test]
    fn clear_finished_removes_completed_with_children() {
        let q = TransferQueue::open_in_memory().unwrap();
        let a = file(&q);
        let b = file(&q);
        q.transition(a, ItemState::Running).unwrap();
        q.transition(a, ItemState::Completed).unwrap();
        assert_eq!(q.clear_finished().unwrap(), 1);
        assert!(q.get(a).is_err());
        assert!(q.get(b).is_ok());
    }

    #[test]
    fn an_item_running_under_a_live_owner_is_left_alone_until_that_owner_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.sqlite3");
        let first = TransferQueue::open(&db).unwrap();
        let id = file(&first);
        assert!(first.claim(id).unwrap());
        let second = TransferQueue::open(&db).unwrap();
        // Only one owner can take an item.
        assert!(!second.claim(id).unwrap());
        assert!(second.running_elsewhere(id).unwrap());
        assert!(!first.running_elsewhere(id).unwrap());
        assert_eq!(second.settle_interrupted(Interrupted::Requeue).unwrap(), 0);
        assert_eq!(second.get(id).unwrap().state, ItemState::Running);
        // The first process goes away without a word (crash, kill -9): its lock goes with it.
        drop(first);
        assert!(!second.running_elsewhere(id).unwrap());
        assert_eq!(second.settle_interrupted(Interrupted::Pause).unwrap(), 1);
        assert_eq!(second.get(id).unwrap().state, ItemState::Paused);
        // No lock files pile up.
        drop(second);
        let owners = dir.path().join("q.sqlite3.owners");
        assert_eq!(std::fs::read_dir(owners).unwrap().count(), 0);
    }

    /// Linux tells boots apart (`boot_id`); elsewhere unflushed ranges are never trusted.
    #[cfg(target_os = "linux")]
    #[test]
    fn unflushed_download_ranges_survive_a_restart_but_not_a_reboot() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.sqlite3");
        let q = TransferQueue::open(&db).unwrap();
        let id = file(&q);
        q.ack_chunks(id, &[0], 10).unwrap();
        q.ack_chunks_unsynced(id, &[1, 2], 30).unwrap();
        drop(q);
        // Same boot: the page cache still holds what was written.
        let q = TransferQueue::open(&db).unwrap();
        assert_eq!(q.acked_chunks(id).unwrap(), BTreeSet::from([0, 1, 2]));
        q.ack_chunks_unsynced(id, &[3], 40).unwrap();
        q.mark_synced(id).unwrap();
        q.ack_chunks_unsynced(id, &[4], 50).unwrap();
        // As if the machine had restarted since.
        q.conn()
            .execute(
                "UPDATE meta SET value = 'another boot' WHERE key = 'boot_id'",
                [],
            )
            .unwrap();
        drop(q);
        let q = TransferQueue::open(&db).unwrap();
        // 1 and 2 were flushed with 3; 4 was not, and is fetched again.
        assert_eq!(q.acked_chunks(id).unwrap(), BTreeSet::from([0, 1, 2, 3]));
    }

    #[test]
    fn options_are_kept_with_the_item_and_the_strictest_wins() {
        let q = TransferQueue::open_in_memory().unwrap();
        let id = file(&q);
        assert_eq!(q.options(id).unwrap(), None);
        let slow = TransferOptions {
            bandwidth_limit: 1 << 20,
            parallel_files: 4,
        };
        q.set_options(id, &slow).unwrap();
        assert_eq!(q.options(id).unwrap(), Some(slow));
        let unlimited = TransferOptions {
            bandwidth_limit: 0,
            parallel_files: 2,
        };
        assert_eq!(
            TransferOptions::strictest(&[slow, unlimited]),
            Some(TransferOptions {
                bandwidth_limit: 1 << 20,
                parallel_files: 2
            })
        );
        assert_eq!(TransferOptions::strictest(&[]), None);
    }

    #[test]
    fn a_folder_whose_unfinished_files_are_all_paused_is_paused() {
        let q = TransferQueue::open_in_memory().unwrap();
        let folder = q
            .add(&NewItem {
                kind: ItemKind::Folder,
                ..NewItem::upload_file(
                    Path::new("/tmp/f"),
                    "cloudreve://my",
                    0,
                    ConflictPolicy::Ask,
                )
            })
            .unwrap();
        let child = |name: &str| NewItem {
            parent_id: Some(folder),
            ..NewItem::upload_file(Path::new(name), "cloudreve://my/f", 10, ConflictPolicy::Ask)
        };
        let kids = q
            .prepare_folder(folder, &[child("/tmp/f/a"), child("/tmp/f/b")], 20)
            .unwrap();
        assert!(q.claim(kids[0]).unwrap());
        q.transition(kids[0], ItemState::Completed).unwrap();
        assert_eq!(q.refresh_folder(folder).unwrap(), ItemState::Running);
        q.transition(kids[1], ItemState::Paused).unwrap();
        assert_eq!(q.refresh_folder(folder).unwrap(), ItemState::Paused);
        // Resuming a file brings its folder back to running, so the file is runnable again.
        q.transition(kids[1], ItemState::Queued).unwrap();
        q.transition(folder, ItemState::Running).unwrap();
        assert_eq!(q.runnable(10).unwrap()[0].id, kids[1]);
    }
}
