//! Dragging files and folders out of the window onto a file manager or the desktop.
//!
//! A row drag starts as the page's HTML5 drag (so dropping onto a folder inside Cirrus still
//! moves); the page tells Rust which items the drag's token stands for. On X11, when the drag
//! leaves the window, `drag_source` continues it as a native GTK drag: a direct-save target gets
//! the items queued into its folder ([`direct_save`]), a `text/uri-list` target gets `file://`
//! URIs of copies staged through the transfer queue ([`answer`]); both show in the transfers
//! panel and the tray. Paths never reach the page.

use std::path::PathBuf;
use std::time::Duration;

use cirrus_core::drag_out::{self, STAGING_MAX_AGE, StagingArea};
use cirrus_core::transfer::{ItemId, ItemState};
use serde_json::json;
use tauri::{AppHandle, Emitter, Listener, Manager, Runtime, State};

use crate::error::{CmdResult, CommandError};
use crate::state::AppState;

/// A marker (followed by a token) that earlier pages put in the drag's `text/uri-list`; the page
/// no longer does, but a drop carrying it is still never taken for files to upload.
pub const MARKER_PREFIX: &str = "cirrus-drag:";
/// Sent to the page when a marked drag was dropped onto the window (WebKitGTK's file-drop
/// handling took it), so the page finishes the move itself.
pub const INTERNAL_DROP_EVENT: &str = "drag-internal-drop";
/// Sent when some dragged items were not downloaded in time for the drop target.
pub const INCOMPLETE_EVENT: &str = "drag-out-incomplete";
/// How long a drop target is kept waiting for the staged copies before it gets what is ready.
pub const DROP_WAIT: Duration = Duration::from_secs(30);
/// Environment variable naming a folder the end-to-end suite "drops" a drag into.
pub const E2E_DRAG_OUT_DIR: &str = "CIRRUS_E2E_DRAG_OUT_DIR";
/// The event that makes that drop happen (WebDriver cannot drive an OS drag).
pub const E2E_DRAG_OUT_EVENT: &str = "cirrus-e2e-drag-out";

/// The drag in progress (there is at most one pointer).
#[derive(Default)]
pub struct DragOut {
    current: tokio::sync::Mutex<Option<Pending>>,
    /// Whether the drag continues as a native GTK drag (the page's drag has ended).
    native: std::sync::atomic::AtomicBool,
    /// Whether a drag can continue natively here (X11), so staging copies can serve a drop.
    capable: std::sync::atomic::AtomicBool,
    /// The dragged items as (account, URIs), readable without waiting (GTK handlers).
    items: std::sync::Mutex<Option<(String, Vec<String>)>>,
}

struct Pending {
    token: String,
    account_id: String,
    uris: Vec<String>,
    /// Queue items downloading into the staging folder, once started.
    staged: Option<Vec<ItemId>>,
}

impl DragOut {
    /// Whether a row drag is registered (a drag held by another task counts as one).
    pub fn is_active(&self) -> bool {
        self.current.try_lock().map(|g| g.is_some()).unwrap_or(true)
    }

    /// Marks the drag as continuing natively: the page's `dragend` no longer ends it.
    pub fn set_native(&self, native: bool) {
        self.native
            .store(native, std::sync::atomic::Ordering::Relaxed);
    }

