//! The `cirrus-media` URI scheme: the WebView's <img>, <video> and <audio> elements read a
//! remote file through it. A URL names only an opaque id that a command mapped from
//! (account, file) beforehand, never a path; every request passes its `Range` on to the
//! server's content URL and gets a bounded 206 back, so seeking works and no file is held in
//! memory whole (see `cirrus_core::preview::media`).

use cirrus_core::ErrorKind;
use cirrus_core::preview::MediaStore;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// The scheme's name.
pub const SCHEME: &str = "cirrus-media";

/// The URL the WebView loads for an id. WebKitGTK and WKWebView address custom schemes as
/// `scheme://localhost/`; WebView2 (Windows) as `http://scheme.localhost/`.
pub fn url_for(id: &str) -> String {
    if cfg!(windows) {
        format!("http://{SCHEME}.localhost/{id}")
    } else {
        format!("{SCHEME}://localhost/{id}")
    }
}

/// The scheme's request handler: answers on the async runtime, off the WebView's thread.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        responder.respond(answer(&app, &request).await);
    });
}

fn plain(status: StatusCode) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Vec::new())
        .unwrap_or_default()
}

/// The answer to one request of the scheme (public for the tests, which have no WebView).
pub async fn answer<R: Runtime>(
    app: &AppHandle<R>,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let id = request.uri().path().trim_start_matches('/');
    let Some(preview) = app.try_state::<MediaStore>() else {
        return plain(StatusCode::SERVICE_UNAVAILABLE);
    };
    let Some(target) = preview.target(id) else {
        return plain(StatusCode::NOT_FOUND);
    };
    let state = app.state::<AppState>();
    let provider = match state.provider(&target.account_id).await {
        Ok(p) => p,
        Err(_) => return plain(StatusCode::UNAUTHORIZED),
    };
    let range = request
        .headers()
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok());
    match preview.read(id, provider.as_ref(), range).await {
        Ok(chunk) => {
            let mut b = Response::builder()
                .status(chunk.status)
                .header(header::CONTENT_TYPE, chunk.content_type)
                .header(header::ACCEPT_RANGES, "bytes")
                .header(header::CONTENT_LENGTH, chunk.body.len())
                .header(header::CACHE_CONTROL, "no-store")
                // The bytes are the user's file, never a page of ours: no sniffing into HTML.
                .header("X-Content-Type-Options", "nosniff");
            if let Some(cr) = &chunk.content_range {
                b = b.header(header::CONTENT_RANGE, cr);
            }
            b.body(Vec::from(chunk.body)).unwrap_or_default()
        }
        Err(e) if e.http_status() == Some(416) => Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{}", target.size))
            .body(Vec::new())
            .unwrap_or_default(),
        Err(e) => {
            tracing::debug!("preview read failed: {}", e.message());
            plain(match e.kind() {
                ErrorKind::NotFound => StatusCode::NOT_FOUND,
                ErrorKind::PermissionDenied | ErrorKind::SignInAgain => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_GATEWAY,
            })
        }
    }
}
