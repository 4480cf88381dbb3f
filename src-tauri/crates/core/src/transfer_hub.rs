//! One transfer engine per account, behind one door.
//!
//! The engine works for a single provider; people have several accounts and expect one
//! transfer list, one "pause all" and limits that apply to everything. The hub creates each
//! account's engine on first use (its queue in `<data dir>/transfers/<account>.sqlite3`),
//! brings back accounts with unfinished work at start-up, and merges their events.

use crate::error::{Error, Result};
use crate::facade::Cirrus;
use crate::transfer::{
    EngineConfig, EngineEvent, Interrupted, ItemId, ItemKind, ItemState, Selection, TransferEngine,
    TransferItem, TransferQueue,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// An engine event tagged with the account it belongs to.
#[derive(Clone, Debug)]
pub struct HubEvent {
    /// The account whose engine emitted the event.
    pub account_id: String,
    /// The engine's event.
    pub event: EngineEvent,
}

/// A transfer item tagged with its account.
#[derive(Clone, Debug)]
pub struct HubItem {
    /// The account the item belongs to.
    pub account_id: String,
    /// The item as persisted.
    pub item: TransferItem,
}

/// What travels on the hub's channel: an event, or word that a relay from an engine fell
/// behind and dropped some (subscribers see that as [`RecvError::Lagged`]).
#[derive(Clone, Debug)]
enum HubMessage {
    Event(HubEvent),
    Lost(u64),
}

/// A subscription to every account's transfer events.
///
/// `Err(RecvError::Lagged(n))` means `n` events never reached this receiver, whether it read
/// too slowly or the hub's relay from an engine did (a burst such as 10 000 files queued at
/// once): the receiver must reload the items from [`TransferHub::list`] rather than trust
/// what it built from events so far. Events after the error keep coming in order.
pub struct HubReceiver(broadcast::Receiver<HubMessage>);

impl HubReceiver {
    /// The next event; see the type's doc for what `Lagged` asks of the caller.
    pub async fn recv(&mut self) -> std::result::Result<HubEvent, RecvError> {
        match self.0.recv().await? {
            HubMessage::Event(e) => Ok(e),
            HubMessage::Lost(n) => Err(RecvError::Lagged(n)),
        }
    }

    /// The next event if one is waiting (`Lagged` as in [`HubReceiver::recv`]).
    pub fn try_recv(&mut self) -> std::result::Result<HubEvent, TryRecvError> {
        match self.0.try_recv()? {
            HubMessage::Event(e) => Ok(e),
            HubMessage::Lost(n) => Err(TryRecvError::Lagged(n)),
        }
    }
}

/// A control that applies to every account (`All`) or to items of given accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HubSelection {
    /// Everything in every account's queue.
    All,
    /// These items, as (account, item id) pairs.
    Items(Vec<(String, ItemId)>),
}

/// Owns the per-account engines.
pub struct TransferHub {
    cirrus: Arc<Cirrus>,
    dir: PathBuf,
    config: Mutex<EngineConfig>,
    engines: tokio::sync::Mutex<HashMap<String, Arc<TransferEngine>>>,
    events: broadcast::Sender<HubMessage>,
}

impl TransferHub {
    /// A hub storing queues under `<data dir>/transfers`.
    pub fn new(cirrus: Arc<Cirrus>, config: EngineConfig) -> Self {
        let dir = cirrus.data_dir().join("transfers");
        let (events, _) = broadcast::channel(4096);
        TransferHub {
            cirrus,
            dir,
            config: Mutex::new(config),
            engines: Default::default(),
            events,
        }
    }

    fn queue_path(&self, account_id: &str) -> PathBuf {
        // Account ids are UUIDs; keep only safe characters anyway so a bad id cannot escape.
        let safe: String = account_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        self.dir.join(format!("{safe}.sqlite3"))
    }

    /// The engine of an account, started on first use (unfinished items resume at once).
    pub async fn engine(&self, account_id: &str) -> Result<Arc<TransferEngine>> {
        let mut engines = self.engines.lock().await;
        if let Some(engine) = engines.get(account_id) {
            return Ok(engine.clone());
        }
        let provider = self.cirrus.provider(account_id).await?;
        let queue = Arc::new(TransferQueue::open(&self.queue_path(account_id))?);
        let mut config = self
            .config
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        config.proxy = self.cirrus.proxy_for(Some(account_id))?;
        let engine = Arc::new(TransferEngine::new(provider, queue, config)?);
        self.forward_events(account_id, &engine);
        engines.insert(account_id.to_string(), engine.clone());
        Ok(engine)
    }

