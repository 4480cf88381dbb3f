//! Transfer commands: `put`, `get` and `transfers list|pause|resume|cancel|retry`.
//!
//! The CLI keeps its own queue per account (`<data dir>/transfers/cli-<account>.sqlite3`) so it
//! never runs the same item as a desktop app working on the desktop queue. An interrupted
//! `put`/`get` (Ctrl-C, crash) resumes with `cirrus transfers resume`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use cirrus_core::net::proxy::ProxyConfig;
use cirrus_core::provider::{Provider, RemoteRef};
use cirrus_core::transfer::{
    ConflictPolicy, EngineConfig, EngineEvent, Interrupted, ItemId, ItemKind, ItemState, Selection,
    TransferEngine, TransferItem, TransferOptions, TransferPhase, TransferQueue,
    local_name_differs, part_path,
};
use cirrus_core::{Cirrus, Error, ErrorKind};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::exit;
use crate::output::{Out, human_size};

/// What to do when the destination already has that name.
#[derive(Clone, Copy, ValueEnum)]
pub enum ConflictArg {
    /// Stop with an error for that item (exit code 5).
    Ask,
    /// Replace the existing file.
    Overwrite,
    /// Keep both: the new one gets a free numbered name, `name (1).ext` (on 123pan the server
    /// names it, `name(1).ext`).
    KeepBoth,
    /// Leave the existing file alone.
    Skip,
}

impl From<ConflictArg> for ConflictPolicy {
    fn from(c: ConflictArg) -> Self {
        match c {
            ConflictArg::Ask => ConflictPolicy::Ask,
            ConflictArg::Overwrite => ConflictPolicy::Overwrite,
            ConflictArg::KeepBoth => ConflictPolicy::KeepBoth,
            ConflictArg::Skip => ConflictPolicy::Skip,
        }
    }
}

/// Options shared by `put` and `get`.
#[derive(Args, Clone)]
pub struct TransferOpts {
    /// When the destination already exists.
    #[arg(long, value_enum, default_value = "ask")]
    pub conflict: ConflictArg,
    /// Files transferred at the same time (each slot also takes up to 16 files of 1 MiB or
    /// less, so small files are not held up by round trips).
    #[arg(long, default_value_t = 3)]
    pub parallel: usize,
    /// Bandwidth limit, e.g. 500K, 10M (bytes per second; 0 = none).
    #[arg(long, value_parser = parse_rate, default_value = "0")]
    pub bwlimit: u64,
}

/// `cirrus put LOCAL... REMOTE_FOLDER`.
#[derive(Args)]
pub struct PutArgs {
    /// Local files or folders, then the remote folder (e.g. /Backups).
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub opts: TransferOpts,
}

/// `cirrus get REMOTE... LOCAL_FOLDER`.
#[derive(Args)]
pub struct GetArgs {
    /// Remote files or folders, then the local folder.
    #[arg(required = true, num_args = 2..)]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub opts: TransferOpts,
}

/// `cirrus transfers …`.
#[derive(Args)]
pub struct TransfersArgs {
    #[command(subcommand)]
    pub action: Option<TransfersAction>,
}

/// Queue controls.
#[derive(Subcommand)]
pub enum TransfersAction {
    /// List transfers (the default).
    List,
    /// Pause transfers (a `put`/`get` running in another terminal stops them within a second).
    Pause(Pick),
    /// Resume paused or interrupted transfers (all of them when none is named) and run them
    /// to the end, with the limits they were started with.
    Resume(Pick),
    /// Cancel transfers (server upload sessions and partial downloads are removed).
    Cancel(Pick),
    /// Retry failed or cancelled transfers (all failed ones when none is named) and run them
    /// to the end.
    Retry(Pick),
    /// Remove completed and cancelled transfers from the list.
    Clear,
}

/// Which transfers.
#[derive(Args)]
pub struct Pick {
    /// Transfer ids (see `cirrus transfers list`).
    pub ids: Vec<ItemId>,
    /// All transfers.
    #[arg(long, conflicts_with = "ids")]
    pub all: bool,
}

