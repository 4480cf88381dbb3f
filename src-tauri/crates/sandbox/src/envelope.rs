//! The Cloudreve response envelope and its error type.
//!
//! Real Cloudreve answers HTTP 200 for handled errors and puts the outcome in `code`; `msg` is
//! always present, `data` only when non-nil, and errors built through the common path carry a
//! per-request `correlation_id`.

use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

tokio::task_local! {
    /// Correlation id of the request being served (client supplied or generated).
    pub static CORRELATION_ID: String;
}

/// The correlation id of the current request, or a fresh one outside a request scope.
pub fn correlation_id() -> String {
    CORRELATION_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| uuid::Uuid::new_v4().to_string())
}

/// An application error rendered as a Cloudreve error envelope.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// Numeric Cloudreve code (e.g. 40016).
    pub code: i32,
    /// Human text; clients must match on `code`.
    pub msg: String,
    /// Extra payload (e.g. lock conflicts for 40073).
    pub data: Option<Value>,
    /// Per-item errors of a partially failed batch (40081).
    pub aggregated: Option<Map<String, Value>>,
    /// Binding errors use an older helper that sets no correlation id.
    pub with_correlation: bool,
}

#[derive(Serialize)]
struct Envelope<'a> {
    code: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aggregated_error: Option<&'a Map<String, Value>>,
    msg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<String>,
}

impl ApiError {
    /// A typed error with a correlation id.
    pub fn new(code: i32, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
            data: None,
            aggregated: None,
            with_correlation: true,
        }
    }
    /// Attach `data` to the error envelope.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    /// Parameter error (40001) as produced by request binding: no correlation id.
    pub fn binding(msg: impl Into<String>) -> Self {
        Self {
            with_correlation: false,
            ..Self::new(40001, msg)
        }
    }
    /// 40001 raised by a handler (carries a correlation id).
    pub fn param(msg: impl Into<String>) -> Self {
        Self::new(40001, msg)
    }
    /// Untyped internal error: code -1, empty message.
    pub fn untyped() -> Self {
        Self::new(-1, "")
    }
    pub fn login_required() -> Self {
        Self::new(401, "Login required")
    }
    pub fn not_supported() -> Self {
        Self::new(403, "Not supported action")
    }
    pub fn path_not_exist() -> Self {
        Self::new(40016, "Path not exist")
    }
    pub fn object_existed() -> Self {
        Self::new(40004, "Object existed")
    }
    pub fn illegal_name() -> Self {
        Self::new(40052, "Invalid object name")
    }
    pub fn insufficient_capacity() -> Self {
        Self::new(40051, "Insufficient capacity")
    }
    pub fn too_large() -> Self {
        Self::new(40049, "File is too large")
    }
    pub fn stale_version() -> Self {
        Self::new(40076, "File is updated during your edit")
    }
    pub fn entity_not_exist() -> Self {
        Self::new(40077, "Entity not exist")
    }
    pub fn bad_object_id() -> Self {
        Self::binding("Failed to parse object ID")
    }
    pub fn upload_session_expired() -> Self {
        Self::new(40011, "Upload session does not exist or expired")
    }
    pub fn io_failed(msg: impl Into<String>) -> Self {
        Self::new(50004, msg)
    }

    fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("code".into(), self.code.into());
        m.insert("msg".into(), self.msg.clone().into());
        if self.with_correlation {
            m.insert("correlation_id".into(), correlation_id().into());
        }
        Value::Object(m)
    }

    /// Fold per-item failures of a batch into one 40081 error, or `Ok` when nothing failed.
    pub fn aggregate(failures: Vec<(String, ApiError)>) -> Result<(), ApiError> {
        if failures.is_empty() {
            return Ok(());
        }
        let msg = if failures.len() == 1 {
            failures[0].1.msg.clone()
        } else {
            "One or more operation failed".to_string()
        };
        let mut agg = Map::new();
        for (key, err) in &failures {
            agg.insert(key.clone(), err.to_value());
        }
        let mut e = ApiError::new(40081, msg);
        e.aggregated = Some(agg);
        Err(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let env = Envelope {
            code: self.code,
            data: self.data.as_ref(),
            aggregated_error: self.aggregated.as_ref(),
            msg: &self.msg,
            correlation_id: self.with_correlation.then(correlation_id),
        };
        axum::Json(env).into_response()
    }
}

/// A successful envelope: `{code:0, data?, msg:""}`.
pub struct Success(pub Option<Value>);

impl Success {
    /// Success carrying `data`.
    pub fn data(v: impl Serialize) -> Self {
        Success(Some(serde_json::to_value(v).unwrap_or(Value::Null)))
    }
    /// Success without `data`.
    pub fn empty() -> Self {
        Success(None)
    }
}

impl IntoResponse for Success {
    fn into_response(self) -> Response {
        let env = Envelope {
            code: 0,
            data: self.0.as_ref(),
            aggregated_error: None,
            msg: "",
            correlation_id: None,
        };
        axum::Json(env).into_response()
    }
}

/// Result type of every API handler.
pub type ApiResult = Result<Success, ApiError>;
