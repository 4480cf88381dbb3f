//! The one error type of the core: a typed kind with a stable string for the UI, a plain
//! English message, and enough detail (server code, correlation id) for diagnostics.

use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// Result alias used throughout the core.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, in terms a caller can act on. `kind()` gives the stable UI string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum ErrorKind {
    /// The server could not be reached at all (connection refused, no route).
    Unreachable,
    /// Something answered, but it is not a Cloudreve server (or not a supported version).
    NotCloudreve,
    /// Email or password rejected at sign-in.
    WrongPassword,
    /// The account has two-factor authentication; a one-time code is needed.
    TwoFactorRequired,
    /// The one-time code was wrong or the 2FA step expired.
    TwoFactorWrong,
    /// The server demands a captcha, which Cirrus cannot solve for password sign-in.
    CaptchaRequired,
    /// The saved session is no longer valid; the user must sign in again.
    SignInAgain,
    /// The file, folder, share or task does not exist.
    NotFound,
    /// An object with that name already exists.
    AlreadyExists,
    /// Not enough storage left.
    QuotaExceeded,
    /// The name is not allowed (characters, length, extension rules).
    InvalidName,
    /// The account may not do this.
    PermissionDenied,
    /// Another operation (often an unfinished upload) holds a lock on the path.
    LockConflict,
    /// The file is larger than the storage policy allows.
    FileTooLarge,
    /// The upload session is gone or expired; the upload must start over.
    UploadSessionExpired,
    /// TLS handshake or certificate problem.
    Tls,
    /// The request timed out.
    Timeout,
    /// The server name could not be resolved.
    Dns,
    /// Other network failure (reset, broken pipe, aborted body).
    Network,
    /// The server failed internally (5xx, code -1, 5xxxx).
    Server,
    /// The server answered something Cirrus did not understand.
    Protocol,
    /// Local input/output or database failure.
    Io,
    /// The operation was cancelled.
    Cancelled,
    /// The account is banned or not activated.
    AccountDisabled,
    /// This provider does not support the operation (check `Capabilities`).
    Unsupported,
    /// The request was rejected as invalid (bad parameters, unknown account, bad input).
    InvalidInput,
    /// The server refused because of rate limiting.
    RateLimited,
    /// A feature is disabled on the server (or the group lacks the permission).
    FeatureDisabled,
}

