//! The Cloudreve response envelope and its error type.
//!
//! Real Cloudreve answers HTTP 200 for handled errors and puts the outcome in `code`; `msg` is
//! always present, `data` only when non-nil, and errors built through the common path carry a
//! per-request `correlation_id`.

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
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

/// Turn a serde error text into the message the Go validator would print.
fn binding_message(text: &str) -> String {
    if let Some(rest) = text.split("missing field `").nth(1) {
        let field = rest.split('`').next().unwrap_or_default();
        return format!("{} cannot be empty", go_field_name(field));
    }
    if text.contains("invalid type") {
        return "JSON marshall error".to_string();
    }
    "Invalid parameters.".to_string()
}

fn go_field_name(snake: &str) -> String {
    snake
        .split('_')
        .map(|p| {
            let mut c = p.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect::<String>(),
                None => String::new(),
            }
        })
        .collect()
}

/// JSON body extractor whose rejections become 40001 envelopes.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::binding("Invalid parameters."))?;
        // Go's decoder is lenient about Content-Type; so are we.
        let body: &[u8] = if bytes.is_empty() { b"{}" } else { &bytes };
        serde_json::from_slice(body)
            .map(ApiJson)
            .map_err(|e| ApiError::binding(binding_message(&e.to_string())))
    }
}

/// Query-string extractor whose rejections become 40001 envelopes.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_lite(q)
            .map(ApiQuery)
            .map_err(|e| ApiError::binding(binding_message(&e)))
    }
}

fn serde_urlencoded_lite<T: DeserializeOwned>(q: &str) -> Result<T, String> {
    // Decode into a flat string map first (last value wins) and let serde_json coerce types
    // from strings, so numeric and boolean query parameters parse like gin's form binding.
    let mut m = Map::new();
    for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
        m.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    serde_json::from_value(Value::Object(m)).map_err(|e| e.to_string())
}

/// serde helpers that accept query strings for numbers and booleans.
pub mod lenient {
    use serde::{Deserialize, Deserializer};
    use serde_json::Value;

    fn as_string(v: Value) -> String {
        match v {
            Value::String(s) => s,
            other => other.to_string(),
        }
    }

    /// Optional integer that may arrive as a string.
    pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        match v {
            None | Some(Value::Null) => Ok(None),
            Some(v) => {
                let s = as_string(v);
                if s.is_empty() {
                    return Ok(None);
                }
                s.parse()
                    .map(Some)
                    .map_err(|_| serde::de::Error::custom("invalid type: number"))
            }
        }
    }

    /// Boolean that may arrive as a string ("true", "1", "" = true when present without value).
    pub fn bool<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        let v = Option::<Value>::deserialize(d)?;
        Ok(match v {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(v) => matches!(as_string(v).as_str(), "true" | "1"),
        })
    }
}
