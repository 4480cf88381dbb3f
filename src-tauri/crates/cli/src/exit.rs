//! Exit codes of `cirrus`, one per class of failure, so scripts can react without parsing.

use cirrus_core::ErrorKind;

/// Success.
pub const OK: i32 = 0;
/// Any other failure.
pub const FAILURE: i32 = 1;
/// Bad command line (clap's own exit code).
pub const USAGE: i32 = 2;
/// Sign-in needed or refused: wrong password, 2FA, captcha, session ended, no account.
pub const AUTH: i32 = 3;
/// The file, folder, share, task or account does not exist.
pub const NOT_FOUND: i32 = 4;
/// Name already taken or the item is locked.
pub const CONFLICT: i32 = 5;
/// Refused: permission, quota, size, invalid name or input, unsupported, feature disabled.
pub const REFUSED: i32 = 6;
/// Network: unreachable, DNS, TLS, timeout, or not a Cloudreve server.
pub const NETWORK: i32 = 7;
/// The server failed or answered something unexpected.
pub const SERVER: i32 = 8;
/// A batch command where some items failed (details in the output).
pub const PARTIAL: i32 = 9;
/// Local I/O or database failure.
pub const LOCAL: i32 = 10;
/// Stopped before the end: Ctrl-C, or paused from another command; nothing is lost and
/// `cirrus transfers resume` continues.
pub const INTERRUPTED: i32 = 11;

/// Text for `--help`.
pub const HELP: &str = "Exit codes:
  0  success
  1  other failure
  2  invalid command line
  3  sign-in needed or refused (wrong password, 2FA, captcha, session ended, no account)
  4  not found
  5  conflict (name exists, item locked)
  6  refused (permission, quota, too large, invalid name/input, unsupported)
  7  network (unreachable, DNS, TLS, timeout, not a Cloudreve server)
  8  server error or unexpected answer
  9  partial failure of a batch: some items failed, others went through (the failed ones
     and their reasons are listed, and under \"failedFiles\" with --json)
 10  local I/O or database failure of the whole command
 11  transfers stopped before the end (Ctrl-C, or paused from another command); resume with
     `cirrus transfers resume`

Every command accepts --json: the result (or {\"error\":{\"kind\",\"message\",...}}) is printed
as JSON on stdout. The password is read from a prompt, from stdin (--password-stdin) or from
the CIRRUS_PASSWORD environment variable, never from the command line; a 123pan client secret
(cirrus login --provider 123pan --client-id ID) likewise, or from CIRRUS_CLIENT_SECRET.";

/// The exit code for an error kind.
pub fn for_kind(kind: ErrorKind) -> i32 {
    use ErrorKind::*;
    match kind {
        WrongPassword | TwoFactorRequired | TwoFactorWrong | CaptchaRequired | SignInAgain
        | AccountDisabled => AUTH,
        NotFound => NOT_FOUND,
        AlreadyExists | LockConflict => CONFLICT,
        PermissionDenied | QuotaExceeded | FileTooLarge | InvalidName | InvalidInput
        | Unsupported | FeatureDisabled | UploadSessionExpired => REFUSED,
        Unreachable | Dns | Tls | Timeout | Network | NotCloudreve => NETWORK,
        Server | Protocol | RateLimited => SERVER,
        Io => LOCAL,
        Cancelled => FAILURE,
    }
}
