//! Transfers: planning uploads from native dialogs or OS drops (conflicts found before any byte
//! is sent), downloads, the transfer list with live events, and pause/resume/cancel/retry.

use crate::dto::{
    ConflictDecisionDto, ConflictDto, PlannedUploadDto, TransferDto, TransferEventDto,
};
use crate::error::{CmdResult, CommandError};
use crate::state::{AppState, LastFolder, UploadPlan, lock};
use cirrus_core::provider::RemoteRef;
use cirrus_core::settings::ConflictPreference;
use cirrus_core::transfer::{
    ConflictPolicy, Direction, EngineEvent, ItemId, ItemKind, ItemState, Progress, TransferEvent,
    TransferPhase, local_name_differs, sanitize_component,
};
use cirrus_core::transfer_hub::{HubEvent, HubItem, HubReceiver, HubSelection, TransferHub};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_dialog::DialogExt;

/// The UI's id of an item: `<account id>:<item id>`.
pub fn transfer_id(account_id: &str, id: ItemId) -> String {
    format!("{account_id}:{id}")
}

fn parse_id(id: &str) -> CmdResult<(String, ItemId)> {
    let (account, item) = id
        .rsplit_once(':')
        .ok_or_else(|| CommandError::new("invalidInput", format!("Not a transfer id: {id:?}")))?;
    let item = item
        .parse()
        .map_err(|_| CommandError::new("invalidInput", format!("Not a transfer id: {id:?}")))?;
    Ok((account.to_string(), item))
}

/// An empty list means every transfer.
fn selection(ids: Vec<String>) -> CmdResult<HubSelection> {
    if ids.is_empty() {
        return Ok(HubSelection::All);
    }
    Ok(HubSelection::Items(
        ids.iter()
            .map(|id| parse_id(id))
            .collect::<CmdResult<_>>()?,
    ))
}

fn state_str(s: ItemState) -> &'static str {
    match s {
        ItemState::Queued => "queued",
        ItemState::Running => "running",
        ItemState::Paused => "paused",
        ItemState::Completed => "completed",
        ItemState::Failed => "failed",
        ItemState::Cancelled => "cancelled",
    }
}

fn phase_str(p: TransferPhase) -> &'static str {
    match p {
        TransferPhase::Transfer => "transfer",
        TransferPhase::Checking => "checking",
        TransferPhase::Instant => "instant",
    }
}

fn direction_str(d: Direction) -> &'static str {
    match d {
        Direction::Upload => "upload",
        Direction::Download => "download",
    }
}

fn policy(choice: &str) -> CmdResult<ConflictPolicy> {
    Ok(match choice {
        "overwrite" => ConflictPolicy::Overwrite,
        "keepBoth" => ConflictPolicy::KeepBoth,
        "skip" => ConflictPolicy::Skip,
        other => {
            return Err(CommandError::new(
                "invalidInput",
                format!("Unknown conflict choice {other:?}."),
            ));
        }
    })
}

/// Top-level rows: a folder item shows the totals of the files below it.
pub fn rows(items: &[HubItem]) -> Vec<TransferDto> {
    let mut children: HashMap<(&str, ItemId), Vec<&HubItem>> = HashMap::new();
    for h in items {
        if let Some(parent) = h.item.parent_id {
            children
                .entry((h.account_id.as_str(), parent))
                .or_default()
                .push(h);
        }
    }
    fn totals(h: &HubItem, children: &HashMap<(&str, ItemId), Vec<&HubItem>>) -> (u64, u64) {
        if h.item.kind == ItemKind::File {
            return (h.item.bytes_done.min(h.item.size), h.item.size);
        }
        children
            .get(&(h.account_id.as_str(), h.item.id))
            .map(|kids| {
                kids.iter()
                    .map(|k| totals(k, children))
                    .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1))
            })
            .unwrap_or((0, 0))
    }
    let renamed = |h: &HubItem| -> bool {
        h.item.direction == Direction::Download
            && h.item.kind == ItemKind::File
            && local_name_differs(&h.item.name)
    };
    items
        .iter()
        .filter(|h| h.item.parent_id.is_none())
        .map(|h| {
            let (done, total) = totals(h, &children);
            let renamed_files = children
                .get(&(h.account_id.as_str(), h.item.id))
                .map(|kids| kids.iter().filter(|k| renamed(k)).count() as u32)
                .unwrap_or(0);
            TransferDto {
                id: transfer_id(&h.account_id, h.item.id),
                direction: direction_str(h.item.direction).into(),
                name: h.item.name.clone(),
                state: state_str(h.item.state).into(),
                bytes_done: done,
                bytes_total: total,
                speed_bps: 0.0,
                eta_seconds: None,
                error: h.item.error.clone(),
                saved_as: renamed(h).then(|| {
                    h.item
                        .local_path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                }),
                renamed_files,
                phase: if h.item.instant {
                    "instant"
                } else {
                    "transfer"
                }
                .into(),
                checked_bytes: 0,
            }
        })
        .collect()
}

