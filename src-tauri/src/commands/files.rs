//! File operations: new folder, rename, move, copy, delete, restore.

use crate::dto::{BatchResultDto, EntryDto};
use crate::error::CmdResult;
use crate::state::AppState;
use cirrus_core::provider::{DeleteMode, RemoteRef};
use tauri::State;

fn refs(uris: Vec<String>) -> Vec<RemoteRef> {
    uris.into_iter().map(RemoteRef).collect()
}

/// Creates a folder.
#[tauri::command]
pub async fn files_mkdir(
    state: State<'_, AppState>,
    account_id: String,
    parent_uri: String,
    name: String,
) -> CmdResult<EntryDto> {
    let entry = state
        .provider(&account_id)
        .await?
        .create_folder(&RemoteRef(parent_uri), name.trim())
        .await?;
    state.invalidate(&account_id).await;
    Ok(EntryDto::from(&entry))
}

/// Renames an item.
#[tauri::command]
pub async fn files_rename(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    new_name: String,
) -> CmdResult<EntryDto> {
    let entry = state
        .provider(&account_id)
        .await?
        .rename(&RemoteRef(uri), new_name.trim())
        .await?;
    state.invalidate(&account_id).await;
    Ok(EntryDto::from(&entry))
}

/// Moves items into a folder.
#[tauri::command]
pub async fn files_move(
    state: State<'_, AppState>,
    account_id: String,
    uris: Vec<String>,
    dst_uri: String,
) -> CmdResult<BatchResultDto> {
    let outcome = state
        .provider(&account_id)
        .await?
        .move_items(&refs(uris), &RemoteRef(dst_uri))
        .await?;
    state.invalidate(&account_id).await;
    Ok(outcome.into())
}

/// Copies items into a folder on the server.
#[tauri::command]
pub async fn files_copy(
    state: State<'_, AppState>,
    account_id: String,
    uris: Vec<String>,
    dst_uri: String,
) -> CmdResult<BatchResultDto> {
    let outcome = state
        .provider(&account_id)
        .await?
        .copy_items(&refs(uris), &RemoteRef(dst_uri))
        .await?;
    state.invalidate(&account_id).await;
    Ok(outcome.into())
}

/// Deletes items: to the trash, or permanently.
#[tauri::command]
pub async fn files_delete(
    state: State<'_, AppState>,
    account_id: String,
    uris: Vec<String>,
    permanent: bool,
) -> CmdResult<BatchResultDto> {
    let mode = if permanent {
        DeleteMode::Permanent
    } else {
        DeleteMode::Trash
    };
    let outcome = state
        .provider(&account_id)
        .await?
        .delete(&refs(uris), mode)
        .await?;
    state.invalidate(&account_id).await;
    Ok(outcome.into())
}

/// Restores trash items to where they were.
#[tauri::command]
pub async fn files_restore(
    state: State<'_, AppState>,
    account_id: String,
    uris: Vec<String>,
) -> CmdResult<BatchResultDto> {
    let outcome = state
        .provider(&account_id)
        .await?
        .restore(&refs(uris))
        .await?;
    state.invalidate(&account_id).await;
    Ok(outcome.into())
}
