//! The GTK side of dragging out (Linux). A row drag starts as WebKit's HTML5 drag, which
//! keeps the in-app move working; WebKit only offers what the page put in it, though. When
//! the pointer leaves the window with a row, WebKit's drag is cancelled and a native GTK drag
//! takes over from the same pointer, offering:
//! - `XdndDirectSave0` (X11 file managers: the drop target names a file in its folder, and
//!   the items are queued as ordinary downloads into that folder), then
//! - `text/uri-list` (everything else: `file://` URIs of copies staged through the queue).
//!
//! No handler blocks the main thread on a tokio task that could need it: the direct-save
//! answer is immediate, and the list answer keeps the main loop running while it waits.

use std::cell::RefCell;

use gtk::gdk;
use gtk::prelude::*;
use tauri::{AppHandle, Manager, Wry};

use crate::commands::drag::{DragOut, answer, direct_save, proposed_name, stage_now};

/// How long the pointer must stay off the window before the drag goes native: a drop onto
/// the window is preceded by a leave too.
const LEAVE_SETTLE: std::time::Duration = std::time::Duration::from_millis(250);

/// XDS: the property (on the source window) and the target of the same name.
const XDS: &str = "XdndDirectSave0";
const INFO_XDS: u32 = 1;
const INFO_URIS: u32 = 2;

thread_local! {
    /// The app and the web view (GTK calls the handlers on the main thread only).
    static VIEW: RefCell<Option<(AppHandle<Wry>, gtk::Widget)>> = const { RefCell::new(None) };
    /// WebKit's drag in progress (the page's HTML5 drag), to cancel when going native.
    static WEBKIT_DRAG: RefCell<Option<gdk::DragContext>> = const { RefCell::new(None) };
    /// Our native drag in progress.
    static NATIVE_DRAG: RefCell<Option<gdk::DragContext>> = const { RefCell::new(None) };
    /// Set while our own drag starts (its `drag-begin` is not the page's).
    static STARTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Counts the page drag's moves over the window, to tell a lasting leave from a drop.
    static MOTIONS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// Set while a list request is being answered (the main loop runs meanwhile).
    static BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

fn is_native(ctx: &gdk::DragContext) -> bool {
    NATIVE_DRAG.with(|n| n.borrow().as_ref() == Some(ctx))
}

/// Hooks the main window's web view. Without a main window nothing happens.
pub fn install(app: &AppHandle<Wry>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let handle = app.clone();
    let result = window.with_webview(move |webview| {
        let view: gtk::Widget = webview.inner().upcast();
        if view.display().type_().name() == "GdkX11Display" {
            handle.state::<DragOut>().set_capable();
        }
        VIEW.with(|v| *v.borrow_mut() = Some((handle, view.clone())));
        view.connect_drag_begin(|_, ctx| {
            if !STARTING.with(|s| s.get()) {
                WEBKIT_DRAG.with(|w| *w.borrow_mut() = Some(ctx.clone()));
            }
        });
        view.connect_drag_end(|_, ctx| {
            WEBKIT_DRAG.with(|w| {
                if w.borrow().as_ref() == Some(ctx) {
                    *w.borrow_mut() = None;
                }
            });
            if is_native(ctx) {
                NATIVE_DRAG.with(|n| *n.borrow_mut() = None);
                if let Some((app, _)) = VIEW.with(|v| v.borrow().clone()) {
                    app.state::<DragOut>().native_ended();
                }
            }
        });
        view.connect_drag_data_get(on_drag_data_get);
        // The destination side of our own drag: leaving the window (and not coming back
        // within LEAVE_SETTLE, nor dropping) hands the row drag over to a native one.
        view.connect_drag_motion(|_, _, _, _, _| {
            MOTIONS.with(|m| m.set(m.get() + 1));
            false
        });
        view.connect_drag_leave(|view, ctx, _| {
            if ctx.drag_get_source_widget().as_ref() != Some(view) {
                return;
            }
            let seen = MOTIONS.with(|m| m.get());
            gtk::glib::timeout_add_local_once(LEAVE_SETTLE, move || {
                if MOTIONS.with(|m| m.get()) == seen {
                    go_native();
                }
            });
        });
    });
    if let Err(e) = result {
        tracing::warn!("drag-out is not available: {e}");
    }
}

/// Replaces the page's row drag by a native one offering files, and starts staging copies
/// (main thread). Does nothing unless a row drag is in progress.
pub fn go_native() {
    let Some((app, view)) = VIEW.with(|v| v.borrow().clone()) else {
        return;
    };
    let drag = app.state::<DragOut>();
    let Some((_, uris)) = drag.items() else {
        return;
    };
    if NATIVE_DRAG.with(|n| n.borrow().is_some()) {
        return;
    }
    if !x11_with_button_down(&view) {
        return;
    }
    let Some(webkit) = WEBKIT_DRAG.with(|w| w.borrow_mut().take()) else {
        return;
    };
    // The name proposed to a direct-save target (it only tells its folder back).
    let name = proposed_name(&uris).unwrap_or_else(|| "cirrus".into());
    // Before the cancel: the page hears `dragend` and must not end the row drag.
    drag.set_native(true);
    webkit.drag_cancel();
    let targets = gtk::TargetList::new(&[
        gtk::TargetEntry::new(XDS, gtk::TargetFlags::OTHER_APP, INFO_XDS),
        gtk::TargetEntry::new("text/uri-list", gtk::TargetFlags::OTHER_APP, INFO_URIS),
    ]);
    STARTING.with(|s| s.set(true));
    let started =
        view.drag_begin_with_coordinates(&targets, gdk::DragAction::COPY, 1, None, -1, -1);
    STARTING.with(|s| s.set(false));
    let Some(ctx) = started else {
        tracing::warn!("drag-out: the native drag did not start");
        drag.native_ended();
        return;
    };
    gdk::property_change(
        &ctx.source_window(),
        &gdk::Atom::intern(XDS),
        &gdk::Atom::intern("text/plain"),
        8,
        gdk::PropMode::Replace,
        gdk::ChangeData::UChars(name.as_bytes()),
    );
    NATIVE_DRAG.with(|n| *n.borrow_mut() = Some(ctx));
    tracing::info!("drag-out: native drag started");
    tauri::async_runtime::spawn(stage_now(app.clone()));
}

/// Whether taking the drag over is safe: on X11 only (tested there; on Wayland a new drag
/// needs the press that started the old one), and only while the button is still held (a
/// leave just before a drop onto the window must not start a drag after it).
fn x11_with_button_down(view: &gtk::Widget) -> bool {
    let display = view.display();
    if display.type_().name() != "GdkX11Display" {
        return false;
    }
    let (Some(window), Some(pointer)) = (
        view.window(),
        display.default_seat().and_then(|s| s.pointer()),
    ) else {
        return false;
    };
    let (_, _, _, mask) = window.device_position(&pointer);
    mask.contains(gdk::ModifierType::BUTTON1_MASK)
}

/// Answers the drop target while keeping the main loop running: tasks the downloads depend on
/// may wait for the main thread, so blocking it could stall them.
fn answer_pumping(app: &AppHandle<Wry>) -> Vec<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        let _ = tx.send(answer(&handle).await);
    });
    loop {
        match rx.try_recv() {
            Ok(uris) => return uris,
            Err(std::sync::mpsc::TryRecvError::Disconnected) => return vec![],
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                if !gtk::main_iteration_do(false) {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        }
    }
}

