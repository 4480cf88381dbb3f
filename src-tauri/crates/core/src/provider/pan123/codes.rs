//! 123pan body codes mapped to our error kinds. Every answer is HTTP 200 with
//! `{code, message, data, x-traceID}`; the code says what happened.

use crate::error::{Error, ErrorKind};

/// General failure; also mkdir's answer when the name is taken.
pub const CODE_GENERAL: i64 = 1;
/// The access token is invalid, expired, or was pushed out by a newer one.
pub const CODE_TOKEN_INVALID: i64 = 401;
/// Too many requests for this endpoint (QPS).
pub const CODE_TOO_MANY: i64 = 429;
/// The file does not exist.
pub const CODE_NOT_FOUND: i64 = 5066;
/// Today's download traffic is used up.
pub const CODE_TRAFFIC_QUOTA: i64 = 5113;
/// `upload_complete`: the server is still checking the upload.
pub const CODE_VERIFYING: i64 = 20103;

/// Characters of a server's `message` kept in an error message.
const MAX_SERVER_MSG: usize = 300;

/// The kind of a 123pan code.
pub fn code_kind(code: i64) -> ErrorKind {
    match code {
        CODE_TOKEN_INVALID => ErrorKind::SignInAgain,
        CODE_TOO_MANY => ErrorKind::RateLimited,
        CODE_NOT_FOUND => ErrorKind::NotFound,
        CODE_TRAFFIC_QUOTA => ErrorKind::QuotaExceeded,
        CODE_VERIFYING => ErrorKind::Server,
        // Code 1 covers every refusal of a request (bad name, bad parameter, existing name);
        // callers that can tell more (mkdir, sign-in) look at it themselves.
        CODE_GENERAL => ErrorKind::InvalidInput,
        500..=599 => ErrorKind::Server,
        _ => ErrorKind::Protocol,
    }
}

/// A typed error for a 123pan code, the server's `message` and its trace id.
pub fn code_error(code: i64, msg: &str, trace: Option<&str>) -> Error {
    let kind = code_kind(code);
    let base = match code {
        CODE_TRAFFIC_QUOTA => {
            "Today's 123pan download traffic is used up (free accounts get 1 GB a day). \
             Downloads work again tomorrow, or with a VIP account."
        }
        CODE_NOT_FOUND => "The file or folder does not exist.",
        CODE_TOO_MANY => "123pan is limiting requests; try again in a moment.",
        CODE_GENERAL => "123pan refused the request.",
        _ => kind.default_message(),
    };
    let message = if msg.is_empty() || msg == "ok" {
        base.to_string()
    } else {
        let short: String = msg.chars().take(MAX_SERVER_MSG).collect();
        format!("{base} Server says: {short}")
    };
    Error::with_message(kind, message)
        .with_server_code(code)
        .with_correlation_id(trace.map(str::to_string))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_typed() {
        for (code, kind) in [
            (401, ErrorKind::SignInAgain),
            (429, ErrorKind::RateLimited),
            (5066, ErrorKind::NotFound),
            (5113, ErrorKind::QuotaExceeded),
            (1, ErrorKind::InvalidInput),
            (20103, ErrorKind::Server),
        ] {
            assert_eq!(code_kind(code), kind, "{code}");
        }
        let e = code_error(5113, "流量不足", Some("trace-1"));
        assert!(e.message().contains("download traffic"), "{e}");
        assert!(!e.is_retryable(), "a used-up quota is not retried");
        assert_eq!(e.correlation_id(), Some("trace-1"));
        assert!(code_error(429, "", None).is_retryable());
    }
}