impl Pick {
    /// The named transfers, or all of them when none is named.
    fn selection(&self) -> Selection {
        if self.all || self.ids.is_empty() {
            Selection::All
        } else {
            Selection::Ids(self.ids.clone())
        }
    }

    /// The named transfers; naming none is a mistake for commands that change many at once.
    fn explicit_selection(&self) -> Result<Selection, Error> {
        if !self.all && self.ids.is_empty() {
            return Err(Error::invalid("Give transfer ids or --all."));
        }
        Ok(self.selection())
    }
}

/// Parses `1500`, `500K`, `10M`, `1G` (binary multiples) into bytes per second.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s
        .trim()
        .trim_end_matches("/s")
        .trim_end_matches(['B', 'b'])
        .trim_end_matches('i');
    let (num, mult) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 1u64 << 10),
        Some('m' | 'M') => (&t[..t.len() - 1], 1 << 20),
        Some('g' | 'G') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("not a rate: {s} (try 500K or 10M)"))?;
    if v < 0.0 {
        return Err("the rate cannot be negative".into());
    }
    Ok((v * mult as f64) as u64)
}

fn queue_for(cirrus: &Cirrus, account_id: &str) -> Result<Arc<TransferQueue>, Error> {
    let path = cirrus
        .data_dir()
        .join("transfers")
        .join(format!("cli-{account_id}.sqlite3"));
    Ok(Arc::new(TransferQueue::open(&path)?))
}

pub(crate) async fn context(
    cirrus: &Cirrus,
    account: Option<&str>,
) -> Result<(Arc<dyn Provider>, Arc<TransferQueue>, ProxyConfig), Error> {
    let a = cirrus.account_or_active(account)?;
    let queue = queue_for(cirrus, &a.id)?;
    let proxy = cirrus.proxy_for(Some(&a.id))?;
    Ok((cirrus.provider(&a.id).await?, queue, proxy))
}

impl TransferOpts {
    fn stored(&self) -> TransferOptions {
        TransferOptions {
            bandwidth_limit: self.bwlimit,
            parallel_files: self.parallel.max(1),
        }
    }
}

/// An engine on the CLI queue. Transfers of a process that is gone wait, paused, for
/// `cirrus transfers resume`: a new `put` never quietly continues an older one.
pub(crate) fn engine(
    provider: Arc<dyn Provider>,
    queue: Arc<TransferQueue>,
    opts: Option<TransferOptions>,
    proxy: ProxyConfig,
) -> Result<TransferEngine, Error> {
    let mut config = EngineConfig {
        interrupted: Interrupted::Pause,
        proxy,
        ..EngineConfig::default()
    };
    if let Some(o) = opts {
        if o.parallel_files > 0 {
            config.parallel_files = o.parallel_files;
        }
        config.upload_limit = o.bandwidth_limit;
        config.download_limit = o.bandwidth_limit;
    }
    TransferEngine::new(provider, queue, config)
}

