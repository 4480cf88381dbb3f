//! The `cirrus-thumb:` URI scheme: thumbnails for `<img>` elements in the WebView, served from
//! the disk cache (`cirrus_core::thumb_cache`) so the UI never holds a server URL or token.
//!
//! A URL is `cirrus-thumb://localhost/<percent-encoded JSON {"a": account, "u": uri, "v":
//! version}>` (the UI builds it with `convertFileSrc`); the account's provider fetches the
//! thumbnail. Answers: 200 with the image, 404 when the server has none (the UI keeps the file
//! icon), 503 for a failure worth retrying later.

use std::borrow::Cow;

use cirrus_core::provider::RemoteRef;
use cirrus_core::thumb_cache::{DEFAULT_CAP_BYTES, DEFAULT_IN_FLIGHT, ThumbCache};
use serde::Deserialize;
use tauri::http::{Request, Response, StatusCode, header};
use tauri::{AppHandle, Manager, Runtime, UriSchemeContext, UriSchemeResponder};

use crate::state::AppState;

/// The scheme's name (also in the CSP's `img-src`).
pub const SCHEME: &str = "cirrus-thumb";

/// The cache, managed as Tauri state once the app has a cache directory.
pub struct Thumbs(pub ThumbCache);

#[derive(Deserialize)]
struct ThumbRequest {
    /// Account id.
    a: String,
    /// The file's provider reference, verbatim from a listing.
    u: String,
    /// Version tag: changes when the file's content does.
    v: String,
}

/// Open the cache under the app's cache directory. Without one, thumbnails are simply absent.
pub fn setup<R: Runtime>(app: &AppHandle<R>) {
    let Ok(dir) = app.path().app_cache_dir() else {
        tracing::warn!("no cache directory: thumbnails are off");
        return;
    };
    match ThumbCache::open(dir.join("thumbnails"), DEFAULT_CAP_BYTES, DEFAULT_IN_FLIGHT) {
        Ok(cache) => {
            app.manage(Thumbs(cache));
        }
        Err(e) => tracing::warn!("thumbnail cache unavailable: {}", e.message()),
    }
}

/// The asynchronous scheme handler registered on the builder.
pub fn handle<R: Runtime>(
    ctx: UriSchemeContext<'_, R>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    let path = request.uri().path().to_string();
    tauri::async_runtime::spawn(async move {
        responder.respond(serve(&app, &path).await);
    });
}

fn status(code: StatusCode) -> Response<Cow<'static, [u8]>> {
    Response::builder()
        .status(code)
        .body(Cow::Borrowed(&[][..]))
        .expect("static response")
}

/// Parse the request path into what to fetch.
fn parse(path: &str) -> Option<ThumbRequest> {
    let raw = path.strip_prefix('/').unwrap_or(path);
    let json = percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .ok()?;
    serde_json::from_str(&json).ok()
}

/// The image type from its first bytes; thumbnails are JPEG, PNG, GIF or WebP.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

async fn serve<R: Runtime>(app: &AppHandle<R>, path: &str) -> Response<Cow<'static, [u8]>> {
    let Some(req) = parse(path) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let Some(thumbs) = app.try_state::<Thumbs>() else {
        return status(StatusCode::NOT_FOUND);
    };
    let state = app.state::<AppState>();
    let provider = match state.cirrus.provider(&req.a).await {
        Ok(p) => p,
        Err(_) => return status(StatusCode::NOT_FOUND),
    };
    let file = RemoteRef::new(req.u);
    match thumbs.0.get(provider.as_ref(), &req.a, &file, &req.v).await {
        Ok(Some(bytes)) => match sniff(&bytes) {
            // Only images go to the WebView, whatever the server sent.
            Some(mime) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, mime)
                .header(header::CACHE_CONTROL, "private, max-age=86400")
                .header("X-Content-Type-Options", "nosniff")
                .body(Cow::Owned(bytes))
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
            None => status(StatusCode::NOT_FOUND),
        },
        Ok(None) => status(StatusCode::NOT_FOUND),
        Err(e) => {
            tracing::debug!("thumbnail failed: {}", e.message());
            status(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_encoded_request() {
        let r = parse("/%7B%22a%22%3A%22acc%22%2C%22u%22%3A%22cloudreve%3A%2F%2Fmy%2Fa%2520b.jpg%22%2C%22v%22%3A%221%22%7D")
            .expect("parsed");
        assert_eq!(r.a, "acc");
        assert_eq!(r.u, "cloudreve://my/a%20b.jpg");
        assert_eq!(r.v, "1");
        assert!(parse("/not-json").is_none());
    }

    #[test]
    fn sniffs_images_only() {
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"\x89PNG\r\n"), Some("image/png"));
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"<svg onload=alert(1)>"), None);
    }
}
