//! Offline downloads (`/aria2/*`).

use axum::extract::Path;

use super::{Login, R3, err};

/// One offline download task.
#[derive(Debug, Clone)]
pub struct Task {
    pub gid: String,
}

/// `POST /aria2/url`
pub async fn add_url(_: Login) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}

/// `GET /aria2/downloading`
pub async fn downloading(_: Login) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}

/// `GET /aria2/finished`
pub async fn finished(_: Login) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}

/// `DELETE /aria2/task/:gid`
pub async fn cancel(_: Login, Path(_gid): Path<String>) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}