/// The remote folder at `path`, created with its missing parents (as `mkdir -p`).
async fn ensure_remote_folder(p: &dyn Provider, path: &str) -> Result<RemoteRef, Error> {
    let folder = p.resolve_path(path).await?;
    match p.stat(&folder).await {
        Ok(e) if e.is_folder() => Ok(folder),
        Ok(_) => Err(Error::with_message(
            ErrorKind::AlreadyExists,
            format!("{path} is a file, not a folder."),
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            let names = crate::drive_cmds::folder_names(path);
            if names.is_empty() || path.contains("://") {
                return Err(e);
            }
            Ok(p.create_folders(&p.root(), &names).await?.remote)
        }
        Err(e) => Err(e),
    }
}

/// `cirrus put`.
pub async fn put(
    cirrus: &Cirrus,
    account: Option<&str>,
    a: PutArgs,
    out: Out,
) -> Result<i32, Error> {
    let (p, queue, proxy) = context(cirrus, account).await?;
    let (dest, sources) = a.paths.split_last().expect("clap requires two paths");
    for s in sources {
        if std::fs::symlink_metadata(s).is_err() {
            return Err(Error::invalid(format!("{s} does not exist.")));
        }
    }
    let dest = ensure_remote_folder(p.as_ref(), dest).await?;
    let e = engine(p, queue.clone(), Some(a.opts.stored()), proxy)?;
    let mut ids = Vec::new();
    for s in sources {
        let id = e.enqueue_upload(&PathBuf::from(s), &dest, a.opts.conflict.into())?;
        queue.set_options(id, &a.opts.stored())?;
        ids.push(id);
    }
    run_to_end(&e, &queue, &ids, out).await
}

/// `cirrus get`.
pub async fn get(
    cirrus: &Cirrus,
    account: Option<&str>,
    a: GetArgs,
    out: Out,
) -> Result<i32, Error> {
    let (p, queue, proxy) = context(cirrus, account).await?;
    let (dest, sources) = a.paths.split_last().expect("clap requires two paths");
    let dest = PathBuf::from(dest);
    std::fs::create_dir_all(&dest)?;
    let mut entries = Vec::new();
    for s in sources {
        let r = p.resolve_path(s).await?;
        entries.push(p.stat(&r).await?);
    }
    let e = engine(p, queue.clone(), Some(a.opts.stored()), proxy)?;
    let mut ids = Vec::new();
    for entry in &entries {
        let id = e.enqueue_download(entry, &dest, a.opts.conflict.into())?;
        queue.set_options(id, &a.opts.stored())?;
        ids.push(id);
    }
    run_to_end(&e, &queue, &ids, out).await
}

/// `cirrus transfers …`.
pub async fn transfers(
    cirrus: &Cirrus,
    account: Option<&str>,
    t: TransfersArgs,
    out: Out,
) -> Result<i32, Error> {
    let a = cirrus.account_or_active(account)?;
    let queue = queue_for(cirrus, &a.id)?;
    // Transfers whose process is gone show (and resume) as paused, not as running.
    queue.settle_interrupted(Interrupted::Pause)?;
    match t.action.unwrap_or(TransfersAction::List) {
        TransfersAction::List => {
            let items = queue.list()?;
            out.print(&items, || list_text(&items));
            Ok(exit::OK)
        }
        TransfersAction::Clear => {
            let n = queue.clear_finished()?;
            out.print(&serde_json::json!({ "removed": n }), || {
                format!("Removed {n} transfer(s).")
            });
            Ok(exit::OK)
        }
        TransfersAction::Pause(pick) => {
            let items = picked(&queue, &pick.selection())?;
            let mut parents = std::collections::BTreeSet::new();
            for it in &items {
                // A running one belongs to a live `put`/`get`, which sees the change and stops.
                if matches!(it.state, ItemState::Queued | ItemState::Running) {
                    queue.transition(it.id, ItemState::Paused)?;
                    parents.extend(it.parent_id);
                }
            }
            for parent in parents {
                queue.refresh_folder(parent)?;
            }
            print_items(&queue, &items, out)
        }
        TransfersAction::Cancel(pick) => {
            let items = picked(&queue, &pick.explicit_selection()?)?;
            let p = cirrus.provider(&a.id).await?;
            for it in &items {
                if it.state.is_finished() && it.state != ItemState::Failed {
                    continue;
                }
                if queue.running_elsewhere(it.id)? {
                    // Its process stops it and removes what it left behind.
                    queue.transition(it.id, ItemState::Cancelled)?;
                    continue;
                }
                // Leave nothing behind: the server session, or the partial download.
                if let Some(s) = queue.session(it.id)? {
                    let _ = p.cancel_upload(&s).await;
                }
                let _ = std::fs::remove_file(part_path(&it.local_path));
                queue.reset_transfer_state(it.id)?;
                queue.transition(it.id, ItemState::Cancelled)?;
            }
            print_items(&queue, &items, out)
        }
        TransfersAction::Resume(pick) => {
            let sel = pick.selection();
            let files = picked(&queue, &sel)?;
            let paused: Vec<&TransferItem> = files
                .iter()
                .filter(|i| i.state == ItemState::Paused)
                .collect();
            if paused.is_empty() {
                let failed = files.iter().any(|i| i.state == ItemState::Failed);
                let msg = if failed {
                    "Nothing to resume: those transfers failed. Use `cirrus transfers retry` to try them again."
                } else {
                    "Nothing to resume."
                };
                out.print(&Vec::<TransferItem>::new(), || msg.to_string());
                return Ok(exit::OK);
            }
            let tops = top_ids(&paused);
            let p = cirrus.provider(&a.id).await?;
            let proxy = cirrus.proxy_for(Some(&a.id))?;
            let e = engine(p, queue.clone(), stored_options(&queue, &tops)?, proxy)?;
            e.resume(&Selection::Ids(paused.iter().map(|i| i.id).collect()))
                .await?;
            run_to_end(&e, &queue, &tops, out).await
        }
        TransfersAction::Retry(pick) => {
            let sel = pick.selection();
            let files = picked(&queue, &sel)?;
            let again: Vec<&TransferItem> = files
                .iter()
                .filter(|i| match sel {
                    // Named ones: failed or cancelled; all: only the failed ones.
                    Selection::Ids(_) => {
                        matches!(i.state, ItemState::Failed | ItemState::Cancelled)
                    }
                    Selection::All => i.state == ItemState::Failed,
                })
                .collect();
            let mut tops = top_ids(&again);
            // Folders that failed before their files were listed have no file to retry.
            for f in queue.list()?.iter().filter(|i| {
                i.kind == ItemKind::Folder
                    && i.state == ItemState::Failed
                    && match &sel {
                        Selection::All => true,
                        Selection::Ids(ids) => ids.contains(&i.id),
                    }
            }) {
                if !tops.contains(&f.id) {
                    tops.push(f.id);
                }
            }
            if tops.is_empty() {
                out.print(&Vec::<TransferItem>::new(), || {
                    "Nothing to retry.".to_string()
                });
                return Ok(exit::OK);
            }
            let p = cirrus.provider(&a.id).await?;
            let proxy = cirrus.proxy_for(Some(&a.id))?;
            let e = engine(p, queue.clone(), stored_options(&queue, &tops)?, proxy)?;
            let mut ids: Vec<ItemId> = again.iter().map(|i| i.id).collect();
            ids.extend(&tops);
            e.retry(&Selection::Ids(ids)).await?;
            run_to_end(&e, &queue, &tops, out).await
        }
    }
}

/// The top-level transfers (folders or single files) the given files belong to.
fn top_ids(files: &[&TransferItem]) -> Vec<ItemId> {
    let mut tops: Vec<ItemId> = files.iter().map(|i| i.parent_id.unwrap_or(i.id)).collect();
    tops.sort_unstable();
    tops.dedup();
    tops
}

/// The options the transfers were started with; when they differ, the strictest of them.
fn stored_options(
    queue: &TransferQueue,
    tops: &[ItemId],
) -> Result<Option<TransferOptions>, Error> {
    let mut all = Vec::new();
    for id in tops {
        if let Some(o) = queue.options(*id)? {
            all.push(o);
        }
    }
    Ok(TransferOptions::strictest(&all))
}

fn picked(queue: &TransferQueue, sel: &Selection) -> Result<Vec<TransferItem>, Error> {
    Ok(queue
        .list()?
        .into_iter()
        .filter(|i| match sel {
            Selection::All => true,
            Selection::Ids(ids) => {
                ids.contains(&i.id) || i.parent_id.is_some_and(|p| ids.contains(&p))
            }
        })
        // Files, and folders still to be listed (their files are not known yet).
        .filter(|i| i.kind == ItemKind::File || !queue.is_prepared(i.id).unwrap_or(true))
        .collect())
}

fn print_items(queue: &TransferQueue, items: &[TransferItem], out: Out) -> Result<i32, Error> {
    let now: Vec<TransferItem> = items.iter().filter_map(|i| queue.get(i.id).ok()).collect();
    out.print(&now, || list_text(&now));
    Ok(exit::OK)
}

fn state_word(s: ItemState) -> &'static str {
    match s {
        ItemState::Queued => "queued",
        ItemState::Running => "running",
        ItemState::Paused => "paused",
        ItemState::Completed => "done",
        ItemState::Failed => "failed",
        ItemState::Cancelled => "cancelled",
    }
}

