//! HTTP routing: every API route lives under `/api/v4`.

pub mod callback;
pub mod content;
pub mod file;
pub mod session;
pub mod share;
pub mod site;
pub mod slave;
pub mod thumb;
pub mod upload;
pub mod user;
pub mod versions;
pub mod workflow;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, post, put};

use crate::app::AppRef;
use crate::auth::{Caller, identify};
use crate::envelope::ApiError;
use crate::ids::Kind;
use crate::store::Id;
use crate::uri::{CrUri, Fs};

/// Build the full router for `app`.
pub fn router(app: AppRef) -> Router {
    let api = Router::new()
        .route("/site/ping", get(site::ping))
        .route("/site/config/{section}", get(site::config))
        .route("/site/captcha", get(site::captcha))
        .route("/session/prepare", get(session::prepare))
        .route(
            "/session/token",
            post(session::login).delete(session::sign_out),
        )
        .route("/session/token/2fa", post(session::login_2fa))
        .route("/session/token/refresh", post(session::refresh))
        .route("/user/me", get(user::me))
        .route("/user/capacity", get(user::capacity))
        .route("/file", get(file::list).delete(file::delete))
        .route("/file/info", get(file::info))
        .route("/file/create", post(file::create))
        .route("/file/rename", post(file::rename))
        .route("/file/move", post(file::move_or_copy))
        .route("/file/restore", post(file::restore))
        .route("/file/trash", delete(file::empty_trash))
        .route("/file/content", put(upload::put_content))
        .route("/file/url", post(content::urls))
        .route("/file/version/current", post(versions::set_current))
        .route("/file/version", delete(versions::delete))
        .route("/file/thumb", get(thumb::thumb))
        .route("/file/content/{entity}/{speed}/{name}", get(content::serve))
        .route("/file/upload", put(upload::create).delete(upload::cancel))
        .route("/file/upload/{session}/{index}", post(upload::chunk))
        .route("/callback/remote/{session}/{key}", post(callback::remote))
        .route(
            "/callback/onedrive/{session}/{key}",
            post(callback::onedrive),
        )
        .route("/callback/oss/{session}/{key}", post(callback::oss))
        .route("/callback/qiniu/{session}/{key}", post(callback::qiniu))
        .route("/callback/upyun/{session}/{key}", post(callback::upyun))
        .route(
            "/callback/{ty}/{session}/{key}",
            get(callback::object_get).post(callback::object_post),
        )
        .route(
            "/share",
            put(share::create)
                .get(share::list_mine)
                .delete(share::delete_batch),
        )
        .route("/share/info/{id}", get(share::share_info))
        .route("/share/{id}", post(share::edit).delete(share::delete))
        .route("/workflow", get(workflow::list))
        .route("/workflow/archive", post(workflow::create_archive))
        .route("/workflow/extract", post(workflow::create_extract))
        .route("/workflow/download", post(workflow::create_download))
        .route("/workflow/download/{id}", delete(workflow::cancel_download))
        .route("/workflow/progress/{id}", get(workflow::progress))
        .layer(from_fn_with_state(app.clone(), identify))
        // Bodies are size-checked by the handlers themselves (chunks, PUT /file/content).
        .layer(DefaultBodyLimit::disable())
        .with_state(app);
    Router::new()
        .nest("/api/v4", api)
        .route("/s/{id}", get(share::short_link))
        .route("/s/{id}/{password}", get(share::short_link))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
}

/// gin's default answer for unknown routes.
async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "404 page not found")
}

/// Parse the `uri` parameter (binding error when missing).
pub fn parse_uri(raw: Option<&str>, field: &str) -> Result<CrUri, ApiError> {
    match raw {
        Some(s) if !s.is_empty() => CrUri::parse(s),
        _ => Err(ApiError::binding(format!("{field} cannot be empty"))),
    }
}

/// The user whose filesystem `uri` addresses, enforcing the navigator's access rules.
pub fn fs_user(app: &crate::app::App, caller: Caller, uri: &CrUri) -> Result<Id, ApiError> {
    match uri.fs {
        Fs::Share => Err(ApiError::new(404, "Shared file does not exist")),
        Fs::My => {
            let uid = caller.require()?;
            if let Some(owner) = &uri.user {
                match app.ids.decode(Kind::User, owner) {
                    None => return Err(ApiError::path_not_exist()),
                    Some(o) if o != uid => return Err(ApiError::new(403, "Permission denied")),
                    Some(_) => {}
                }
            }
            Ok(uid)
        }
        Fs::Trash | Fs::SharedWithMe => caller.require(),
    }
}

/// Lock-conflict error (40073) for a path held by an upload session.
pub fn lock_conflict(path: &CrUri, token: &str) -> ApiError {
    ApiError::new(40073, "Lock conflict").with_data(serde_json::json!([{
        "path": path.to_string(),
        "token": token,
        "owner": {"application": {"type": "upload"}},
        "type": 0,
    }]))
}

/// Base URL of the request (scheme + Host), used for absolute content URLs.
pub fn request_base(headers: &axum::http::HeaderMap, fallback: &str) -> String {
    headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|h| format!("http://{h}"))
        .unwrap_or_else(|| fallback.to_string())
}