    fn forward_events(&self, account_id: &str, engine: &TransferEngine) {
        let mut rx = engine.subscribe();
        let tx = self.events.clone();
        let account_id = account_id.to_string();
        tokio::spawn(async move {
            loop {
                let message = match rx.recv().await {
                    Ok(event) => HubMessage::Event(HubEvent {
                        account_id: account_id.clone(),
                        event,
                    }),
                    // Dropping these silently left rows stale for good: tell every subscriber
                    // to reload instead.
                    Err(RecvError::Lagged(n)) => HubMessage::Lost(n),
                    Err(RecvError::Closed) => break,
                };
                let _ = tx.send(message);
            }
        });
    }

    /// Starts the engines of accounts that still have unfinished transfers (after a restart).
    /// Accounts that cannot be signed in are reported, not fatal.
    pub async fn resume_unfinished(&self) -> Vec<(String, Error)> {
        let mut problems = Vec::new();
        let Ok(accounts) = self.cirrus.accounts() else {
            return problems;
        };
        for account in accounts {
            let path = self.queue_path(&account.id);
            if !path.exists() {
                continue;
            }
            let unfinished = TransferQueue::open(&path)
                .and_then(|q| q.list())
                .map(|items| {
                    items
                        .iter()
                        .any(|i| !i.state.is_finished() && i.state != ItemState::Paused)
                })
                .unwrap_or(false);
            if !unfinished {
                continue;
            }
            if let Err(e) = self.engine(&account.id).await {
                problems.push((account.id.clone(), e));
            }
        }
        problems
    }

    /// Events of every account's engine; a `Lagged` error asks for a reload (see [`HubReceiver`]).
    pub fn subscribe(&self) -> HubReceiver {
        HubReceiver(self.events.subscribe())
    }

    /// One item of a started engine and everything below it (empty if the engine is not
    /// started): what a folder's row needs, without reading every queue.
    pub async fn subtree(&self, account_id: &str, id: ItemId) -> Result<Vec<HubItem>> {
        let engine = self.engines.lock().await.get(account_id).cloned();
        let Some(engine) = engine else {
            return Ok(vec![]);
        };
        Ok(engine
            .subtree(id)?
            .into_iter()
            .map(|item| HubItem {
                account_id: account_id.to_string(),
                item,
            })
            .collect())
    }

    /// Every item of every started engine, plus items in queues of accounts not started yet.
    pub async fn list(&self) -> Result<Vec<HubItem>> {
        // Not listed under the lock: reading 10 000 rows while holding it made "Pause all" wait
        // behind every list in line (the tray reads one per finished file).
        let engines: HashMap<String, Arc<TransferEngine>> = self.engines.lock().await.clone();
        let mut out = Vec::new();
        for (account_id, engine) in engines.iter() {
            out.extend(engine.list()?.into_iter().map(|item| HubItem {
                account_id: account_id.clone(),
                item,
            }));
        }
        for account in self.cirrus.accounts()? {
            let path = self.queue_path(&account.id);
            if engines.contains_key(&account.id) || !path.exists() {
                continue;
            }
            let items = TransferQueue::open(&path)?.list()?;
            out.extend(items.into_iter().map(|item| HubItem {
                account_id: account.id.clone(),
                item,
            }));
        }
        out.sort_by_key(|h| (h.item.created_ms, h.item.id));
        Ok(out)
    }

    /// Changes parallelism and bandwidth limits of running and future engines.
    pub async fn configure(&self, parallel_files: usize, upload_limit: u64, download_limit: u64) {
        {
            let mut config = self.config.lock().unwrap_or_else(|p| p.into_inner());
            config.parallel_files = parallel_files.max(1);
            config.upload_limit = upload_limit;
            config.download_limit = download_limit;
        }
        for engine in self.engines.lock().await.values() {
            engine.set_parallel_files(parallel_files);
            engine.set_upload_limit(upload_limit);
            engine.set_download_limit(download_limit);
        }
    }

    /// Pauses the selected items.
    pub async fn pause(&self, sel: &HubSelection) -> Result<()> {
        for (engine, s) in self.targets(sel).await? {
            engine.pause(&s).await?;
        }
        Ok(())
    }

    /// Resumes the selected items.
    pub async fn resume(&self, sel: &HubSelection) -> Result<()> {
        for (engine, s) in self.targets(sel).await? {
            engine.resume(&s).await?;
        }
        Ok(())
    }

    /// Cancels the selected items (cleaning up server sessions and partial files).
    pub async fn cancel(&self, sel: &HubSelection) -> Result<()> {
        for (engine, s) in self.targets(sel).await? {
            engine.cancel(&s).await?;
        }
        Ok(())
    }