/// A row straight from an engine event of a top-level file.
pub fn row_from_event(account_id: &str, e: &TransferEvent) -> TransferDto {
    let Progress {
        bytes_done,
        total,
        bytes_per_sec,
        eta_secs,
    } = e.progress;
    TransferDto {
        id: transfer_id(account_id, e.id),
        direction: direction_str(e.direction).into(),
        name: e.name.clone(),
        state: state_str(e.state).into(),
        bytes_done: bytes_done.min(total.max(bytes_done)),
        bytes_total: total,
        speed_bps: if e.state == ItemState::Running {
            bytes_per_sec
        } else {
            0.0
        },
        eta_seconds: if e.state == ItemState::Running {
            eta_secs
        } else {
            None
        },
        error: e.error.clone(),
        // Events carry the server's name; the local one follows from it.
        saved_as: (e.direction == Direction::Download && local_name_differs(&e.name))
            .then(|| sanitize_component(&e.name)),
        renamed_files: 0,
        phase: phase_str(e.phase).into(),
        checked_bytes: e.checked_bytes,
    }
}

fn local_size(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| local_size(&e.path())).sum())
            .unwrap_or(0)
    } else if meta.is_file() {
        meta.len()
    } else {
        0
    }
}

/// Plans the upload of local `paths` into `parent_uri`: conflicts are found and sizes added up
/// before any byte is sent; the plan waits in the state for `transfers_start_upload`.
pub(crate) async fn plan(
    state: &AppState,
    account_id: String,
    parent_uri: String,
    paths: Vec<PathBuf>,
) -> CmdResult<PlannedUploadDto> {
    let parent = RemoteRef(parent_uri);
    let engine = state.hub.engine(&account_id).await?;
    let conflicts = engine.plan_upload(&paths, &parent).await?;
    let for_size = paths.clone();
    let bytes =
        tauri::async_runtime::spawn_blocking(move || for_size.iter().map(|p| local_size(p)).sum())
            .await
            .map_err(|e| CommandError::new("io", e.to_string()))?;
    let plan_id = uuid_like();
    let dto = PlannedUploadDto {
        plan_id: plan_id.clone(),
        items: paths.len() as u32,
        bytes,
        conflicts: conflicts
            .iter()
            .map(|c| ConflictDto {
                name: c.name.clone(),
                uri: c.name.clone(),
            })
            .collect(),
    };
    let conflicts = conflicts
        .into_iter()
        .map(|c| (PathBuf::from(c.source), c.name))
        .collect();
    lock(&state.plans).insert(
        plan_id,
        UploadPlan {
            account_id,
            parent,
            paths,
            conflicts,
        },
    );
    Ok(dto)
}

fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "plan-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Opens a native picker (files, or one folder) and plans their upload into `parent_uri`.
#[tauri::command]
pub async fn transfers_pick_upload<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account_id: String,
    parent_uri: String,
    folders: bool,
) -> CmdResult<Option<PlannedUploadDto>> {
    let picked = tauri::async_runtime::spawn_blocking(move || {
        let dialog = app.dialog().file();
        if folders {
            dialog.blocking_pick_folder().map(|p| vec![p])
        } else {
            dialog.blocking_pick_files()
        }
    })
    .await
    .map_err(|e| CommandError::new("io", e.to_string()))?;
    let paths: Vec<PathBuf> = picked
        .unwrap_or_default()
        .into_iter()
        .filter_map(|p| p.into_path().ok())
        .collect();
    if paths.is_empty() {
        return Ok(None);
    }
    Ok(Some(plan(&state, account_id, parent_uri, paths).await?))
}

/// Plans the upload of what was last dropped onto the window.
#[tauri::command]
pub async fn transfers_plan_drop(
    state: State<'_, AppState>,
    account_id: String,
    parent_uri: String,
) -> CmdResult<Option<PlannedUploadDto>> {
    let paths = std::mem::take(&mut *lock(&state.dropped));
    if paths.is_empty() {
        return Ok(None);
    }
    Ok(Some(plan(&state, account_id, parent_uri, paths).await?))
}

