//! The error every command returns, serialised as `{kind, message}` for the UI to branch on.

use serde::Serialize;

/// A command failure: a stable `kind` (see `cirrus_core::ErrorKind::as_str`) and a message.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CommandError {
    /// Stable identifier the UI maps to a translated message.
    pub kind: String,
    /// Plain-language English detail.
    pub message: String,
}

impl CommandError {
    /// An error of a given kind with a message.
    pub fn new(kind: &str, message: impl Into<String>) -> Self {
        CommandError {
            kind: kind.to_string(),
            message: message.into(),
        }
    }
}

impl From<cirrus_core::Error> for CommandError {
    fn from(e: cirrus_core::Error) -> Self {
        CommandError {
            kind: e.kind().as_str().to_string(),
            message: e.message().to_string(),
        }
    }
}

/// What every command returns.
pub type CmdResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;
    use cirrus_core::{Error, ErrorKind};

    #[test]
    fn core_errors_keep_their_kind_string_for_the_ui() {
        let e: CommandError = Error::with_message(ErrorKind::QuotaExceeded, "no room").into();
        assert_eq!(e.kind, "quotaExceeded");
        assert!(e.message.contains("no room"));
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"], "quotaExceeded");
    }
}
