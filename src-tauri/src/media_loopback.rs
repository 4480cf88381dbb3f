//! Audio and video previews over loopback HTTP. WebKitGTK hands a media element's URL to
//! GStreamer, which has no source for schemes the app registers (WebKit bug 146351: the
//! element stops at MEDIA_ERR_SRC_NOT_SUPPORTED), so `<video>` and `<audio>` cannot use
//! `cirrus-media:`. They get `http://127.0.0.1:PORT/m/<id>` instead: the same opaque ids and
//! the same bounded ranged answers as the scheme (`media_preview::answer`), on a listener bound
//! to the loopback interface only, answering only ids a command registered (128 random bits)
//! and only requests whose `Host` is this listener (no DNS rebinding from a web page).

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tauri::{AppHandle, Runtime};

use crate::media_preview;

/// Where the loopback listener is (managed state once it runs).
#[derive(Clone, Copy, Debug)]
pub struct MediaLoopback {
    addr: SocketAddr,
}

impl MediaLoopback {
    /// The URL a media element loads for preview id `id`.
    pub fn url_for(&self, id: &str) -> String {
        format!("http://{}/m/{id}", self.addr)
    }

    /// The listener's address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

struct Door<R: Runtime> {
    app: AppHandle<R>,
    host: String,
}

// By hand: a derive would ask `R: Clone`, which runtimes are not (their handles are).
impl<R: Runtime> Clone for Door<R> {
    fn clone(&self) -> Self {
        Door {
            app: self.app.clone(),
            host: self.host.clone(),
        }
    }
}

/// Binds 127.0.0.1 on a free port and serves media ids there on the async runtime.
pub fn start<R: Runtime>(app: AppHandle<R>) -> std::io::Result<MediaLoopback> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let door = Door {
        app,
        host: addr.to_string(),
    };
    let router = Router::new()
        .route("/m/{id}", get(serve::<R>))
        .with_state(door);
    tauri::async_runtime::spawn(async move {
        match tokio::net::TcpListener::from_std(listener) {
            Ok(listener) => {
                if let Err(e) = axum::serve(listener, router).await {
                    tracing::warn!("media loopback stopped: {e}");
                }
            }
            Err(e) => tracing::warn!("media loopback could not start: {e}"),
        }
    });
    Ok(MediaLoopback { addr })
}

async fn serve<R: Runtime>(
    State(door): State<Door<R>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if host != Some(door.host.as_str()) {
        return StatusCode::FORBIDDEN.into_response();
    }
    let mut request = tauri::http::Request::builder().uri(format!("/{id}"));
    if let Some(range) = headers.get(header::RANGE) {
        request = request.header(header::RANGE, range);
    }
    let Ok(request) = request.body(Vec::new()) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let (parts, body) = media_preview::answer(&door.app, &request)
        .await
        .into_parts();
    Response::from_parts(parts, Body::from(body))
}
