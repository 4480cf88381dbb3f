//! Transfer commands: `put`, `get` and `transfers list|pause|resume|cancel|retry`.
//!
//! The CLI keeps its own queue per account (`<data dir>/transfers/cli-<account>.sqlite3`) so it
//! never runs the same item as a desktop app working on the desktop queue. An interrupted
//! `put`/`get` (Ctrl-C, crash) resumes with `cirrus transfers resume`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use cirrus_core::provider::Provider;
use cirrus_core::transfer::{
    ConflictPolicy, EngineConfig, ItemId, ItemKind, ItemState, Selection, TransferEngine,
    TransferItem, TransferQueue, part_path,
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
    /// Keep both: the new one becomes `name (1).ext`.
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
    /// Files transferred at the same time.
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
    /// Pause queued transfers.
    Pause(Pick),
    /// Resume paused or interrupted transfers and run them to the end.
    Resume(Pick),
    /// Cancel transfers (server upload sessions and partial downloads are removed).
    Cancel(Pick),
    /// Retry failed or cancelled transfers and run them to the end.
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
    fn selection(&self) -> Result<Selection, Error> {
        if self.all {
            Ok(Selection::All)
        } else if self.ids.is_empty() {
            Err(Error::invalid("Give transfer ids or --all."))
        } else {
            Ok(Selection::Ids(self.ids.clone()))
        }
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

async fn context(
    cirrus: &Cirrus,
    account: Option<&str>,
) -> Result<(Arc<dyn Provider>, Arc<TransferQueue>), Error> {
    let a = cirrus.account_or_active(account)?;
    let queue = queue_for(cirrus, &a.id)?;
    Ok((cirrus.provider(&a.id).await?, queue))
}

fn engine(
    provider: Arc<dyn Provider>,
    queue: Arc<TransferQueue>,
    opts: Option<&TransferOpts>,
) -> Result<TransferEngine, Error> {
    let mut config = EngineConfig::default();
    if let Some(o) = opts {
        config.parallel_files = o.parallel.max(1);
        config.upload_limit = o.bwlimit;
        config.download_limit = o.bwlimit;
    }
    TransferEngine::new(provider, queue, config)
}

/// `cirrus put`.
pub async fn put(
    cirrus: &Cirrus,
    account: Option<&str>,
    a: PutArgs,
    out: Out,
) -> Result<i32, Error> {
    let (p, queue) = context(cirrus, account).await?;
    let (dest, sources) = a.paths.split_last().expect("clap requires two paths");
    let dest = p.resolve_path(dest).await?;
    let e = engine(p, queue.clone(), Some(&a.opts))?;
    let mut ids = Vec::new();
    for s in sources {
        ids.push(e.enqueue_upload(&PathBuf::from(s), &dest, a.opts.conflict.into())?);
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
    let (p, queue) = context(cirrus, account).await?;
    let (dest, sources) = a.paths.split_last().expect("clap requires two paths");
    let dest = PathBuf::from(dest);
    std::fs::create_dir_all(&dest)?;
    let mut entries = Vec::new();
    for s in sources {
        let r = p.resolve_path(s).await?;
        entries.push(p.stat(&r).await?);
    }
    let e = engine(p, queue.clone(), Some(&a.opts))?;
    let mut ids = Vec::new();
    for entry in &entries {
        ids.push(e.enqueue_download(entry, &dest, a.opts.conflict.into())?);
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
            let ids = picked(&queue, &pick.selection()?)?;
            for it in &ids {
                if it.state == ItemState::Queued {
                    queue.transition(it.id, ItemState::Paused)?;
                }
            }
            print_items(&queue, &ids, out)
        }
        TransfersAction::Cancel(pick) => {
            let items = picked(&queue, &pick.selection()?)?;
            let p = cirrus.provider(&a.id).await?;
            for it in &items {
                if it.state.is_finished() && it.state != ItemState::Failed {
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
        TransfersAction::Resume(pick) | TransfersAction::Retry(pick) => {
            let sel = pick.selection()?;
            let p = cirrus.provider(&a.id).await?;
            let e = engine(p, queue.clone(), None)?;
            e.resume(&sel).await?;
            e.retry(&sel).await?;
            let ids = match &sel {
                Selection::All => queue
                    .list()?
                    .iter()
                    .filter(|i| i.parent_id.is_none())
                    .map(|i| i.id)
                    .collect(),
                Selection::Ids(ids) => ids.clone(),
            };
            run_to_end(&e, &queue, &ids, out).await
        }
    }
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
        .filter(|i| i.kind == ItemKind::File)
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
            if let Some(e) = &i.error {
                line.push_str(&format!("  error: {e}"));
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs the engine until idle, showing one progress bar per top-level item.
async fn run_to_end(
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
            by_id.insert(*id, bar);
        }
    }
    let mut events = e.subscribe();
    // Per folder: bytes done of each of its files (events carry the parent, so no queue reads).
    let mut child_bytes: HashMap<ItemId, HashMap<ItemId, u64>> = HashMap::new();
    let done = e.wait_idle();
    tokio::pin!(done);
    loop {
        tokio::select! {
            r = &mut done => { r?; break; }
            ev = events.recv() => {
                let Ok(ev) = ev else { continue };
                let top = ev.parent_id.unwrap_or(ev.id);
                let Some(bar) = by_id.get(&top) else { continue };
                if let Some(parent) = ev.parent_id {
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
    for bar in by_id.values() {
        bar.finish();
    }
    let items: Vec<TransferItem> = ids.iter().filter_map(|id| queue.get(*id).ok()).collect();
    out.print(&items, || list_text(&items));
    let failed: Vec<&TransferItem> = items
        .iter()
        .filter(|i| i.state != ItemState::Completed)
        .collect();
    Ok(match failed.len() {
        0 => exit::OK,
        n if n == items.len() => failed[0]
            .error_kind
            .as_deref()
            .map(kind_exit)
            .unwrap_or(exit::FAILURE),
        _ => exit::PARTIAL,
    })
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
