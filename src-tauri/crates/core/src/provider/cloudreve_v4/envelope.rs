//! Decoding of the v4 JSON envelope `{code, data, msg, aggregated_error, correlation_id}`.
//! Errors come back as HTTP 200 with a non-zero `code`; 203 means "continue" (2FA).

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::model::{BatchOutcome, RemoteRef};

use super::uri::canonical;

/// The code for "batch not fully completed" (per-item errors in `aggregated_error`).
pub const CODE_BATCH_PARTIAL: i64 = 40081;
/// The "continue" code: 2FA needed at sign-in.
pub const CODE_CONTINUE: i64 = 203;
/// "Login required" — the access token was missing, expired or rejected.
pub const CODE_LOGIN_REQUIRED: i64 = 401;
/// "Invalid token type" / failed refresh.
pub const CODE_CREDENTIAL_INVALID: i64 = 40020;

/// A decoded envelope.
#[derive(Clone, Debug, Deserialize)]
pub struct Envelope {
    /// 0 = success.
    pub code: i64,
    /// Payload (absent when nil), kept as raw JSON so it is parsed once, straight into the
    /// caller's type (a 2 000-entry listing page is megabytes).
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
    /// Human text.
    #[serde(default)]
    pub msg: String,
    /// Per-item nested envelopes of a partially failed batch.
    #[serde(default)]
    pub aggregated_error: Option<BTreeMap<String, Envelope>>,
    /// Server request id.
    #[serde(default)]
    pub correlation_id: Option<String>,
}

impl Envelope {
    /// Parse a response body. `status` is the HTTP status (errors may also come as 4xx/5xx).
    pub fn decode(status: u16, body: &[u8]) -> Result<Envelope> {
        match serde_json::from_slice::<Envelope>(body) {
            Ok(env) => Ok(env),
            Err(_) => Err(http_error(status, body)),
        }
    }

    /// Turn a non-zero code into a typed error; success yields the data (Null when absent).
    pub fn into_data(self) -> Result<Value> {
        self.into_typed()
    }

    /// Like [`Envelope::into_data`], parsing the data straight into `T`.
    pub fn into_typed<T: DeserializeOwned>(self) -> Result<T> {
        if self.code != 0 {
            return Err(self.to_error());
        }
        self.parse_data()
            .map_err(|e| Error::protocol(format!("Unexpected data in the server's answer: {e}")))
    }

    /// The data (JSON `null` when absent) parsed as `T`, whatever the code.
    pub fn parse_data<T: DeserializeOwned>(&self) -> serde_json::Result<T> {
        serde_json::from_str(self.data.as_deref().map_or("null", RawValue::get))
    }

    /// The data as a string, if it is one (the 2FA session id of a 203 answer).
    pub fn data_str(&self) -> Option<String> {
        self.parse_data().ok()
    }

    /// The typed error for this envelope's code.
    pub fn to_error(&self) -> Error {
        // A "batch" of one item (e.g. `POST /file/url` for one file) failed: its own error
        // says what happened (not found, locked…), the 40081 wrapper does not.
        if self.code == CODE_BATCH_PARTIAL
            && let Some(items) = &self.aggregated_error
            && items.len() == 1
            && let Some(inner) = items.values().next()
        {
            return inner
                .to_error()
                .with_correlation_id(self.correlation_id.clone());
        }
        code_error(self.code, &self.msg).with_correlation_id(self.correlation_id.clone())
    }

    /// For batch endpoints: success, or partial failure with per-item errors mapped back to
    /// the refs we sent (the server re-serializes URIs, so we compare canonical forms).
    pub fn into_batch(self, sent: &[RemoteRef]) -> Result<BatchOutcome> {
        if self.code == 0 {
            return Ok(BatchOutcome::default());
        }
        let Some(items) = self
            .aggregated_error
            .as_ref()
            .filter(|_| self.code == CODE_BATCH_PARTIAL)
        else {
            return Err(self.to_error());
        };
        let failed = items
            .iter()
            .map(|(key, inner)| {
                let key_c = canonical(key);
                let remote = sent
                    .iter()
                    .find(|r| canonical(r.as_str()) == key_c)
                    .cloned()
                    .unwrap_or_else(|| RemoteRef::new(key.clone()));
                (remote, inner.to_error())
            })
            .collect();
        Ok(BatchOutcome { failed })
    }
}

/// An error for a non-envelope HTTP response.
pub fn http_error(status: u16, body: &[u8]) -> Error {
    if status == 407 {
        return crate::net::proxy::auth_required();
    }
    let kind = match status {
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        401 => ErrorKind::SignInAgain,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        _ => ErrorKind::Protocol,
    };
    let snippet: String = String::from_utf8_lossy(body).chars().take(120).collect();
    let msg = if kind == ErrorKind::Protocol {
        format!("The server sent an unexpected answer (HTTP {status}): {snippet}")
    } else {
        format!("{} (HTTP {status})", kind.default_message())
    };
    Error::with_message(kind, msg).with_http_status(status)
}