    /// Records that a drag can continue natively on this display.
    pub fn set_capable(&self) {
        self.capable
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether the drag continues natively.
    pub fn is_native(&self) -> bool {
        self.native.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The dragged items as (account, URIs).
    pub fn items(&self) -> Option<(String, Vec<String>)> {
        self.items.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The native drag ended: forget the drag (after any request still being answered).
    pub fn native_ended(&self) {
        self.set_native(false);
        *self.items.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if let Ok(mut current) = self.current.try_lock() {
            *current = None;
        }
    }
}

/// Tokens come from the page; keep them short and plain so they are never more than an id.
fn valid_token(token: &str) -> bool {
    !token.is_empty()
        && token.len() <= 64
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_token(token: &str) -> CmdResult<()> {
    if valid_token(token) {
        Ok(())
    } else {
        Err(CommandError::new("invalidInput", "Not a drag token."))
    }
}

/// Whether dropped "paths" are the marker of a row drag of this window (not files to upload).
pub fn is_own_drag(paths: &[PathBuf]) -> bool {
    !paths.is_empty()
        && paths
            .iter()
            .all(|p| p.to_string_lossy().starts_with(MARKER_PREFIX))
}

/// The private staging area of this app.
pub fn staging(state: &AppState) -> StagingArea {
    StagingArea::new(state.cirrus.data_dir().join("drag-out"))
}

/// Queues the current drag's items into a fresh staging folder, once per drag.
async fn stage(state: &AppState, drag: &DragOut) -> CmdResult<Option<(String, Vec<ItemId>)>> {
    let mut current = drag.current.lock().await;
    let Some(pending) = current.as_mut() else {
        return Ok(None);
    };
    if let Some(ids) = &pending.staged {
        return Ok(Some((pending.account_id.clone(), ids.clone())));
    }
    let area = staging(state);
    area.prune(STAGING_MAX_AGE);
    let dir = area.fresh()?;
    let provider = state.provider(&pending.account_id).await?;
    let entries = drag_out::entries(provider.as_ref(), &pending.uris).await?;
    let engine = state.hub.engine(&pending.account_id).await?;
    // A fresh folder has nothing to collide with except two dragged items of the same name.
    let ids = drag_out::enqueue_into(
        &engine,
        &entries,
        &dir,
        cirrus_core::transfer::ConflictPolicy::KeepBoth,
    )?;
    pending.staged = Some(ids.clone());
    Ok(Some((pending.account_id.clone(), ids)))
}

/// The `file://` URIs a drop target gets: the staged copies that completed within `wait`, and
/// how many items did not.
pub async fn staged_uris(
    state: &AppState,
    drag: &DragOut,
    wait: Duration,
) -> CmdResult<(Vec<String>, usize)> {
    let Some((account_id, ids)) = stage(state, drag).await? else {
        return Ok((vec![], 0));
    };
    let engine = state.hub.engine(&account_id).await?;
    drag_out::wait_completed(&engine, &ids, wait).await?;
    let done: Vec<ItemId> = engine
        .queue()
        .states(&ids)?
        .into_iter()
        .filter(|(_, s)| *s == ItemState::Completed)
        .map(|(id, _)| id)
        .collect();
    let uris = drag_out::local_paths(&engine, &done)?
        .iter()
        .map(|p| drag_out::file_uri(p))
        .collect::<cirrus_core::Result<Vec<_>>>()?;
    Ok((uris, ids.len() - done.len()))
}

/// What a drop target in another app receives, as the GTK hook and the end-to-end hook ask
/// for it; tells the page when something was not ready. Blocks: not for the main thread.
pub fn answer_drop<R: Runtime>(app: &AppHandle<R>) -> Vec<String> {
    tauri::async_runtime::block_on(answer(app))
}

/// [`answer_drop`] without blocking.
pub async fn answer<R: Runtime>(app: &AppHandle<R>) -> Vec<String> {
    let state = app.state::<AppState>();
    let drag = app.state::<DragOut>();
    let started = std::time::Instant::now();
    match staged_uris(&state, &drag, DROP_WAIT).await {
        Ok((uris, missing)) => {
            tracing::info!(
                "drag-out: {} staged file(s) handed over, {missing} missing, after {:?}",
                uris.len(),
                started.elapsed()
            );
            if missing > 0 {
                let _ = app.emit(INCOMPLETE_EVENT, json!({ "missing": missing }));
            }
            uris
        }
        Err(e) => {
            tracing::warn!("drag-out failed: {}", e.message);
            let _ = app.emit(
                INCOMPLETE_EVENT,
                json!({ "missing": 0, "error": e.message }),
            );
            vec![]
        }
    }
}

/// A row drag started: remember which items `token` stands for.
#[tauri::command]
pub async fn drag_out_begin(
    drag: State<'_, DragOut>,
    token: String,
    account_id: String,
    uris: Vec<String>,
) -> CmdResult<()> {
    check_token(&token)?;
    drag.set_native(false);
    *drag.items.lock().unwrap_or_else(|p| p.into_inner()) =
        Some((account_id.clone(), uris.clone()));
    *drag.current.lock().await = Some(Pending {
        token,
        account_id,
        uris,
        staged: None,
    });
    Ok(())
}

/// The pointer left (`outside`) or came back into the window during the drag. Leaving starts
/// the downloads into the staging folder, so they are ready (or well under way) at the drop.
#[tauri::command]
pub async fn drag_out_pointer<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    drag: State<'_, DragOut>,
    token: String,
    outside: bool,
) -> CmdResult<()> {
    check_token(&token)?;
    let ours = drag
        .current
        .lock()
        .await
        .as_ref()
        .is_some_and(|p| p.token == token);
    if !ours {
        return Ok(());
    }
    // Where no native drag can take over (Wayland, other systems), no drop target could get
    // the copies: nothing is staged.
    if outside && drag.capable.load(std::sync::atomic::Ordering::Relaxed) {
        // Off Linux (and without a window) there is no native drag to take over.
        #[cfg(target_os = "linux")]
        let _ = app.run_on_main_thread(crate::drag_source::go_native);
        #[cfg(not(target_os = "linux"))]
        let _ = &app;
        if stage_early() {
            stage(&state, &drag).await?;
        }
    }
    Ok(())
}

/// Set by the end-to-end suite so that staging starts only when the drop target asks: the
/// download must then run while the main thread waits inside that request.
pub const E2E_STAGE_AT_DROP: &str = "CIRRUS_E2E_STAGE_AT_DROP";

/// Whether copies are staged as soon as the drag leaves the window (always, outside that test).
fn stage_early() -> bool {
    std::env::var_os(E2E_STAGE_AT_DROP).is_none()
}

/// Starts the downloads into the staging folder (the pointer left the window); errors reach
/// the page as an incomplete drag.
pub async fn stage_now<R: Runtime>(app: AppHandle<R>) {
    let state = app.state::<AppState>();
    let drag = app.state::<DragOut>();
    if !stage_early() {
        return;
    }
    if let Err(e) = stage(&state, &drag).await {
        tracing::warn!("drag-out: staging failed: {}", e.message);
        let _ = app.emit(
            INCOMPLETE_EVENT,
            json!({ "missing": 0, "error": e.message }),
        );
    }
}

/// The file name offered to a direct-save target: the first item's (it only tells the
/// target's folder back; every item lands there).
pub fn proposed_name(uris: &[String]) -> Option<String> {
    let last = uris.first()?.trim_end_matches('/').rsplit('/').next()?;
    let name = percent_encoding::percent_decode_str(last)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!name.is_empty()).then_some(name)
}

/// A direct-save target (an X11 file manager) named `folder`: the items are queued as
/// ordinary downloads into it; the page hears of a failure.
pub async fn direct_save<R: Runtime>(
    app: &AppHandle<R>,
    account_id: String,
    uris: Vec<String>,
    folder: PathBuf,
) {
    let state = app.state::<AppState>();
    let result: CmdResult<Vec<ItemId>> = async {
        let provider = state.provider(&account_id).await?;
        let entries = drag_out::entries(provider.as_ref(), &uris).await?;
        let engine = state.hub.engine(&account_id).await?;
        Ok(drag_out::enqueue_into(
            &engine,
            &entries,
            &folder,
            cirrus_core::transfer::ConflictPolicy::KeepBoth,
        )?)
    }
    .await;
    match result {
        Ok(ids) => tracing::info!(
            "drag-out: {} item(s) queued into the drop folder",
            ids.len()
        ),
        Err(e) => {
            tracing::warn!("drag-out: direct save failed: {}", e.message);
            let _ = app.emit(
                INCOMPLETE_EVENT,
                json!({ "missing": 0, "error": e.message }),
            );
        }
    }
}

/// The drag ended. Staged copies stay until pruned: the drop target may still be copying.
#[tauri::command]
pub async fn drag_out_end(drag: State<'_, DragOut>, token: String) -> CmdResult<()> {
    check_token(&token)?;
    // Taken over by a native drag: that drag's end ends it.
    if drag.is_native() {
        return Ok(());
    }
    *drag.items.lock().unwrap_or_else(|p| p.into_inner()) = None;
    let mut current = drag.current.lock().await;
    if current.as_ref().is_some_and(|p| p.token == token) {
        *current = None;
    }
    Ok(())
}

/// WebDriver cannot perform an OS drag, so when (and only when) the app is started with
/// `CIRRUS_E2E_DRAG_OUT_DIR`, an event from the page makes the current drag "drop" there:
/// the same answer a file manager gets, then the copy a file manager makes of each URI.
pub fn install_e2e_drag_out<R: Runtime>(app: &AppHandle<R>) {
    let Some(dir) = std::env::var_os(E2E_DRAG_OUT_DIR).map(PathBuf::from) else {
        return;
    };
    let handle = app.clone();
    app.listen_any(E2E_DRAG_OUT_EVENT, move |_| {
        let handle = handle.clone();
        let dir = dir.clone();
        // Off the event thread: answering waits for the downloads, as a real drop does.
        std::thread::spawn(move || {
            for uri in answer_drop(&handle) {
                let Ok(path) = url_to_path(&uri) else {
                    continue;
                };
                if let Some(name) = path.file_name()
                    && let Err(e) = copy_tree(&path, &dir.join(name))
                {
                    tracing::warn!("e2e drag-out copy failed: {e}");
                }
            }
        });
    });
}

/// What a file manager does with a dropped URI: files are copied, folders with their tree.
fn copy_tree(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    if from.is_dir() {
        std::fs::create_dir_all(to)?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::copy(from, to).map(|_| ())
    }
}

fn url_to_path(uri: &str) -> Result<PathBuf, ()> {
    let rest = uri.strip_prefix("file://").ok_or(())?;
    let decoded = percent_encoding::percent_decode_str(rest)
        .decode_utf8()
        .map_err(|_| ())?;
    Ok(PathBuf::from(decoded.as_ref()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_plain_ids() {
        assert!(valid_token("a1b2-c3_d4"));
        assert!(!valid_token(""));
        assert!(!valid_token("../x"));
        assert!(!valid_token(&"a".repeat(65)));
    }

    #[test]
    fn only_markers_count_as_our_own_drag() {
        assert!(is_own_drag(&[PathBuf::from("cirrus-drag:abc")]));
        assert!(!is_own_drag(&[]));
        assert!(!is_own_drag(&[
            PathBuf::from("cirrus-drag:abc"),
            PathBuf::from("/home/me/a.txt")
        ]));
    }

    #[test]
    fn staged_uris_turn_back_into_paths() {
        let p = PathBuf::from("/tmp/drag-1/a b%.txt");
        let uri = drag_out::file_uri(&p).unwrap();
        assert_eq!(url_to_path(&uri).unwrap(), p);
    }
}
