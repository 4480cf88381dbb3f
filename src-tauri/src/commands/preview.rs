//! Previews and "Open with default app". A preview registers the file under an opaque id the
//! `cirrus-media` scheme serves; text and PDFs come over IPC instead (no `connect-src` for the
//! scheme). Opening in the OS's app downloads a private copy through the transfer engine,
//! watches it, and tells the UI when a save changed it; uploading it back waits for the user.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use cirrus_core::preview::{EditWatch, MediaStore, MediaTarget, PreviewKind, media::MAX_CHUNK};
use cirrus_core::provider::RemoteRef;
use cirrus_core::transfer::{ConflictPolicy, ItemState};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, State};
use ts_rs::TS;

use crate::error::{CmdResult, CommandError};
use crate::media_loopback::MediaLoopback;
use crate::media_preview::url_for;
use crate::state::{AppState, lock};

/// Text is shown up to this many bytes.
pub const TEXT_CAP: u64 = 1 << 20;
/// PDFs are read whole (pdf.js needs the document); larger ones open in the OS's app.
pub const PDF_CAP: u64 = 48 << 20;
/// How often opened copies are checked for saves.
const WATCH_EVERY: Duration = Duration::from_secs(2);
/// Event sent when an opened copy was saved with new content.
pub const CHANGED_EVENT: &str = "open-with-changed";

/// A file ready to preview.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PreviewDto {
    /// Opaque id for `preview_text` / `preview_pdf`.
    pub id: String,
    /// The `cirrus-media` URL for <img>, <video> and <audio>.
    pub url: String,
    /// How to show it.
    pub kind: PreviewKind,
    /// The file's name (render as text only).
    pub name: String,
    /// Its size in bytes.
    #[ts(type = "number")]
    pub size: u64,
}

/// The start of a text file.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TextPreviewDto {
    /// The text (invalid UTF-8 replaced).
    pub text: String,
    /// The file goes on past what is shown.
    pub truncated: bool,
}

/// A local copy opened in the OS's app.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenedDto {
    /// Id for `open_with_upload` / `open_with_dismiss`, and in the change event.
    pub id: String,
    /// The file's name (render as text only).
    pub name: String,
    /// The server can take a changed copy as a new version of the same file.
    pub can_upload_version: bool,
}

/// An opened copy and where its changes would go.
struct Opened {
    account_id: String,
    folder: RemoteRef,
    name: String,
    watch: EditWatch,
    /// A change was announced and not yet answered: announce it once.
    announced: bool,
    can_upload_version: bool,
}

/// The opened copies, by id.
#[derive(Default)]
pub struct OpenWith(Mutex<HashMap<String, Opened>>);

async fn register<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    account_id: &str,
    uri: &str,
) -> CmdResult<(String, MediaTarget)> {
    let provider = state.provider(account_id).await?;
    let entry = provider.stat(&RemoteRef(uri.to_string())).await?;
    if entry.is_folder() {
        return Err(CommandError::new(
            "invalidInput",
            "A folder has no preview.",
        ));
    }
    let target = MediaTarget {
        account_id: account_id.to_string(),
        remote: entry.remote,
        name: entry.name,
        size: entry.size,
    };
    let id = app.state::<MediaStore>().register(target.clone());
    Ok((id, target))
}

/// Makes a file previewable and says how to show it.
#[tauri::command]
pub async fn preview_open<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
) -> CmdResult<PreviewDto> {
    let (id, target) = register(&app, &state, &account_id, &uri).await?;
    let kind = PreviewKind::for_name(&target.name);
    // Media elements cannot read an app scheme on WebKitGTK (see media_loopback).
    let url = match (kind, app.try_state::<MediaLoopback>()) {
        (PreviewKind::Audio | PreviewKind::Video, Some(door)) if cfg!(target_os = "linux") => {
            door.url_for(&id)
        }
        _ => url_for(&id),
    };
    Ok(PreviewDto {
        url,
        id,
        kind,
        name: target.name,
        size: target.size,
    })
}