    /// Retries the selected failed or cancelled items.
    pub async fn retry(&self, sel: &HubSelection) -> Result<()> {
        for (engine, s) in self.targets(sel).await? {
            engine.retry(&s).await?;
        }
        Ok(())
    }

    /// Removes finished items from every queue; returns how many went.
    pub async fn clear_finished(&self) -> Result<usize> {
        let mut n = 0;
        for engine in self.engines.lock().await.values() {
            n += engine.queue().clear_finished()?;
        }
        Ok(n)
    }

    async fn targets(&self, sel: &HubSelection) -> Result<Vec<(Arc<TransferEngine>, Selection)>> {
        match sel {
            HubSelection::All => Ok(self
                .engines
                .lock()
                .await
                .values()
                .map(|e| (e.clone(), Selection::All))
                .collect()),
            HubSelection::Items(items) => {
                let mut by_account: HashMap<&str, Vec<ItemId>> = HashMap::new();
                for (account, id) in items {
                    by_account.entry(account.as_str()).or_default().push(*id);
                }
                let mut out = Vec::new();
                for (account, ids) in by_account {
                    out.push((self.engine(account).await?, Selection::Ids(ids)));
                }
                Ok(out)
            }
        }
    }

    /// Before an account signs out: pauses its unfinished items and stops its engine, so
    /// nothing runs without a session. The queue stays on disk and keeps listing; the items
    /// wait, paused, until the user resumes them after signing in again. Returns how many
    /// items were paused.
    pub async fn park_account(&self, account_id: &str) -> Result<usize> {
        let engine = self.engines.lock().await.remove(account_id);
        if let Some(engine) = engine {
            engine.pause(&Selection::All).await?;
            // Let the running jobs record their progress and their pause before the engine
            // goes; one that does not stop in time is settled as interrupted below.
            let _ = tokio::time::timeout(Duration::from_secs(10), engine.wait_idle()).await;
        }
        let path = self.queue_path(account_id);
        if !path.exists() {
            return Ok(0);
        }
        let queue = TransferQueue::open(&path)?;
        queue.settle_interrupted(Interrupted::Pause)?;
        let mut paused = 0;
        for item in queue.list()? {
            let runnable = item.kind == ItemKind::File || !queue.is_prepared(item.id)?;
            let now_paused = item.state == ItemState::Paused
                || (item.state == ItemState::Queued
                    && runnable
                    && queue.transition(item.id, ItemState::Paused)?);
            if now_paused {
                paused += 1;
            }
        }
        Ok(paused)
    }

    /// How many items of an account are not finished (shown before removing the account).
    pub async fn unfinished_count(&self, account_id: &str) -> Result<usize> {
        let path = self.queue_path(account_id);
        let items = match self.engines.lock().await.get(account_id) {
            Some(engine) => engine.list()?,
            None if path.exists() => TransferQueue::open(&path)?.list()?,
            None => Vec::new(),
        };
        Ok(items
            .iter()
            .filter(|i| i.parent_id.is_none() && !i.state.is_finished())
            .count())
    }

    /// Removing an account: cancels its transfers (cleaning up server sessions while the
    /// session still works), stops its engine and deletes its queue.
    pub async fn forget_account(&self, account_id: &str) -> Result<()> {
        let engine = self.engines.lock().await.remove(account_id);
        if let Some(engine) = engine
            && let Err(e) = engine.cancel(&Selection::All).await
        {
            tracing::info!("cancelling transfers of a removed account: {}", e.message());
        }
        let path = self.queue_path(account_id);
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.clone().into_os_string();
            p.push(suffix);
            match std::fs::remove_file(&p) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(())
    }

    /// After the proxy settings changed: engines with nothing queued or running are let go,
    /// so the next transfer of their account starts over the new proxy. Busy engines keep
    /// their connections until they are idle and renewed again (or the app restarts).
    /// Returns how many were renewed.
    pub async fn renew_idle_engines(&self) -> usize {
        let mut engines = self.engines.lock().await;
        let idle: Vec<String> = engines
            .iter()
            .filter(|(_, e)| {
                e.list().is_ok_and(|items| {
                    !items
                        .iter()
                        .any(|i| matches!(i.state, ItemState::Queued | ItemState::Running))
                })
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in &idle {
            engines.remove(id);
        }
        idle.len()
    }

    /// Stops every engine; unfinished work resumes next time.
    pub async fn shutdown(&self) {
        self.engines.lock().await.clear();
    }
}