/// The folder a direct-save target wrote into our source window's property, as a URI.
fn direct_save_uri(ctx: &gdk::DragContext) -> Option<String> {
    let (_, _, bytes) = gdk::property_get(
        &ctx.source_window(),
        &gdk::Atom::intern(XDS),
        // Any type: targets are not all strict about text/plain.
        &gdk::ATOM_NONE,
        0,
        4096,
        0,
    )?;
    String::from_utf8(bytes).ok()
}

fn on_drag_data_get(
    _view: &gtk::Widget,
    ctx: &gdk::DragContext,
    data: &gtk::SelectionData,
    info: u32,
    _time: u32,
) {
    if !is_native(ctx) {
        return;
    }
    let Some((app, _)) = VIEW.with(|v| v.borrow().clone()) else {
        return;
    };
    match info {
        INFO_XDS => {
            let uri = direct_save_uri(ctx).unwrap_or_default();
            tracing::info!("drag-out: direct save asked");
            // The downloads go through the queue on their own; the target only needs to know
            // the request was taken ("S"), or refused ("E": it may then ask for the list).
            let ok = match cirrus_core::drag_out::folder_from_direct_save_uri(&uri) {
                Ok(folder) => match app.state::<DragOut>().items() {
                    Some((account_id, uris)) => {
                        let handle = app.clone();
                        tauri::async_runtime::spawn(async move {
                            direct_save(&handle, account_id, uris, folder).await
                        });
                        true
                    }
                    None => false,
                },
                Err(e) => {
                    tracing::warn!("drag-out: direct save refused: {e}");
                    false
                }
            };
            data.set(
                &gdk::Atom::intern("STRING"),
                8,
                if ok { b"S" } else { b"E" },
            );
        }
        INFO_URIS => {
            if BUSY.with(|b| b.get()) {
                return;
            }
            BUSY.with(|b| b.set(true));
            let uris = answer_pumping(&app);
            BUSY.with(|b| b.set(false));
            let refs: Vec<&str> = uris.iter().map(String::as_str).collect();
            data.set_uris(&refs);
        }
        _ => {}
    }
}