async fn read_prefix<R: Runtime>(
    app: &AppHandle<R>,
    state: &AppState,
    id: &str,
    cap: u64,
) -> CmdResult<(Vec<u8>, u64)> {
    let media = app.state::<MediaStore>();
    let target = media
        .target(id)
        .ok_or_else(|| CommandError::new("notFound", "This preview has expired."))?;
    let provider = state.provider(&target.account_id).await?;
    let want = target.size.min(cap);
    let mut out = Vec::with_capacity(want as usize);
    while (out.len() as u64) < want {
        let start = out.len() as u64;
        let end = (start + MAX_CHUNK).min(want) - 1;
        let chunk = media
            .read(id, provider.as_ref(), Some(&format!("bytes={start}-{end}")))
            .await?;
        if chunk.body.is_empty() {
            break;
        }
        out.extend_from_slice(&chunk.body);
    }
    Ok((out, target.size))
}

/// Cuts `bytes` at the last whole UTF-8 character, then decodes (bad bytes replaced).
pub fn text_prefix(mut bytes: Vec<u8>, truncated: bool) -> String {
    if truncated && let Err(e) = std::str::from_utf8(&bytes) {
        // Only a character split by the cut is dropped; other bad bytes are replaced.
        if e.error_len().is_none() {
            bytes.truncate(e.valid_up_to());
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The first [`TEXT_CAP`] bytes of a previewed file, as text.
#[tauri::command]
pub async fn preview_text<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<TextPreviewDto> {
    let (bytes, size) = read_prefix(&app, &state, &id, TEXT_CAP).await?;
    let truncated = (bytes.len() as u64) < size;
    Ok(TextPreviewDto {
        text: text_prefix(bytes, truncated),
        truncated,
    })
}

/// A previewed PDF's bytes (an ArrayBuffer in JS), up to [`PDF_CAP`].
#[tauri::command]
pub async fn preview_pdf<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<tauri::ipc::Response> {
    let size = app
        .state::<MediaStore>()
        .target(&id)
        .map(|t| t.size)
        .unwrap_or(0);
    if size > PDF_CAP {
        return Err(CommandError::new(
            "fileTooLarge",
            "This PDF is too large to preview; open it with the default app.",
        ));
    }
    let (bytes, _) = read_prefix(&app, &state, &id, PDF_CAP).await?;
    Ok(tauri::ipc::Response::new(bytes))
}

/// A program to open copies with instead of the desktop's handler (tests, unusual desktops).
pub const OPEN_WITH_ENV: &str = "CIRRUS_OPEN_WITH";

/// Hands a local file to the OS's default app for its type.
fn open_in_os(path: &std::path::Path) -> std::io::Result<()> {
    if let Some(program) = std::env::var_os(OPEN_WITH_ENV).filter(|p| !p.is_empty()) {
        let mut child = std::process::Command::new(program).arg(path).spawn()?;
        std::thread::spawn(move || child.wait());
        return Ok(());
    }
    #[cfg(target_os = "linux")]
    let mut cmd = std::process::Command::new("xdg-open");
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(windows)]
    let mut cmd = {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    };
    let mut child = cmd.arg(path).spawn()?;
    // Reaped in the background so no zombie is left behind.
    std::thread::spawn(move || child.wait());
    Ok(())
}

/// The private folder copies are opened from (inside the app's data folder, per copy).
fn cache_dir(state: &AppState, id: &str) -> PathBuf {
    state.cirrus.data_dir().join("open-with").join(id)
}

/// Downloads a private copy of a file, opens it in the OS's default app and watches it.
#[tauri::command]
pub async fn open_with_default<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    folder_uri: String,
) -> CmdResult<OpenedDto> {
    let provider = state.provider(&account_id).await?;
    let entry = provider.stat(&RemoteRef(uri)).await?;
    if entry.is_folder() {
        return Err(CommandError::new("invalidInput", "Folders open in Cirrus."));
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let dir = cache_dir(&state, &id);
    std::fs::create_dir_all(&dir)
        .map_err(|e| CommandError::new("io", format!("Cannot create the cache folder: {e}")))?;
    let engine = state.hub.engine(&account_id).await?;
    let item = engine.enqueue_download(&entry, &dir, ConflictPolicy::Overwrite)?;
    let local = loop {
        let it = engine.queue().get(item)?;
        match it.state {
            ItemState::Completed => break it.local_path,
            ItemState::Failed | ItemState::Cancelled => {
                return Err(CommandError::new(
                    it.error_kind.as_deref().unwrap_or("network"),
                    it.error.unwrap_or_else(|| "The download stopped.".into()),
                ));
            }
            _ => tokio::time::sleep(Duration::from_millis(150)).await,
        }
    };
    let watch = EditWatch::new(&local)?;
    open_in_os(&local).map_err(|e| {
        CommandError::new("io", format!("No app could be started for this file: {e}"))
    })?;
    // The upload takes the local name; a name shortened for the disk would make a new file.
    let same_name = local.file_name().and_then(|n| n.to_str()) == Some(entry.name.as_str());
    let can_upload_version = provider.capabilities().upload_overwrite && same_name;
    let dto = OpenedDto {
        id: id.clone(),
        name: entry.name.clone(),
        can_upload_version,
    };
    lock(&app.state::<OpenWith>().0).insert(
        id,
        Opened {
            account_id,
            folder: RemoteRef(folder_uri),
            name: entry.name,
            watch,
            announced: false,
            can_upload_version,
        },
    );
    Ok(dto)
}

/// Uploads a changed copy over the remote file (a new version of it), as the user asked.
#[tauri::command]
pub async fn open_with_upload<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    id: String,
) -> CmdResult<()> {
    let (account_id, folder, path) = {
        let open = app.state::<OpenWith>();
        let mut map = lock(&open.0);
        let o = map
            .get_mut(&id)
            .ok_or_else(|| CommandError::new("notFound", "This copy is no longer watched."))?;
        if !o.can_upload_version {
            return Err(CommandError::new(
                "unsupported",
                "This server cannot replace a file's content.",
            ));
        }
        o.watch.settle()?;
        o.announced = false;
        (
            o.account_id.clone(),
            o.folder.clone(),
            o.watch.path().to_path_buf(),
        )
    };
    let engine = state.hub.engine(&account_id).await?;
    engine.enqueue_upload(&path, &folder, ConflictPolicy::Overwrite)?;
    Ok(())
}

/// The user keeps the change local: it is not offered again until the next save.
#[tauri::command]
pub fn open_with_dismiss<R: Runtime>(app: AppHandle<R>, id: String) -> CmdResult<()> {
    if let Some(o) = lock(&app.state::<OpenWith>().0).get_mut(&id) {
        o.watch.settle()?;
        o.announced = false;
    }
    Ok(())
}

/// What the change event carries.
#[derive(Clone, Debug, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OpenedChangedDto {
    /// The opened copy.
    pub id: String,
    /// The file's name (render as text only).
    pub name: String,
    /// Whether uploading it as a new version is possible.
    pub can_upload_version: bool,
}

/// Checks opened copies for saves for the app's lifetime and announces each change once.
pub fn start_watching<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            let changed: Vec<OpenedChangedDto> = {
                let open = app.state::<OpenWith>();
                let mut map = lock(&open.0);
                map.iter_mut()
                    .filter_map(|(id, o)| {
                        if o.announced || !o.watch.changed().unwrap_or(false) {
                            return None;
                        }
                        o.announced = true;
                        Some(OpenedChangedDto {
                            id: id.clone(),
                            name: o.name.clone(),
                            can_upload_version: o.can_upload_version,
                        })
                    })
                    .collect()
            };
            for c in changed {
                let _ = app.emit(CHANGED_EVENT, c);
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_text_loses_only_the_split_character() {
        let s = "ab中".as_bytes().to_vec();
        assert_eq!(text_prefix(s[..4].to_vec(), true), "ab");
        assert_eq!(text_prefix(s.clone(), false), "ab中");
        assert_eq!(text_prefix(vec![b'a', 0xff, b'b'], true), "a\u{fffd}b");
    }
}
