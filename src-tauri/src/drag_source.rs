//! The GTK side of dragging out (Linux): WebKitGTK runs a row's HTML5 drag as a real GTK drag
//! whose `text/uri-list` holds the page's marker. A handler that runs after WebKit's own, on
//! the web view's `drag-data-get`, replaces the marker with `file://` URIs of staged copies,
//! but only when the drop target is another application: over our own window the marker
//! stays, so a drop onto a folder inside Cirrus remains a move (see `commands::drag`).

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char};

use gtk::gdk::ffi as gdk_ffi;
use gtk::glib::ffi as glib_ffi;
use gtk::glib::gobject_ffi;
use gtk::glib::object::ObjectType;
use tauri::{AppHandle, Manager, Wry};

use crate::commands::drag::{DragOut, answer};

thread_local! {
    /// The app, for the signal handler (GTK calls it on the main thread only).
    static APP: RefCell<Option<AppHandle<Wry>>> = const { RefCell::new(None) };
    /// Set while a request is being answered: the main loop runs meanwhile, and a second
    /// request arriving then gets no list rather than a nested wait.
    static BUSY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Answers the drop target while keeping the main loop running: tasks the downloads depend on
/// (tray and window updates) wait for the main thread, so blocking it would stall them.
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

/// Hooks the main window's web view. Without a main window (or off Linux) nothing happens.
pub fn install(app: &AppHandle<Wry>) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let handle = app.clone();
    let result = window.with_webview(move |webview| {
        APP.with(|a| *a.borrow_mut() = Some(handle));
        let view = webview.inner();
        // SAFETY: the web view is a live GObject on this (main) thread; the handler has the
        // signature of GtkWidget::drag-data-get and needs no user data.
        unsafe {
            let handler: unsafe extern "C" fn(
                *mut gtk::ffi::GtkWidget,
                *mut gdk_ffi::GdkDragContext,
                *mut gtk::ffi::GtkSelectionData,
                u32,
                u32,
                glib_ffi::gpointer,
            ) = on_drag_data_get;
            gobject_ffi::g_signal_connect_data(
                view.as_ptr() as *mut gobject_ffi::GObject,
                c"drag-data-get".as_ptr(),
                Some(std::mem::transmute::<*const (), unsafe extern "C" fn()>(
                    handler as *const (),
                )),
                std::ptr::null_mut(),
                None,
                gobject_ffi::G_CONNECT_AFTER,
            );
        }
    });
    if let Err(e) = result {
        tracing::warn!("drag-out is not available: {e}");
    }
}

/// Whether the drop target belongs to another application: GDK wraps other clients' windows
/// as foreign windows (X11). Where no destination window is known (Wayland), the page's report
/// of the pointer leaving the window decides.
unsafe fn target_is_elsewhere(ctx: *mut gdk_ffi::GdkDragContext, drag: &DragOut) -> bool {
    // SAFETY: `ctx` is the live drag context GTK passed to the handler.
    let dest = unsafe { gdk_ffi::gdk_drag_context_get_dest_window(ctx) };
    if dest.is_null() {
        return drag.pointer_outside();
    }
    // SAFETY: `dest` is a live GdkWindow owned by the context.
    unsafe { gdk_ffi::gdk_window_get_window_type(dest) == gdk_ffi::GDK_WINDOW_FOREIGN }
}

unsafe extern "C" fn on_drag_data_get(
    _widget: *mut gtk::ffi::GtkWidget,
    ctx: *mut gdk_ffi::GdkDragContext,
    data: *mut gtk::ffi::GtkSelectionData,
    _info: u32,
    _time: u32,
    _user: glib_ffi::gpointer,
) {
    // SAFETY: GTK passes a live selection data and context for the duration of the call.
    let target = unsafe { gtk::ffi::gtk_selection_data_get_target(data) };
    let name = unsafe { gdk_ffi::gdk_atom_name(target) };
    if name.is_null() {
        return;
    }
    let is_uri_list = unsafe { CStr::from_ptr(name) }.to_bytes() == b"text/uri-list";
    unsafe { glib_ffi::g_free(name as glib_ffi::gpointer) };
    if !is_uri_list {
        return;
    }
    let Some(app) = APP.with(|a| a.borrow().clone()) else {
        return;
    };
    // Other drags from the page (a link) keep WebKit's own list.
    let drag = app.state::<DragOut>();
    if !drag.is_active() || !unsafe { target_is_elsewhere(ctx, &drag) } || BUSY.with(|b| b.get()) {
        return;
    }
    BUSY.with(|b| b.set(true));
    let answered = answer_pumping(&app);
    BUSY.with(|b| b.set(false));
    let uris: Vec<CString> = answered
        .into_iter()
        .filter_map(|u| CString::new(u).ok())
        .collect();
    let mut ptrs: Vec<*mut c_char> = uris.iter().map(|u| u.as_ptr() as *mut c_char).collect();
    ptrs.push(std::ptr::null_mut());
    // SAFETY: a NULL-terminated array of valid C strings that outlive the call (GTK copies).
    unsafe { gtk::ffi::gtk_selection_data_set_uris(data, ptrs.as_mut_ptr()) };
}