impl ErrorKind {
    /// Stable identifier for the UI and for `--json` output.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::NotCloudreve => "notCloudreve",
            ErrorKind::WrongPassword => "wrongPassword",
            ErrorKind::TwoFactorRequired => "twoFactorRequired",
            ErrorKind::TwoFactorWrong => "twoFactorWrong",
            ErrorKind::CaptchaRequired => "captchaRequired",
            ErrorKind::SignInAgain => "signInAgain",
            ErrorKind::NotFound => "notFound",
            ErrorKind::AlreadyExists => "alreadyExists",
            ErrorKind::QuotaExceeded => "quotaExceeded",
            ErrorKind::InvalidName => "invalidName",
            ErrorKind::PermissionDenied => "permissionDenied",
            ErrorKind::LockConflict => "lockConflict",
            ErrorKind::FileTooLarge => "fileTooLarge",
            ErrorKind::UploadSessionExpired => "uploadSessionExpired",
            ErrorKind::Tls => "tls",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Dns => "dns",
            ErrorKind::Network => "network",
            ErrorKind::Server => "server",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Io => "io",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::AccountDisabled => "accountDisabled",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::InvalidInput => "invalidInput",
            ErrorKind::RateLimited => "rateLimited",
            ErrorKind::FeatureDisabled => "featureDisabled",
        }
    }

    /// A plain-language default message for the kind.
    pub fn default_message(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "The server could not be reached.",
            ErrorKind::NotCloudreve => {
                "This address does not belong to a supported Cloudreve server."
            }
            ErrorKind::WrongPassword => "The email address or password is incorrect.",
            ErrorKind::TwoFactorRequired => "This account needs a two-factor authentication code.",
            ErrorKind::TwoFactorWrong => {
                "The two-factor authentication code is incorrect or has expired."
            }
            ErrorKind::CaptchaRequired => {
                "The server requires a captcha to sign in. Ask the administrator to turn off the login captcha, or sign in on the web first."
            }
            ErrorKind::SignInAgain => "Your session has ended. Please sign in again.",
            ErrorKind::NotFound => "The file or folder does not exist.",
            ErrorKind::AlreadyExists => "An item with this name already exists.",
            ErrorKind::QuotaExceeded => "There is not enough storage space left.",
            ErrorKind::InvalidName => "This name is not allowed.",
            ErrorKind::PermissionDenied => "You do not have permission to do this.",
            ErrorKind::LockConflict => {
                "The item is locked by another operation (maybe an unfinished upload)."
            }
            ErrorKind::FileTooLarge => "The file is larger than the server allows.",
            ErrorKind::UploadSessionExpired => {
                "The upload session has expired; the upload must start again."
            }
            ErrorKind::Tls => "A secure connection to the server could not be established.",
            ErrorKind::Timeout => "The server took too long to answer.",
            ErrorKind::Dns => "The server name could not be found.",
            ErrorKind::Network => "The network connection failed.",
            ErrorKind::Server => "The server reported an internal error.",
            ErrorKind::Protocol => "The server sent an answer Cirrus does not understand.",
            ErrorKind::Io => "A local file or database operation failed.",
            ErrorKind::Cancelled => "The operation was cancelled.",
            ErrorKind::AccountDisabled => "This account is blocked or not activated.",
            ErrorKind::Unsupported => "This server does not support that operation.",
            ErrorKind::InvalidInput => "The request was not valid.",
            ErrorKind::RateLimited => "Too many requests; please wait a moment.",
            ErrorKind::FeatureDisabled => {
                "This feature is disabled on the server or for your account."
            }
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A core error: kind, human message and optional server details.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Error {
    kind: ErrorKind,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    server_code: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    correlation_id: Option<String>,
    /// How long the server asked us to wait (`Retry-After`) before trying again.
    #[serde(skip)]
    retry_after: Option<Duration>,
}

impl Error {
    /// An error of `kind` with its default message.
    pub fn new(kind: ErrorKind) -> Self {
        Self::with_message(kind, kind.default_message())
    }

    /// An error of `kind` with a specific message.
    pub fn with_message(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            server_code: None,
            http_status: None,
            correlation_id: None,
            retry_after: None,
        }
    }

    /// Shorthand for a protocol error (unexpected server answer).
    pub fn protocol(message: impl Into<String>) -> Self {
        Self::with_message(ErrorKind::Protocol, message)
    }

    /// Shorthand for a local I/O or database error.
    pub fn io(message: impl Into<String>) -> Self {
        Self::with_message(ErrorKind::Io, message)
    }

    /// Shorthand for invalid caller input.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::with_message(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for an operation the provider cannot do.
    pub fn unsupported(what: &str) -> Self {
        Self::with_message(
            ErrorKind::Unsupported,
            format!("This server does not support {what}."),
        )
    }

    /// Attach the server's numeric code.
    pub fn with_server_code(mut self, code: i64) -> Self {
        self.server_code = Some(code);
        self
    }

    /// Attach the HTTP status.
    pub fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Attach the server's correlation id (quoted in bug reports).
    pub fn with_correlation_id(mut self, id: Option<String>) -> Self {
        self.correlation_id = id.filter(|s| !s.is_empty());
        self
    }

    /// Attach the wait the server asked for (`Retry-After`); the retry policy honours it.
    pub fn with_retry_after(mut self, wait: Option<Duration>) -> Self {
        self.retry_after = wait;
        self
    }

    /// The typed kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The stable kind string for the UI (`notFound`, `signInAgain`, …).
    pub fn kind_str(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The human message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The provider's numeric error code, if the server sent one.
    pub fn server_code(&self) -> Option<i64> {
        self.server_code
    }

    /// The HTTP status, if the failure came with a non-200 status.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    /// The wait the server asked for before a retry (`Retry-After`), if it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The server correlation id, if any.
    pub fn correlation_id(&self) -> Option<&str> {
        self.correlation_id.as_deref()
    }

    /// Whether retrying the same request later may succeed: 5xx, 429, connection resets,
    /// timeouts. Auth, conflict, quota and validation failures are final.
    pub fn is_retryable(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout
            | ErrorKind::Network
            | ErrorKind::RateLimited
            | ErrorKind::Unreachable => true,
            ErrorKind::Server => {
                // Internal server errors are transient except when the HTTP status says the
                // request itself was at fault.
                !matches!(self.http_status, Some(s) if (400..500).contains(&s) && s != 429)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(code) = self.server_code {
            write!(f, " (code {code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::io(format!("Database error: {e}"))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::io(format!("I/O error: {e}"))
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Self {
        Error::protocol(format!("Unexpected data: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_strings_are_stable() {
        assert_eq!(ErrorKind::SignInAgain.as_str(), "signInAgain");
        assert_eq!(ErrorKind::NotCloudreve.as_str(), "notCloudreve");
        assert_eq!(Error::new(ErrorKind::Tls).kind_str(), "tls");
        assert_eq!(
            serde_json::to_value(ErrorKind::TwoFactorWrong).unwrap(),
            "twoFactorWrong"
        );
    }

    #[test]
    fn retryable_classification() {
        assert!(Error::new(ErrorKind::Timeout).is_retryable());
        assert!(Error::new(ErrorKind::Network).is_retryable());
        assert!(Error::new(ErrorKind::RateLimited).is_retryable());
        assert!(
            Error::new(ErrorKind::Server)
                .with_http_status(502)
                .is_retryable()
        );
        assert!(
            !Error::new(ErrorKind::Server)
                .with_http_status(400)
                .is_retryable()
        );
        assert!(!Error::new(ErrorKind::NotFound).is_retryable());
        assert!(!Error::new(ErrorKind::QuotaExceeded).is_retryable());
        assert!(!Error::new(ErrorKind::SignInAgain).is_retryable());
    }

    #[test]
    fn display_includes_code() {
        let e = Error::new(ErrorKind::NotFound).with_server_code(40016);
        assert_eq!(
            e.to_string(),
            "The file or folder does not exist. (code 40016)"
        );
    }
}
