//! File versions (`POST /file/version/current`, `DELETE /file/version`): a version is one of
//! a file's entities; listing them is `GET /file/info?extended=true`.

use axum::extract::State;
use serde::Deserialize;

use super::fs_user;
use crate::app::AppRef;
use crate::auth::Caller;
use crate::binding::GinJson;
use crate::envelope::{ApiError, ApiResult, Success};
use crate::ids::Kind;
use crate::store::{Id, Store};
use crate::uri::{CrUri, Fs};

/// Body of both version routes.
#[derive(Deserialize)]
pub struct VersionBody {
    #[serde(default)]
    uri: String,
    #[serde(default)]
    version: String,
}

/// Resolve the file and the version named in `b`, with Cloudreve's checks and codes.
fn target(
    app: &AppRef,
    caller: Caller,
    store: &Store,
    b: &VersionBody,
) -> Result<(Id, Id), ApiError> {
    if b.uri.is_empty() {
        return Err(ApiError::binding("Uri cannot be empty"));
    }
    if b.version.is_empty() {
        return Err(ApiError::binding("Version cannot be empty"));
    }
    let uri = CrUri::parse(&b.uri)?;
    if uri.fs != Fs::My {
        // Only the owner may manage versions, and only the owner's own view names them.
        caller.require()?;
        return Err(ApiError::new(
            40082,
            "Only owner or administrator can perform this action",
        ));
    }
    let uid = fs_user(app, caller, &uri)?;
    let file = store
        .resolve(uid, &uri)?
        .ok_or_else(ApiError::path_not_exist)?;
    let n = store.node(file);
    if n.owner != uid {
        return Err(ApiError::new(
            40082,
            "Only owner or administrator can perform this action",
        ));
    }
    if n.is_folder() {
        return Err(ApiError::not_supported());
    }
    let version = app
        .ids
        .decode(Kind::Entity, &b.version)
        .filter(|e| n.entities.contains(e))
        .filter(|e| {
            store
                .entities
                .get(e)
                .is_some_and(|x| x.pending_session.is_none())
        })
        .ok_or_else(ApiError::entity_not_exist)?;
    Ok((file, version))
}

/// `POST /file/version/current`: make a stored version the file's content.
pub async fn set_current(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<VersionBody>,
) -> ApiResult {
    let mut store = app.store();
    let (file, version) = target(&app, caller, &store, &b)?;
    let size = store.entities[&version].size;
    let now = app.now();
    let n = store.nodes.get_mut(&file).expect("file");
    if n.primary != Some(version) {
        n.primary = Some(version);
        n.size = size;
        n.updated_at = now;
        // Thumbnails belong to the old content.
        n.metadata.retain(|k, _| !k.starts_with("thumb:"));
    }
    Ok(Success::empty())
}

/// `DELETE /file/version`: delete a version that is not the current one.
pub async fn delete(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<VersionBody>,
) -> ApiResult {
    let garbage = {
        let mut store = app.store();
        let (file, version) = target(&app, caller, &store, &b)?;
        if store.node(file).primary == Some(version) {
            return Err(ApiError::new(403, "Cannot delete current version"));
        }
        store.release_entity(file, version)
    };
    app.collect_garbage(garbage.into_iter().collect());
    Ok(Success::empty())
}
