//! "Upload with Cirrus": files handed over on the command line (a file manager's "Open with",
//! or a second start handed to the running app) wait in the state until the user picks an
//! account and folder, then go through the same plan-and-start path as dropped files.

use crate::commands::transfers::plan;
use crate::dto::{FolderRefDto, PlannedUploadDto, UploadWithDto};
use crate::error::CmdResult;
use crate::state::{AppState, lock};
use std::path::Path;
use tauri::State;

/// The last component of a path or argument, for display.
fn display_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.to_string_lossy().into_owned())
}

/// The files waiting for a destination, or `None` when there are none.
#[tauri::command]
pub async fn upload_with_pending(state: State<'_, AppState>) -> CmdResult<Option<UploadWithDto>> {
    let waiting = lock(&state.launch).clone();
    if waiting.paths.is_empty() && waiting.unusable.is_empty() {
        return Ok(None);
    }
    Ok(Some(UploadWithDto {
        names: waiting.paths.iter().map(|p| display_name(p)).collect(),
        unusable: waiting
            .unusable
            .iter()
            .map(|a| display_name(Path::new(a.trim_end_matches('/'))))
            .collect(),
        last_folder: state.last_upload_folder().map(|f| FolderRefDto {
            account_id: f.account_id,
            uri: f.uri,
        }),
    }))
}

/// Plans the upload of the waiting files into `parent_uri` of `account_id`; `None` when nothing
/// was waiting. The files are used up once the plan exists (a failed plan keeps them for another
/// try, e.g. in another folder); the plan then starts like any other.
#[tauri::command]
pub async fn upload_with_plan(
    state: State<'_, AppState>,
    account_id: String,
    parent_uri: String,
) -> CmdResult<Option<PlannedUploadDto>> {
    let paths = lock(&state.launch).paths.clone();
    if paths.is_empty() {
        return Ok(None);
    }
    let planned = plan(&state, account_id, parent_uri, paths.clone()).await?;
    let mut waiting = lock(&state.launch);
    // Files that arrived while planning stay for the next dialog.
    waiting.paths.retain(|p| !paths.contains(p));
    if waiting.paths.is_empty() {
        waiting.unusable.clear();
    }
    Ok(Some(planned))
}

/// The user closed the dialog without uploading: forget the waiting files.
#[tauri::command]
pub async fn upload_with_dismiss(state: State<'_, AppState>) -> CmdResult<()> {
    *lock(&state.launch) = Default::default();
    Ok(())
}
