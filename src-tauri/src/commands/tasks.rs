//! Server tasks: list by category, create archive, extract, remote download, cancel.

use crate::dto::{TaskCounterDto, TaskDto};
use crate::error::{CmdResult, CommandError};
use crate::state::{AppState, lock};
use cirrus_core::provider::{
    ExtractOptions, Provider, RemoteRef, Task, TaskCategory, TaskProgress, TaskStatus,
};
use cirrus_core::task_view::{self, CounterUnit};
use tauri::State;

fn status(s: TaskStatus) -> &'static str {
    match s {
        TaskStatus::Queued => "queued",
        TaskStatus::Processing => "processing",
        TaskStatus::Suspending => "suspending",
        TaskStatus::Error => "error",
        TaskStatus::Canceled => "canceled",
        TaskStatus::Completed => "completed",
        TaskStatus::Unknown => "queued",
    }
}

/// One line about what a task does: source → destination.
pub fn summary(t: &Task) -> String {
    match (&t.source, &t.destination) {
        (Some(s), Some(d)) => format!("{s} → {d}"),
        (Some(s), None) => s.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => t.phase.clone().unwrap_or_default(),
    }
}

fn dto(t: Task) -> TaskDto {
    dto_with(t, &TaskProgress::default())
}

/// A task with its live counters (empty when the server has none).
fn dto_with(t: Task, progress: &TaskProgress) -> TaskDto {
    let d = task_view::detail(&t, progress);
    let summary = summary(&t);
    TaskDto {
        id: t.id,
        task_type: t.task_type,
        status: status(t.status).to_string(),
        progress: d.ratio.map(|r| r.clamp(0.0, 1.0)),
        error: t.error,
        created_at: t.created_at.map(|c| c.to_rfc3339()),
        summary,
        phase: d.phase,
        counters: d
            .counters
            .into_iter()
            .map(|c| TaskCounterDto {
                name: c.name,
                current: c.current,
                total: c.total,
                unit: match c.unit {
                    CounterUnit::Items => "items",
                    CounterUnit::Bytes => "bytes",
                }
                .to_string(),
            })
            .collect(),
        eta_seconds: d.eta_secs,
        failed: t.failed,
    }
}

/// Every task of a category (all pages).
pub async fn list_all(provider: &dyn Provider, category: TaskCategory) -> CmdResult<Vec<Task>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = provider.list_tasks(category, cursor.as_deref()).await?;
        out.extend(page.tasks);
        match page.next_cursor {
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => break,
        }
    }
    Ok(out)
}

fn category(s: &str) -> Result<TaskCategory, CommandError> {
    match s {
        "general" => Ok(TaskCategory::General),
        "downloading" => Ok(TaskCategory::Downloading),
        "downloaded" => Ok(TaskCategory::Downloaded),
        other => Err(CommandError::new(
            "invalidInput",
            format!("Unknown task category {other:?}."),
        )),
    }
}

/// Tasks of one category (every page), with the live counters of the running ones.
#[tauri::command]
pub async fn tasks_list(
    state: State<'_, AppState>,
    account_id: String,
    category: String,
) -> CmdResult<Vec<TaskDto>> {
    let provider = state.provider(&account_id).await?;
    let category = self::category(&category)?;
    let tasks = list_all(provider.as_ref(), category).await?;
    // The window shows these: their ends are seen here, not announced later.
    lock(&state.task_watch).observe(&account_id, &tasks);
    let mut out = Vec::with_capacity(tasks.len());
    for t in tasks {
        let progress = if t.status == TaskStatus::Processing {
            // Counters are a nicety: a task without live progress still lists.
            provider.task_progress(&t.id).await.unwrap_or_default()
        } else {
            TaskProgress::default()
        };
        out.push(dto_with(t, &progress));
    }
    Ok(out)
}

/// Zips `uris` on the server into a new file `name` inside `dst_folder_uri`.
#[tauri::command]
pub async fn tasks_archive(
    state: State<'_, AppState>,
    account_id: String,
    uris: Vec<String>,
    dst_folder_uri: String,
    name: String,
) -> CmdResult<TaskDto> {
    let items: Vec<RemoteRef> = uris.into_iter().map(RemoteRef).collect();
    let task = state
        .provider(&account_id)
        .await?
        .create_archive(&items, &RemoteRef(dst_folder_uri), name.trim())
        .await?;
    lock(&state.task_watch).watch(&account_id, &task);
    Ok(dto(task))
}

/// Extracts an archive on the server into a folder.
#[tauri::command]
pub async fn tasks_extract(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    dst_uri: String,
) -> CmdResult<TaskDto> {
    let task = state
        .provider(&account_id)
        .await?
        .extract_archive(
            &RemoteRef(uri),
            &RemoteRef(dst_uri),
            &ExtractOptions::default(),
        )
        .await?;
    lock(&state.task_watch).watch(&account_id, &task);
    Ok(dto(task))
}

/// Starts server-side downloads of URLs into a folder.
#[tauri::command]
pub async fn tasks_remote_download(
    state: State<'_, AppState>,
    account_id: String,
    urls: Vec<String>,
    dst_uri: String,
) -> CmdResult<Vec<TaskDto>> {
    let urls: Vec<String> = urls
        .into_iter()
        .map(|u| u.trim().to_string())
        .filter(|u| !u.is_empty())
        .collect();
    if urls.is_empty() {
        return Err(CommandError::new("invalidInput", "Enter at least one URL."));
    }
    let tasks = state
        .provider(&account_id)
        .await?
        .remote_download(&urls, &RemoteRef(dst_uri))
        .await?;
    let mut watch = lock(&state.task_watch);
    for t in &tasks {
        watch.watch(&account_id, t);
    }
    Ok(tasks.into_iter().map(dto).collect())
}

/// Cancels a remote download.
#[tauri::command]
pub async fn tasks_cancel(
    state: State<'_, AppState>,
    account_id: String,
    id: String,
) -> CmdResult<()> {
    Ok(state.provider(&account_id).await?.cancel_task(&id).await?)
}
