//! A file's stored versions (servers with `Capabilities::versions`): list them, download one
//! through the transfer queue, make one current, delete one.

use crate::dto::{EntryDto, VersionDto};
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use cirrus_core::provider::{FileVersion, Provider, RemoteRef};
use cirrus_core::transfer::{sanitize_component, version_ref};
use tauri::{AppHandle, Runtime, State};

async fn provider(state: &AppState, account_id: &str) -> CmdResult<std::sync::Arc<dyn Provider>> {
    let p = state.provider(account_id).await?;
    if !p.capabilities().versions {
        return Err(cirrus_core::Error::unsupported("file versions").into());
    }
    Ok(p)
}

async fn find(p: &dyn Provider, file: &RemoteRef, version: &str) -> CmdResult<FileVersion> {
    p.list_versions(file)
        .await?
        .into_iter()
        .find(|v| v.id == version)
        .ok_or_else(|| {
            CommandError::new(
                "notFound",
                "This version is gone; refresh the list of versions.",
            )
        })
}

/// A file's versions, newest first.
#[tauri::command]
pub async fn versions_list(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
) -> CmdResult<Vec<VersionDto>> {
    let p = provider(&state, &account_id).await?;
    let list = p.list_versions(&RemoteRef(uri)).await?;
    Ok(list.iter().map(VersionDto::from).collect())
}

/// Downloads one version, like any download (default folder or a picked one, the conflict
/// setting), as `name (version id).ext` so it sits beside a copy of the current content.
#[tauri::command]
pub async fn versions_download<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    version: String,
    to_default_folder: bool,
) -> CmdResult<()> {
    let p = provider(&state, &account_id).await?;
    let file = p.stat(&RemoteRef(uri)).await?;
    let v = find(p.as_ref(), &file.remote, &version).await?;
    let Some((dir, choice)) =
        super::transfers::download_destination(app, &state, to_default_folder).await?
    else {
        return Ok(());
    };
    let dest = dir.join(sanitize_component(&version_ref::local_name(
        &file.name, &v.id,
    )));
    let engine = state.hub.engine(&account_id).await?;
    engine.enqueue_version_download(&file, &v, &dest, choice)?;
    Ok(())
}

/// Makes a version the file's current content; the file as it now is.
#[tauri::command]
pub async fn versions_set_current(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    version: String,
) -> CmdResult<EntryDto> {
    let p = provider(&state, &account_id).await?;
    let file = RemoteRef(uri);
    p.set_current_version(&file, &version).await?;
    // Size and date in listings change with the current version.
    state.invalidate(&account_id).await;
    Ok(EntryDto::from(&p.stat(&file).await?))
}

/// Deletes a version that is not the current one.
#[tauri::command]
pub async fn versions_delete(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    version: String,
) -> CmdResult<()> {
    let p = provider(&state, &account_id).await?;
    p.delete_version(&RemoteRef(uri), &version).await?;
    state.invalidate(&account_id).await;
    Ok(())
}