/// Map a Cloudreve v4 `code` to an error kind.
pub fn code_kind(code: i64) -> ErrorKind {
    match code {
        203 => ErrorKind::TwoFactorRequired,
        401 | 40020 => ErrorKind::SignInAgain,
        403 | 40005 | 40053 | 40071 | 40082 | 40088 | 40089 => ErrorKind::PermissionDenied,
        404 | 40016 | 40021 | 40044 | 40058 | 40077 => ErrorKind::NotFound,
        409 | 40054 | 40073 | 40075 | 40076 => ErrorKind::LockConflict,
        40004 | 40032 => ErrorKind::AlreadyExists,
        40006 => ErrorKind::Unsupported,
        40007 | 40019 => ErrorKind::FeatureDisabled,
        40011 => ErrorKind::UploadSessionExpired,
        40012 | 40013 | 40055 => ErrorKind::Protocol,
        40017 | 40018 => ErrorKind::AccountDisabled,
        40022 | 40023 => ErrorKind::TwoFactorWrong,
        40026 | 40027 => ErrorKind::CaptchaRequired,
        40049 => ErrorKind::FileTooLarge,
        40050 | 40052 => ErrorKind::InvalidName,
        40051 => ErrorKind::QuotaExceeded,
        40069 | 40080 => ErrorKind::WrongPassword,
        -1 | 40048 => ErrorKind::Server,
        50000..=59999 => ErrorKind::Server,
        40000..=49999 => ErrorKind::InvalidInput,
        _ => ErrorKind::Protocol,
    }
}

/// Characters of a server's `msg` kept in an error message.
const MAX_SERVER_MSG: usize = 500;

/// A typed error for a code and the server's `msg`.
pub fn code_error(code: i64, msg: &str) -> Error {
    let kind = code_kind(code);
    let base = match code {
        40069 => "The password is incorrect.",
        40005 => "The signed link has expired.",
        40012 | 40013 => "The upload chunk was rejected by the server.",
        40074 | 40014 | 40015 => "Too many items in one request.",
        40079 => "Too many files for this operation.",
        _ => kind.default_message(),
    };
    let message = if msg.is_empty() || msg.eq_ignore_ascii_case(base) {
        base.to_string()
    } else {
        // A hostile server can send megabytes of `msg`; errors end up in the UI and logs.
        let short: String = msg.chars().take(MAX_SERVER_MSG).collect();
        let more = if short.len() < msg.len() { "…" } else { "" };
        format!("{base} Server says: {short}{more}")
    };
    Error::with_message(kind, message).with_server_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(json: &str) -> Envelope {
        Envelope::decode(200, json.as_bytes()).unwrap()
    }

    #[test]
    fn success_yields_data() {
        let e = env(r#"{"code":0,"data":"4.18.0","msg":""}"#);
        assert_eq!(e.into_data().unwrap(), Value::String("4.18.0".into()));
        let e = env(r#"{"code":0,"msg":""}"#);
        assert_eq!(e.into_data().unwrap(), Value::Null);
    }

    #[test]
    fn http_200_errors_are_typed() {
        let e = env(r#"{"code":40016,"msg":"Path not exist","correlation_id":"0d6c"}"#)
            .into_data()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.server_code(), Some(40016));
        assert_eq!(e.correlation_id(), Some("0d6c"));
        let e = env(r#"{"code":-1,"msg":""}"#).into_data().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        let e = env(r#"{"code":40080,"msg":"Incorrect password or email address"}"#)
            .into_data()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WrongPassword);
        let e = env(r#"{"code":40026,"msg":"CAPTCHA not match."}"#)
            .into_data()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::CaptchaRequired);
        let e = env(
            r#"{"code":40073,"msg":"Lock conflict","data":[{"path":"cloudreve://my/x","type":0}]}"#,
        )
        .into_data()
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LockConflict);
    }

    #[test]
    fn two_factor_continue() {
        let e = env(r#"{"code":203,"data":"6f1c-uuid","msg":""}"#);
        assert_eq!(e.code, CODE_CONTINUE);
        assert_eq!(e.data_str().as_deref(), Some("6f1c-uuid"));
        assert_eq!(e.to_error().kind(), ErrorKind::TwoFactorRequired);
    }

    #[test]
    fn aggregated_errors_map_back_to_sent_refs() {
        let body = r#"{"code":40081,"msg":"One or more operation failed","aggregated_error":{
            "cloudreve://my/a%20b":{"code":40016,"msg":"Path not exist","correlation_id":"c1"},
            "cloudreve://my/y":{"code":40082,"msg":"Only owner or administrator can perform this action"}},
            "correlation_id":"c0"}"#;
        let sent = vec![
            RemoteRef::new("cloudreve://my/a b"),
            RemoteRef::new("cloudreve://my/y"),
            RemoteRef::new("cloudreve://my/z"),
        ];
        let out = env(body).into_batch(&sent).unwrap();
        assert_eq!(out.failed.len(), 2);
        assert_eq!(out.failed[0].0, sent[0]);
        assert_eq!(out.failed[0].1.kind(), ErrorKind::NotFound);
        assert_eq!(out.failed[1].0, sent[1]);
        assert_eq!(out.failed[1].1.kind(), ErrorKind::PermissionDenied);
    }

    #[test]
    fn a_failed_batch_of_one_is_its_item_error() {
        let body = r#"{"code":40081,"msg":"Path not exist","aggregated_error":{
            "cloudreve://my/nope":{"code":40016,"msg":"Path not exist"}},"correlation_id":"c0"}"#;
        let e = env(body).into_data().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(e.server_code(), Some(40016));
        assert_eq!(e.correlation_id(), Some("c0"));
    }

    #[test]
    fn non_batch_error_on_batch_endpoint_is_an_error() {
        let e = env(r#"{"code":40004,"msg":"Object existed"}"#)
            .into_batch(&[])
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    }

    #[test]
    fn non_json_bodies() {
        let e = Envelope::decode(404, b"404 page not found").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = Envelope::decode(502, b"bad gateway").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Server);
        assert!(e.is_retryable());
        let e = Envelope::decode(200, b"<html>").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }
}