/// Queues a planned upload with the user's answer to conflicts (plan-wide plus per-name exceptions).
#[tauri::command]
pub async fn transfers_start_upload(
    state: State<'_, AppState>,
    plan_id: String,
    conflict: String,
    decisions: Option<Vec<ConflictDecisionDto>>,
) -> CmdResult<()> {
    // Read the answers before taking the plan, so a bad answer leaves the plan to answer again.
    let default = policy(&conflict)?;
    let mut by_name = HashMap::new();
    for d in decisions.unwrap_or_default() {
        by_name.insert(d.uri, policy(&d.conflict)?);
    }
    let plan = lock(&state.plans).remove(&plan_id).ok_or_else(|| {
        CommandError::new(
            "notFound",
            "This upload was already started or has expired.",
        )
    })?;
    let engine = state.hub.engine(&plan.account_id).await?;
    state.remember_upload_folder(&LastFolder {
        account_id: plan.account_id.clone(),
        uri: plan.parent.0.clone(),
    });
    for path in &plan.paths {
        let choice = plan
            .conflicts
            .get(path)
            .and_then(|name| by_name.get(name))
            .copied()
            .unwrap_or(default);
        engine.enqueue_upload(path, &plan.parent, choice)?;
    }
    Ok(())
}

/// Where a download goes and how it treats a local file of the same name: the default folder
/// or one the user picks (`None` when the picker was cancelled), created if missing.
pub(crate) async fn download_destination<R: Runtime>(
    app: AppHandle<R>,
    state: &AppState,
    to_default_folder: bool,
) -> CmdResult<Option<(PathBuf, ConflictPolicy)>> {
    let settings = state.settings();
    let dest = if to_default_folder {
        PathBuf::from(&settings.download_folder)
    } else {
        let picked = tauri::async_runtime::spawn_blocking(move || {
            app.dialog().file().blocking_pick_folder()
        })
        .await
        .map_err(|e| CommandError::new("io", e.to_string()))?;
        match picked.and_then(|p| p.into_path().ok()) {
            Some(p) => p,
            None => return Ok(None),
        }
    };
    std::fs::create_dir_all(&dest).map_err(|e| {
        CommandError::new(
            "io",
            format!("Cannot use {} for downloads: {e}", dest.display()),
        )
    })?;
    // A download never replaces a local file unless the user said so in the settings.
    let choice = match settings.conflict_policy {
        ConflictPreference::Overwrite => ConflictPolicy::Overwrite,
        ConflictPreference::Skip => ConflictPolicy::Skip,
        ConflictPreference::KeepBoth | ConflictPreference::Ask => ConflictPolicy::KeepBoth,
    };
    Ok(Some((dest, choice)))
}

/// Downloads items into the default folder, or into one the user picks.
#[tauri::command]
pub async fn transfers_download<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account_id: String,
    uris: Vec<String>,
    to_default_folder: bool,
) -> CmdResult<()> {
    let Some((dest, choice)) = download_destination(app, &state, to_default_folder).await? else {
        return Ok(());
    };
    let provider = state.provider(&account_id).await?;
    let engine = state.hub.engine(&account_id).await?;
    for uri in uris {
        let entry = provider.stat(&RemoteRef(uri)).await?;
        engine.enqueue_download(&entry, &dest, choice)?;
    }
    Ok(())
}

/// Every transfer row.
#[tauri::command]
pub async fn transfers_list(state: State<'_, AppState>) -> CmdResult<Vec<TransferDto>> {
    Ok(rows(&state.hub.list().await?))
}

/// How often a folder's row follows the progress of its files.
const FOLDER_ROW_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

/// When each folder's row was last recomputed: a folder of thousands of files sends progress
/// for every one of them, and the row is a query over the whole folder.
#[derive(Default)]
struct FolderRowThrottle(HashMap<String, std::time::Instant>);

impl FolderRowThrottle {
    /// Whether to recompute `root`'s row now. Progress of a file inside it waits for
    /// [`FOLDER_ROW_INTERVAL`]; anything else (the folder's own events, which follow each file
    /// that ends, and files changing state) always goes through.
    fn due(&mut self, root: &str, file_progress: bool, now: std::time::Instant) -> bool {
        let recent = self
            .0
            .get(root)
            .is_some_and(|t| now.saturating_duration_since(*t) < FOLDER_ROW_INTERVAL);
        if file_progress && recent {
            return false;
        }
        self.0.insert(root.to_string(), now);
        true
    }
}

/// Streams row updates to the UI until the window goes away.
#[tauri::command]
pub async fn transfers_subscribe(
    state: State<'_, AppState>,
    on_event: Channel<TransferEventDto>,
) -> CmdResult<()> {
    let rx = state.hub.subscribe();
    let hub = state.hub.clone();
    tauri::async_runtime::spawn(relay_events(hub, rx, move |message| {
        on_event.send(message).is_ok()
    }));
    Ok(())
}