fn list_text(items: &[TransferItem]) -> String {
    if items.is_empty() {
        return "No transfers.".into();
    }
    items
        .iter()
        .map(|i| {
            let arrow = match i.direction {
                cirrus_core::transfer::Direction::Upload => "↑",
                cirrus_core::transfer::Direction::Download => "↓",
            };
            let indent = if i.parent_id.is_some() { "    " } else { "" };
            let mut line = format!(
                "{indent}{:>4} {arrow} {:<9} {:>10}/{:<10} {}",
                i.id,
                state_word(i.state),
                human_size(i.bytes_done),
                human_size(i.size),
                if i.parent_id.is_some() {
                    i.name.clone()
                } else {
                    i.local_path.display().to_string()
                }
            );
            if i.skipped {
                line.push_str("  (skipped: already exists)");
            }
            if i.instant {
                line.push_str("  (instant upload: the server already had it)");
            }
            if let Some(e) = &i.error {
                line.push_str(&format!("  error: {e}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the engine until idle, showing one progress bar per top-level item. Ctrl-C pauses the
/// batch cleanly (progress recorded) for `cirrus transfers resume`; a second Ctrl-C quits at once.
pub(crate) async fn run_to_end(
    e: &TransferEngine,
    queue: &TransferQueue,
    ids: &[ItemId],
    out: Out,
) -> Result<i32, Error> {
    let bars = (!out.json).then(MultiProgress::new);
    let style = ProgressStyle::with_template(
        "{msg:30!} {bar:30} {bytes:>10}/{total_bytes:<10} {bytes_per_sec:>12} {eta:>4}",
    )
    .expect("valid template");
    let mut by_id: HashMap<ItemId, ProgressBar> = HashMap::new();
    if let Some(m) = &bars {
        for id in ids {
            let item = queue.get(*id)?;
            let bar = m.add(ProgressBar::new(item.size));
            bar.set_style(style.clone());
            bar.set_message(item.name.clone());
            // A resumed transfer starts where it stopped; its speed counts from here.
            bar.set_position(item.bytes_done);
            bar.reset_eta();
            by_id.insert(*id, bar);
        }
    }
    let mut events = e.subscribe();
    // Per folder: bytes done of each of its files (events carry the parent, so no queue reads).
    let mut child_bytes: HashMap<ItemId, HashMap<ItemId, u64>> = HashMap::new();
    let done = e.wait_idle();
    tokio::pin!(done);
    let mut interrupted = false;
    loop {
        tokio::select! {
            r = &mut done => { r?; break; }
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                if !out.json {
                    eprintln!("Stopping… (press Ctrl-C again to quit at once)");
                }
                tokio::spawn(async {
                    if tokio::signal::ctrl_c().await.is_ok() {
                        std::process::exit(exit::INTERRUPTED);
                    }
                });
                // Paused items stop after recording their progress; `done` then completes.
                e.pause(&Selection::Ids(ids.to_vec())).await?;
            }
            ev = events.recv() => {
                // A bulk state change moves no bar.
                let Ok(EngineEvent::Item(ev)) = ev else { continue };
                let top = ev.parent_id.unwrap_or(ev.id);
                let Some(bar) = by_id.get(&top) else { continue };
                let checking = ev.phase == TransferPhase::Checking && ev.state == ItemState::Running;
                if ev.parent_id.is_none() {
                    // A file read through to hash it before its upload: the bar shows that pass.
                    bar.set_message(if checking {
                        format!("checking {}", ev.name)
                    } else {
                        ev.name.clone()
                    });
                }
                if checking && ev.parent_id.is_none() {
                    bar.set_position(ev.checked_bytes);
                } else if let Some(parent) = ev.parent_id {
                    let files = child_bytes.entry(parent).or_default();
                    files.insert(ev.id, ev.progress.bytes_done);
                    let sum: u64 = files.values().sum();
                    if let Ok(folder) = queue.get(parent) { bar.set_length(folder.size); }
                    bar.set_position(sum);
                } else {
                    bar.set_length(ev.progress.total.max(bar.length().unwrap_or(0)));
                    bar.set_position(ev.progress.bytes_done);
                }
            }
        }
    }
    for (id, bar) in &by_id {
        // A bar that did not get to the end stays where it stopped.
        match queue.get(*id).map(|i| i.state) {
            Ok(ItemState::Completed) => bar.finish(),
            _ => bar.abandon(),
        }
    }
    let report = BatchReport::collect(queue, ids)?;
    out.print(&report.json(), || report.text());
    Ok(if interrupted {
        exit::INTERRUPTED
    } else {
        report.exit_code()
    })
}

/// The local file name a download was written under.
fn saved_as(f: &TransferItem) -> String {
    f.local_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// How a batch of transfers ended, file by file.
struct BatchReport {
    /// The top-level items as they are now.
    items: Vec<TransferItem>,
    /// Every file of the batch (single files and the files of folders).
    files: Vec<TransferItem>,
    /// Top-level folders that failed before their files were known.
    failed_folders: Vec<TransferItem>,
}

impl BatchReport {
    fn collect(queue: &TransferQueue, ids: &[ItemId]) -> Result<Self, Error> {
        let mut items = Vec::new();
        let mut files = Vec::new();
        let mut failed_folders = Vec::new();
        for id in ids {
            let tree = queue.subtree(*id)?;
            let Some(top) = tree.first().cloned() else {
                continue;
            };
            let mut has_files = false;
            for i in tree.into_iter().filter(|i| i.kind == ItemKind::File) {
                has_files = true;
                files.push(i);
            }
            if top.kind == ItemKind::Folder && top.state == ItemState::Failed && !has_files {
                failed_folders.push(top.clone());
            }
            items.push(top);
        }
        Ok(Self {
            items,
            files,
            failed_folders,
        })
    }

    /// Files and folders that did not transfer, with their reasons.
    fn failures(&self) -> impl Iterator<Item = &TransferItem> {
        self.files
            .iter()
            .filter(|i| i.state == ItemState::Failed)
            .chain(self.failed_folders.iter())
    }

    /// Downloaded files whose local name differs from the server's (characters the disk
    /// cannot hold, or too long for it).
    fn renamed(&self) -> impl Iterator<Item = &TransferItem> {
        self.files.iter().filter(|f| {
            f.direction == cirrus_core::transfer::Direction::Download
                && f.state == ItemState::Completed
                && !f.skipped
                && local_name_differs(&f.name)
        })
    }

    fn unfinished(&self) -> usize {
        self.files.iter().filter(|i| !i.state.is_finished()).count()
            + self
                .items
                .iter()
                .filter(|i| i.kind == ItemKind::Folder && !i.state.is_finished())
                .filter(|i| !self.files.iter().any(|f| f.parent_id == Some(i.id)))
                .count()
    }

    /// 0 when everything transferred; 11 when some were paused before the end; 9 when some
    /// failed and others went through; when all failed, the code of the first failure.
    fn exit_code(&self) -> i32 {
        if self.unfinished() > 0 {
            return exit::INTERRUPTED;
        }
        let failed: Vec<&TransferItem> = self.failures().collect();
        let succeeded = self
            .files
            .iter()
            .filter(|i| i.state == ItemState::Completed)
            .count();
        match (failed.first(), succeeded) {
            (None, _) if self.items.iter().all(|i| i.state == ItemState::Completed) => exit::OK,
            (None, _) => exit::FAILURE,
            (Some(_), n) if n > 0 => exit::PARTIAL,
            (Some(first), _) => first
                .error_kind
                .as_deref()
                .map(kind_exit)
                .unwrap_or(exit::FAILURE),
        }
    }

    /// The top-level items, each with the files that failed below it and why.
    fn json(&self) -> serde_json::Value {
        let items = self
            .items
            .iter()
            .map(|top| {
                let mut v = serde_json::to_value(top).unwrap_or_default();
                let failed: Vec<serde_json::Value> = self
                    .files
                    .iter()
                    .filter(|f| f.parent_id == Some(top.id) && f.state == ItemState::Failed)
                    .map(|f| {
                        serde_json::json!({
                            "id": f.id,
                            "name": f.name,
                            "localPath": f.local_path,
                            "remote": f.remote,
                            "error": f.error,
                            "errorKind": f.error_kind,
                        })
                    })
                    .collect();
                if top.kind == ItemKind::Folder {
                    v["failedFiles"] = serde_json::Value::Array(failed);
                }
                let renamed: Vec<serde_json::Value> = self
                    .renamed()
                    .filter(|f| f.id == top.id || f.parent_id == Some(top.id))
                    .map(|f| serde_json::json!({ "name": f.name, "savedAs": saved_as(f) }))
                    .collect();
                if top.direction == cirrus_core::transfer::Direction::Download {
                    v["renamed"] = serde_json::Value::Array(renamed);
                }
                v
            })
            .collect();
        serde_json::Value::Array(items)
    }

    fn text(&self) -> String {
        let mut text = list_text(&self.items);
        let failed: Vec<&TransferItem> = self
            .failures()
            .filter(|f| f.parent_id.is_some() || f.kind == ItemKind::Folder)
            .collect();
        if !failed.is_empty() {
            let total = self.files.len();
            text.push_str(&format!("\n{} of {total} file(s) failed:", failed.len()));
            for f in failed {
                let path = if f.direction == cirrus_core::transfer::Direction::Upload {
                    f.local_path.display().to_string()
                } else {
                    f.name.clone()
                };
                text.push_str(&format!(
                    "\n  {path}: {}",
                    f.error.as_deref().unwrap_or("unknown error")
                ));
            }
        }
        let renamed: Vec<&TransferItem> = self.renamed().collect();
        if !renamed.is_empty() {
            text.push_str(&format!(
                "\n{} name(s) changed to fit the local disk:",
                renamed.len()
            ));
            for f in renamed {
                text.push_str(&format!("\n  {} → saved as {}", f.name, saved_as(f)));
            }
        }
        let unfinished = self.unfinished();
        if unfinished > 0 {
            text.push_str(&format!(
                "\n{unfinished} transfer(s) paused before the end. Resume with `cirrus transfers resume`."
            ));
        }
        text
    }
}

/// Exit code for a stored error kind string (the queue keeps `ErrorKind::as_str`).
fn kind_exit(kind: &str) -> i32 {
    use ErrorKind::*;
    let kinds = [
        NotFound,
        AlreadyExists,
        LockConflict,
        QuotaExceeded,
        FileTooLarge,
        InvalidName,
        PermissionDenied,
        UploadSessionExpired,
        SignInAgain,
        Timeout,
        Network,
        Unreachable,
        Server,
        Protocol,
        RateLimited,
        Io,
        Cancelled,
        InvalidInput,
        Unsupported,
    ];
    kinds
        .into_iter()
        .find(|k| k.as_str() == kind)
        .map(exit::for_kind)
        .unwrap_or(exit::FAILURE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_with_binary_suffixes() {
        assert_eq!(parse_rate("0"), Ok(0));
        assert_eq!(parse_rate("1500"), Ok(1500));
        assert_eq!(parse_rate("500K"), Ok(500 * 1024));
        assert_eq!(parse_rate("10M"), Ok(10 << 20));
        assert_eq!(parse_rate("1.5MiB/s"), Ok(3 << 19));
        assert!(parse_rate("fast").is_err());
    }
}
