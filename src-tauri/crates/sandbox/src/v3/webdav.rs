//! WebDAV accounts (`/webdav/accounts`).

use axum::extract::Path;

use super::{Login, R3, err};

/// One WebDAV account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: u64,
}

/// `GET /webdav/accounts`
pub async fn list(_: Login) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}

/// `POST /webdav/accounts`
pub async fn create(_: Login) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}

/// `PATCH /webdav/accounts`
pub async fn update(_: Login) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}

/// `DELETE /webdav/accounts/:id`
pub async fn delete(_: Login, Path(_id): Path<String>) -> R3 {
    Err(err(40019, "This feature is not enabled"))
}
