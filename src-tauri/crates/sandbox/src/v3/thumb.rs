//! `GET /file/thumb/:id`: the thumbnail itself (not a URL, unlike v4), made on the first request
//! for photos and served like `http.ServeContent`. A file that cannot have one gets the
//! `thumb_status` mark (listed as `thumb: false` from then on) and the JSON error -1
//! "Failed to get thumbnail", HTTP 200, as Cloudreve 3.8's `Thumb` controller answers.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use super::{Login, V3Ref, err, param_err};
use crate::ids::Kind;
use crate::routes::thumb::thumbnail_entity;

/// Metadata key marking a file without a thumbnail (Cloudreve 3's `thumb_status`).
pub const THUMB_STATUS: &str = "thumb_status";

/// `GET /file/thumb/:id` (file hashid).
pub async fn thumb(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    // The `HashID` middleware rejects what does not decode before the controller runs.
    let Some(raw) = v3.app.ids.decode(Kind::File, &id) else {
        return param_err("Failed to parse object ID").into_response();
    };
    let failed = || err(-1, "Failed to get thumbnail").into_response();
    let (file, modified) = {
        let store = v3.app.store();
        match v3.owned_file(&store, uid, raw) {
            Some(f) => (f, store.node(f).updated_at),
            None => return failed(),
        }
    };
    match thumbnail_entity(&v3.app, file, THUMB_STATUS).await {
        Ok(Some(entity)) => {
            super::download::serve_entity(
                &v3,
                entity,
                "thumb.jpg",
                modified,
                &headers,
                HeaderMap::new(),
            )
            .await
        }
        _ => failed(),
    }
}
