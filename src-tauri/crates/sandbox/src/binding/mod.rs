//! Request binding with Go + Gin semantics, shared by every Cloudreve route.
//!
//! Cloudreve binds bodies with Gin's `ShouldBindJSON` (Go `encoding/json`) and query strings
//! with `ShouldBindQuery` (Gin's form mapping over `strconv`). Clients lean on those rules
//! (`null` for "unset", `extended=True`, capitalised keys), so routes take [`GinJson`] and
//! [`GinQuery`] instead of axum's stricter `Json`/`Query`. Nothing here depends on the API
//! version: a failure is a [`BindError`], rendered as the 40001 envelope both Cloudreve v3 and
//! v4 answer with, so another protocol module can use the same extractors.
//!
//! Go fills an absent field with its zero value, so request structs mark plain fields
//! `#[serde(default)]`; a field left without a default stands for a `binding:"required"` tag and
//! fails as "<Field> cannot be empty" when absent or `null`.

mod error;
pub mod gin_form;
pub mod go_json;
pub mod go_path;

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

pub use error::BindError;

use crate::envelope::ApiError;

/// A JSON body bound like Gin's `ShouldBindJSON` (any `Content-Type`).
pub struct GinJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for GinJson<T> {
    type Rejection = BindError;
    async fn from_request(req: Request, state: &S) -> Result<Self, BindError> {
        let body = Bytes::from_request(req, state)
            .await
            .map_err(|e| BindError::Malformed(e.to_string()))?;
        go_json::from_slice(&body).map(GinJson)
    }
}

/// A query string bound like Gin's `ShouldBindQuery`.
pub struct GinQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for GinQuery<T> {
    type Rejection = BindError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, BindError> {
        gin_form::from_query(parts.uri.query().unwrap_or_default()).map(GinQuery)
    }
}

impl From<BindError> for ApiError {
    fn from(e: BindError) -> Self {
        ApiError::binding(e.message())
    }
}

impl IntoResponse for BindError {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}
