//! Cloudreve 3 envelope codes mapped to our error kinds. The envelope itself has the same
//! shape as v4's (`{code, data, msg}`, errors on HTTP 200), so its decoder is shared; the
//! code table differs.

use crate::error::{Error, ErrorKind};

/// 2FA needed at sign-in (no data; the second step uses the same cookie).
pub const CODE_TWO_FACTOR: i64 = 203;
/// Not signed in (the cookie is missing, expired or was revoked).
pub const CODE_LOGIN_REQUIRED: i64 = 401;
/// An object of that name exists.
pub const CODE_OBJECT_EXISTS: i64 = 40004;
/// The storage policy sent with an upload is not the user's current one.
pub const CODE_POLICY_NOT_ALLOWED: i64 = 40006;
/// The policy changed since the listing (3.8: "refresh the file list").
pub const CODE_POLICY_CHANGED: i64 = 40057;
/// Wrong email or password.
pub const CODE_CREDENTIAL_INVALID: i64 = 40020;

/// The kind of a v3 code.
pub fn code_kind(code: i64) -> ErrorKind {
    match code {
        203 => ErrorKind::TwoFactorRequired,
        401 => ErrorKind::SignInAgain,
        403 | 40005 | 40008 | 40053 | 40071 => ErrorKind::PermissionDenied,
        404 | 40016 | 40044 | 40058 | 40029 | 40030 => ErrorKind::NotFound,
        409 | 40054 => ErrorKind::LockConflict,
        40004 | 40032 => ErrorKind::AlreadyExists,
        40006 | 40057 => ErrorKind::Protocol,
        40007 | 40019 | 40014 | 40015 => ErrorKind::FeatureDisabled,
        40011 => ErrorKind::UploadSessionExpired,
        40012 | 40013 | 40055 => ErrorKind::Protocol,
        40017 | 40018 => ErrorKind::AccountDisabled,
        40020 | 40021 | 40069 => ErrorKind::WrongPassword,
        40022 | 40023 => ErrorKind::TwoFactorWrong,
        40026 | 40027 => ErrorKind::CaptchaRequired,
        40049 => ErrorKind::FileTooLarge,
        40050 | 40052 => ErrorKind::InvalidName,
        40051 => ErrorKind::QuotaExceeded,
        -1 | 40002 | 40003 | 40045 | 40047 | 40048 => ErrorKind::Server,
        50000..=59999 => ErrorKind::Server,
        40000..=49999 => ErrorKind::InvalidInput,
        _ => ErrorKind::Protocol,
    }
}

/// Characters of a server's `msg` kept in an error message.
const MAX_SERVER_MSG: usize = 300;

/// A typed error for a v3 code and the server's `msg`.
pub fn code_error(code: i64, msg: &str) -> Error {
    let kind = code_kind(code);
    let base = match code {
        40012 | 40013 => "The upload chunk was rejected by the server.",
        40006 | 40057 => "The server's storage policy changed; the upload must start again.",
        40014 | 40015 => "Too many items in one request.",
        _ => kind.default_message(),
    };
    let message = if msg.is_empty() || msg.eq_ignore_ascii_case(base) {
        base.to_string()
    } else {
        let short: String = msg.chars().take(MAX_SERVER_MSG).collect();
        format!("{base} Server says: {short}")
    };
    Error::with_message(kind, message).with_server_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_codes_are_typed() {
        for (code, kind) in [
            (401, ErrorKind::SignInAgain),
            (40004, ErrorKind::AlreadyExists),
            (40016, ErrorKind::NotFound),
            (40044, ErrorKind::NotFound),
            (404, ErrorKind::NotFound),
            (40051, ErrorKind::QuotaExceeded),
            (40011, ErrorKind::UploadSessionExpired),
            (40054, ErrorKind::LockConflict),
            (40020, ErrorKind::WrongPassword),
            (40022, ErrorKind::TwoFactorWrong),
            (40026, ErrorKind::CaptchaRequired),
            (40053, ErrorKind::PermissionDenied),
            (40001, ErrorKind::InvalidInput),
            (50002, ErrorKind::Server),
            (-1, ErrorKind::Server),
        ] {
            assert_eq!(code_kind(code), kind, "{code}");
        }
        let e = code_error(40004, "Object existed");
        assert_eq!(e.server_code(), Some(40004));
        assert!(e.message().contains("Object existed"));
    }
}