/// How long the relay gathers events before sending them as one message. Each channel
/// message costs the webview a task of its own: pausing 10 000 files one message per row
/// took minutes to show (measured by the UI bench).
const BATCH_WINDOW: std::time::Duration = std::time::Duration::from_millis(25);

/// Turns hub events into row messages for the UI and hands them to `send` until it returns
/// false or the hub goes away. Events arriving together go out as one `Batch`; many items
/// changing state at once go out as one `States` (at once, without waiting for the window).
/// When events were lost on the way (a burst such as 10 000 files queued at once), the UI gets
/// one `Snapshot` of every row instead, so no row stays stale.
pub async fn relay_events(
    hub: Arc<TransferHub>,
    mut rx: HubReceiver,
    mut send: impl FnMut(TransferEventDto) -> bool,
) {
    use tokio::sync::broadcast::error::RecvError;
    let mut throttle = FolderRowThrottle::default();
    loop {
        let mut events = Vec::new();
        let mut lost = false;
        let mut closed = false;
        match rx.recv().await {
            Ok(e) => events.push(e),
            Err(RecvError::Lagged(_)) => lost = true,
            Err(RecvError::Closed) => return,
        }
        let deadline = tokio::time::Instant::now() + BATCH_WINDOW;
        while !events.last().is_some_and(is_bulk) {
            let Ok(next) = tokio::time::timeout_at(deadline, rx.recv()).await else {
                break;
            };
            match next {
                // After a loss the list read below is newer than anything gathered.
                Ok(e) if !lost => events.push(e),
                Ok(_) => {}
                Err(RecvError::Lagged(_)) => {
                    lost = true;
                    events.clear();
                }
                Err(RecvError::Closed) => {
                    closed = true;
                    break;
                }
            }
        }
        let messages = if lost {
            let started = std::time::Instant::now();
            let Ok(items) = hub.list().await else {
                continue;
            };
            let transfers = rows(&items);
            tracing::debug!(
                rows = transfers.len(),
                build_ms = started.elapsed().as_millis() as u64,
                "events lost in a burst: sending a snapshot"
            );
            vec![TransferEventDto::Snapshot { transfers }]
        } else {
            messages_for(&hub, &mut throttle, &events).await
        };
        for message in messages {
            if !send(message) {
                return;
            }
        }
        if closed {
            return;
        }
    }
}

fn is_bulk(event: &HubEvent) -> bool {
    matches!(event.event, EngineEvent::States { .. })
}

/// The messages for events gathered together, in their order: row updates as one `Batch`
/// (each row once, with its latest state) between bulk state changes.
async fn messages_for(
    hub: &TransferHub,
    throttle: &mut FolderRowThrottle,
    events: &[HubEvent],
) -> Vec<TransferEventDto> {
    fn flush(batch: &mut Vec<TransferDto>, out: &mut Vec<TransferEventDto>) {
        let mut rows = std::mem::take(batch);
        match rows.len() {
            0 => {}
            1 => out.extend(
                rows.pop()
                    .map(|transfer| TransferEventDto::Update { transfer }),
            ),
            _ => out.push(TransferEventDto::Batch { transfers: rows }),
        }
    }
    let mut out = Vec::new();
    let mut batch: Vec<TransferDto> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for HubEvent { account_id, event } in events {
        match event {
            EngineEvent::Item(e) => {
                if let Some(row) = row_for(hub, throttle, account_id, e).await {
                    match at.get(&row.id) {
                        Some(&i) => batch[i] = row,
                        None => {
                            at.insert(row.id.clone(), batch.len());
                            batch.push(row);
                        }
                    }
                }
            }
            EngineEvent::States { ids, state } => {
                flush(&mut batch, &mut out);
                at.clear();
                out.push(TransferEventDto::States {
                    ids: ids.iter().map(|id| transfer_id(account_id, *id)).collect(),
                    state: state_str(*state).into(),
                });
            }
        }
    }
    flush(&mut batch, &mut out);
    out
}

/// The row an event changes: the item's own for a top-level file, else its folder's totals
/// (file progress inside a folder at most every [`FOLDER_ROW_INTERVAL`]).
async fn row_for(
    hub: &TransferHub,
    throttle: &mut FolderRowThrottle,
    account_id: &str,
    event: &TransferEvent,
) -> Option<TransferDto> {
    if event.parent_id.is_none() && event.progress.total > 0 {
        return Some(row_from_event(account_id, event));
    }
    let folder = event.parent_id.unwrap_or(event.id);
    let root = transfer_id(account_id, folder);
    let file_progress = event.parent_id.is_some() && event.state == ItemState::Running;
    if !throttle.due(&root, file_progress, std::time::Instant::now()) {
        return None;
    }
    hub.subtree(account_id, folder)
        .await
        .ok()
        .and_then(|items| rows(&items).into_iter().find(|r| r.id == root))
}

