//! Upload callbacks (`/api/v4/callback/{type}/{session}/{secret}`), as in Cloudreve's
//! callback router group: the session check (`UseUploadSession`) fails with HTTP 401; the
//! per-type authentication follows; processing failures are HTTP 400 for the S3 family and
//! HTTP 200 for `remote` and `onedrive`.

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::app::AppRef;
use crate::envelope::{ApiError, Success};
use crate::policies::crsign::constant_time_eq;

/// `UseUploadSession(type)`: live session, matching secret, matching policy type. Every
/// failure is answered with HTTP 401 (see [`unauthorized`]).
fn use_upload_session(
    app: &AppRef,
    session_id: &str,
    key: &str,
    type_name: &str,
) -> Result<(), ApiError> {
    let now = app.now();
    let secret = {
        let store = app.store();
        match store.uploads.get(session_id).filter(|s| s.expires_at > now) {
            Some(s) => s.callback_secret.clone(),
            None => {
                return Err(ApiError::new(
                    40011,
                    "Upload session does not exist or expired",
                ));
            }
        }
    };
    if !constant_time_eq(secret.as_bytes(), key.as_bytes()) {
        return Err(ApiError::new(40020, "Invalid callback secret"));
    }
    if app.session_policy(session_id).kind.type_name() != type_name {
        return Err(ApiError::new(40006, ""));
    }
    Ok(())
}

/// An error envelope with HTTP 401, as `UseUploadSession` and the auth middlewares answer.
pub fn unauthorized(e: ApiError) -> Response {
    (StatusCode::UNAUTHORIZED, e).into_response()
}

/// `ProcessCallback(failedStatus)`: provider check, then complete the upload.
async fn process(app: &AppRef, session_id: &str, failed: StatusCode) -> Response {
    let res = async {
        crate::policies::verify_stored(app, session_id).await?;
        super::upload::complete_session(app, session_id)
    }
    .await;
    match res {
        Ok(()) => {
            app.policies.forget_session(session_id);
            Success::empty().into_response()
        }
        Err(e) => (failed, e).into_response(),
    }
}

/// `POST /callback/remote/{session}/{key}`: from the slave node, signed with the node key.
pub async fn remote(
    State(app): State<AppRef>,
    Path((session_id, key)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = use_upload_session(&app, &session_id, &key, "remote") {
        return unauthorized(e);
    }
    let full = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    if let Err(e) =
        app.policies
            .slave
            .auth
            .check_request(&full, &headers, &body, app.now().timestamp())
    {
        return (StatusCode::UNAUTHORIZED, e).into_response();
    }
    process(&app, &session_id, StatusCode::OK).await
}

/// `GET /callback/{s3|ks3|cos}/{session}/{key}`: sent by the client after it completed the
/// multipart upload; the stored size is checked (40055), failures are HTTP 400.
pub async fn object_get(
    State(app): State<AppRef>,
    Path((ty, session_id, key)): Path<(String, String, String)>,
) -> Response {
    if !matches!(ty.as_str(), "s3" | "ks3" | "cos") {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    }
    if let Err(e) = use_upload_session(&app, &session_id, &key, &ty) {
        return unauthorized(e);
    }
    process(&app, &session_id, StatusCode::BAD_REQUEST).await
}

/// `POST /callback/obs/{session}/{key}`: sent by the storage itself after the client
/// completed the upload (failures HTTP 400).
pub async fn object_post(
    State(app): State<AppRef>,
    Path((ty, session_id, key)): Path<(String, String, String)>,
) -> Response {
    if ty != "obs" {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    }
    if let Err(e) = use_upload_session(&app, &session_id, &key, &ty) {
        return unauthorized(e);
    }
    process(&app, &session_id, StatusCode::BAD_REQUEST).await
}

/// `POST /callback/onedrive/{session}/{key}`: sent by the client after its last fragment; the
/// drive item's size is checked (40055), processing failures are HTTP 200 envelopes.
pub async fn onedrive(
    State(app): State<AppRef>,
    Path((session_id, key)): Path<(String, String)>,
) -> Response {
    if let Err(e) = use_upload_session(&app, &session_id, &key, "onedrive") {
        return unauthorized(e);
    }
    process(&app, &session_id, StatusCode::OK).await
}

/// `{"error": …}` with HTTP 401, as Cloudreve's OSS signature and body checks answer.
fn general_failure(msg: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({ "error": msg })),
    )
        .into_response()
}

/// `POST /callback/oss/{session}/{key}`: posted by the store after the client completed the
/// upload. `OSSCallbackAuth` (signature, 401 `{"error"}`), `OSSCallbackValidate` (declared
/// size, 401 `{"error"}`), then processing (failures HTTP 400).
pub async fn oss(
    State(app): State<AppRef>,
    Path((session_id, key)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = use_upload_session(&app, &session_id, &key, "oss") {
        return unauthorized(e);
    }
    let path = percent_encoding::percent_decode_str(uri.path()).decode_utf8_lossy();
    if !crate::policies::s3::oss::verify_callback(&app.policies.s3, &path, &headers, &body) {
        return general_failure("Failed to verify callback request.");
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return (
            StatusCode::UNAUTHORIZED,
            ApiError::binding("Invalid parameters."),
        )
            .into_response();
    };
    let expected = app.store().uploads.get(&session_id).map(|s| s.size);
    if v["size"].as_u64() != expected {
        return general_failure("size mismatch");
    }
    process(&app, &session_id, StatusCode::BAD_REQUEST).await
}

/// `POST /callback/qiniu/{session}/{key}`: posted by the store after the client completed the
/// upload. The `QBox` signature is checked (401 `{"error"}`); processing failures are HTTP
/// 400 with `{"error"}` instead of the envelope, as Cloudreve answers Qiniu.
pub async fn qiniu(
    State(app): State<AppRef>,
    Path((session_id, key)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = use_upload_session(&app, &session_id, &key, "qiniu") {
        return unauthorized(e);
    }
    let auth = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !app.policies.qiniu.verify_callback(auth, uri.path(), &body) {
        return general_failure("Invalid signature.");
    }
    let res = async {
        crate::policies::verify_stored(&app, &session_id).await?;
        super::upload::complete_session(&app, &session_id)
    }
    .await;
    match res {
        Ok(()) => {
            app.policies.forget_session(&session_id);
            Success::empty().into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            axum::Json(serde_json::json!({ "error": e.msg })),
        )
            .into_response(),
    }
}

/// `POST /callback/upyun/{session}/{key}`: the service's notify call after a form upload.
/// Digest and signature are checked (401 `{"error"}`), a non-200 upload result is refused,
/// processing failures are HTTP 400.
pub async fn upyun(
    State(app): State<AppRef>,
    Path((session_id, key)): Path<(String, String)>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(e) = use_upload_session(&app, &session_id, &key, "upyun") {
        return unauthorized(e);
    }
    if !crate::policies::upyun::verify_callback(&app.policies.upyun, uri.path(), &headers, &body) {
        return general_failure("Failed to verify callback request.");
    }
    let code = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned());
    if code.as_deref() != Some("200") {
        return (
            StatusCode::BAD_REQUEST,
            ApiError::new(40001, "Upload failed on the storage side"),
        )
            .into_response();
    }
    process(&app, &session_id, StatusCode::BAD_REQUEST).await
}
