//! Server tasks: list by category, create archive, extract, remote download, cancel.

use crate::dto::TaskDto;
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use cirrus_core::provider::{ExtractOptions, RemoteRef, Task, TaskCategory, TaskStatus};
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

fn dto(t: Task) -> TaskDto {
    let progress = match (&t.download, t.status) {
        (_, TaskStatus::Completed) => Some(1.0),
        (Some(d), _) if d.total > 0 => Some((d.downloaded as f64 / d.total as f64).clamp(0.0, 1.0)),
        _ => None,
    };
    let summary = match (&t.source, &t.destination) {
        (Some(s), Some(d)) => format!("{s} → {d}"),
        (Some(s), None) => s.clone(),
        (None, Some(d)) => d.clone(),
        (None, None) => t.phase.clone().unwrap_or_default(),
    };
    TaskDto {
        id: t.id,
        task_type: t.task_type,
        status: status(t.status).to_string(),
        progress,
        error: t.error,
        created_at: t.created_at.map(|c| c.to_rfc3339()),
        summary,
    }
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

/// Tasks of one category (every page).
#[tauri::command]
pub async fn tasks_list(
    state: State<'_, AppState>,
    account_id: String,
    category: String,
) -> CmdResult<Vec<TaskDto>> {
    let provider = state.provider(&account_id).await?;
    let category = self::category(&category)?;
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = provider.list_tasks(category, cursor.as_deref()).await?;
        out.extend(page.tasks.into_iter().map(dto));
        match page.next_cursor {
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => break,
        }
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