/// Pauses transfers (all when `ids` is empty).
#[tauri::command]
pub async fn transfers_pause(state: State<'_, AppState>, ids: Vec<String>) -> CmdResult<()> {
    let started = std::time::Instant::now();
    state.hub.pause(&selection(ids)?).await?;
    tracing::debug!(
        took_ms = started.elapsed().as_millis() as u64,
        "transfers paused"
    );
    Ok(())
}

/// Resumes transfers (all when `ids` is empty).
#[tauri::command]
pub async fn transfers_resume(state: State<'_, AppState>, ids: Vec<String>) -> CmdResult<()> {
    Ok(state.hub.resume(&selection(ids)?).await?)
}

/// Cancels transfers (all when `ids` is empty).
#[tauri::command]
pub async fn transfers_cancel(state: State<'_, AppState>, ids: Vec<String>) -> CmdResult<()> {
    Ok(state.hub.cancel(&selection(ids)?).await?)
}

/// Retries failed or cancelled transfers (all when `ids` is empty).
#[tauri::command]
pub async fn transfers_retry(state: State<'_, AppState>, ids: Vec<String>) -> CmdResult<()> {
    Ok(state.hub.retry(&selection(ids)?).await?)
}

/// Removes finished rows.
#[tauri::command]
pub async fn transfers_clear_finished(state: State<'_, AppState>) -> CmdResult<()> {
    state.hub.clear_finished().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cirrus_core::transfer::TransferItem;

    #[test]
    fn folder_rows_follow_file_progress_at_most_four_times_a_second() {
        let mut t = FolderRowThrottle::default();
        let t0 = std::time::Instant::now();
        let ms = |n| t0 + std::time::Duration::from_millis(n);
        assert!(t.due("a:1", true, ms(0)));
        assert!(
            !t.due("a:1", true, ms(100)),
            "file progress within 250 ms waits"
        );
        assert!(
            t.due("a:2", true, ms(100)),
            "another folder has its own clock"
        );
        assert!(
            t.due("a:1", false, ms(120)),
            "the folder's own event always goes"
        );
        assert!(!t.due("a:1", true, ms(300)));
        assert!(t.due("a:1", true, ms(400)));
    }

    fn item(id: ItemId, parent: Option<ItemId>, kind: ItemKind, size: u64, done: u64) -> HubItem {
        HubItem {
            account_id: "acc-1".into(),
            item: TransferItem {
                id,
                parent_id: parent,
                direction: Direction::Upload,
                kind,
                local_path: PathBuf::from(format!("/tmp/{id}")),
                remote: "cloudreve://my".into(),
                name: format!("item {id}"),
                size,
                state: ItemState::Running,
                conflict: ConflictPolicy::Ask,
                bytes_done: done,
                error: None,
                error_kind: None,
                skipped: false,
                instant: false,
                created_ms: id,
                updated_ms: id,
            },
        }
    }

    #[test]
    fn folder_rows_add_up_their_files_and_child_rows_are_not_listed() {
        let items = vec![
            item(1, None, ItemKind::Folder, 0, 0),
            item(2, Some(1), ItemKind::File, 100, 40),
            item(3, Some(1), ItemKind::Folder, 0, 0),
            item(4, Some(3), ItemKind::File, 50, 50),
            item(5, None, ItemKind::File, 10, 3),
        ];
        let rows = rows(&items);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, "acc-1:1");
        assert_eq!((rows[0].bytes_done, rows[0].bytes_total), (90, 150));
        assert_eq!((rows[1].bytes_done, rows[1].bytes_total), (3, 10));
    }

    #[test]
    fn ids_round_trip_and_an_empty_selection_means_all() {
        assert_eq!(
            parse_id(&transfer_id("a-b:c", 42)).unwrap(),
            ("a-b:c".to_string(), 42)
        );
        assert!(parse_id("nonsense").is_err());
        assert_eq!(selection(vec![]).unwrap(), HubSelection::All);
    }

    #[test]
    fn unknown_conflict_answers_are_rejected() {
        assert_eq!(policy("keepBoth").unwrap(), ConflictPolicy::KeepBoth);
        assert!(policy("ask").is_err());
    }
}
