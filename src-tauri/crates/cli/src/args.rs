//! Command-line arguments.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::exit;

/// Cirrus: a client for self-hosted Cloudreve drives.
#[derive(Parser)]
#[command(name = "cirrus", version = cirrus_core::VERSION, about, after_help = exit::HELP)]
pub struct Cli {
    /// Account to use (id, label or email); default: the active account.
    #[arg(long, global = true, env = "CIRRUS_ACCOUNT")]
    pub account: Option<String>,
    /// Print results as JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// Log what happens (to stderr; CIRRUS_LOG=debug,... for finer control).
    #[arg(long, short, global = true)]
    pub verbose: bool,
    /// Go through this proxy (http://, https:// or socks5://HOST:PORT), whatever the settings
    /// say. A user name may be given (http://USER@HOST:PORT); a password may not: other users
    /// can read a command line. It comes from CIRRUS_PROXY_PASSWORD or a prompt.
    #[arg(long, global = true, value_name = "URL", conflicts_with = "no_proxy")]
    pub proxy: Option<String>,
    /// Connect directly, ignoring the proxy settings and the environment's proxy variables.
    #[arg(long, global = true)]
    pub no_proxy: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Sign in to a server (adds the account, or signs in again).
    Login(LoginArgs),
    /// Sign out of an account (it stays listed; `accounts rm` removes it).
    Logout,
    /// List, switch, rename or remove accounts.
    Accounts(AccountsArgs),
    /// Show the signed-in user.
    Whoami,
    /// Show storage used and available.
    Quota,
    /// List a folder (all pages), the trash, or search results.
    Ls(LsArgs),
    /// Show details of a file or folder.
    Stat {
        /// Path like /Docs/a.txt, or a cloudreve:// URI.
        path: String,
    },
    /// Create folders (missing parents too).
    Mkdir {
        /// Folder paths.
        #[arg(required = true)]
        paths: Vec<String>,
    },
    /// Move into a folder, or rename: mv SRC... DEST.
    Mv {
        /// Sources then destination.
        #[arg(required = true, num_args = 2..)]
        paths: Vec<String>,
    },
    /// Copy into a folder on the server: cp SRC... DEST_FOLDER.
    Cp {
        /// Sources then destination folder.
        #[arg(required = true, num_args = 2..)]
        paths: Vec<String>,
    },
    /// Delete (to the trash unless --permanent; items in the trash are always deleted for good).
    /// On a server without a trash (Cloudreve 3) only --permanent deletes.
    Rm {
        /// Paths, or cloudreve://trash/... URIs.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Skip the trash.
        #[arg(long)]
        permanent: bool,
    },
    /// Restore items from the trash (by name, original path, or trash URI).
    Restore {
        /// Items to restore.
        #[arg(required = true)]
        items: Vec<String>,
    },
    /// File versions: ls, get, restore, rm.
    Versions(crate::versions_cmds::VersionsArgs),
    /// Manage share links.
    Share(ShareArgs),
    /// Server tasks: archive, extract, remote download.
    Tasks(TasksArgs),
    /// Upload files or folders: put LOCAL... REMOTE_FOLDER.
    Put(crate::transfer_cmds::PutArgs),
    /// Download files or folders: get REMOTE... LOCAL_FOLDER.
    Get(crate::transfer_cmds::GetArgs),
    /// List and control the transfer queue.
    Transfers(crate::transfer_cmds::TransfersArgs),
}

/// Which service `cirrus login` signs in to.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LoginProvider {
    /// A Cloudreve server (version 3 or 4, detected).
    Cloudreve,
    /// The 123pan Open Platform (a developer client id and secret).
    #[value(name = "123pan", alias = "pan123")]
    Pan123,
}

#[derive(Args)]
pub struct LoginArgs {
    /// Server address, e.g. https://cloud.example.com (default: the selected account's; for
    /// 123pan the official API host).
    #[arg(long)]
    pub server: Option<String>,
    /// The service: cloudreve (default) or 123pan.
    #[arg(long, value_enum)]
    pub provider: Option<LoginProvider>,
    /// 123pan: the developer client id (the secret: prompt, --password-stdin or
    /// CIRRUS_CLIENT_SECRET).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Email address (default: the selected account's).
    #[arg(long)]
    pub email: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    pub password_stdin: bool,
    /// Keep the password in the credential store to sign in again automatically.
    #[arg(long)]
    pub remember_password: bool,
    /// One-time 2FA code (otherwise prompted for when needed; also CIRRUS_OTP).
    #[arg(long, env = "CIRRUS_OTP")]
    pub otp: Option<String>,
    /// Label for the account.
    #[arg(long)]
    pub label: Option<String>,
    /// Trust a self-signed server whose certificate has this SHA-256 fingerprint.
    #[arg(long, value_name = "SHA256")]
    pub pin_cert: Option<String>,
}

#[derive(Args)]
pub struct AccountsArgs {
    #[command(subcommand)]
    pub action: Option<AccountsAction>,
}

#[derive(Subcommand)]
pub enum AccountsAction {
    /// List accounts (the default).
    List,
    /// Make an account the active one.
    Switch {
        /// Account id, label or email.
        account: String,
    },
    /// Change an account's label.
    Rename {
        /// Account id, label or email.
        account: String,
        /// New label.
        label: String,
    },
    /// Remove an account (signs out first).
    Rm {
        /// Account id, label or email.
        account: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
pub enum SortKey {
    Name,
    Size,
    Updated,
    Created,
}

#[derive(Args)]
pub struct LsArgs {
    /// Folder path (default /).
    pub path: Option<String>,
    /// List the trash instead.
    #[arg(long)]
    pub trash: bool,
    /// Search names below the folder.
    #[arg(long)]
    pub search: Option<String>,
    /// With --search: only files or only folders.
    #[arg(long = "type", value_enum, requires = "search")]
    pub kind: Option<KindArg>,
    /// With --search: smallest size in bytes.
    #[arg(long, requires = "search")]
    pub min_size: Option<u64>,
    /// With --search: largest size in bytes.
    #[arg(long, requires = "search")]
    pub max_size: Option<u64>,
    /// With --search: modified at or after (RFC 3339 or YYYY-MM-DD).
    #[arg(long, requires = "search", value_parser = parse_when)]
    pub modified_after: Option<chrono::DateTime<chrono::Utc>>,
    /// With --search: modified at or before (RFC 3339 or YYYY-MM-DD).
    #[arg(long, requires = "search", value_parser = parse_when)]
    pub modified_before: Option<chrono::DateTime<chrono::Utc>>,
    /// With --search: image, video, audio or document.
    #[arg(long, requires = "search", value_parser = parse_category)]
    pub category: Option<cirrus_core::provider::SearchCategory>,
    /// Sort key.
    #[arg(long, value_enum, default_value = "name")]
    pub sort: SortKey,
    /// Sort descending.
    #[arg(long)]
    pub desc: bool,
    /// Entries per request.
    #[arg(long, default_value_t = 500)]
    pub page_size: u32,
}

#[derive(Args)]
pub struct ShareArgs {
    #[command(subcommand)]
    pub action: ShareAction,
}

/// Parses `3600` (seconds) or a human duration (`90m`, `12h`, `7d`, `1d 12h`) into seconds.
pub fn parse_duration_secs(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(secs);
    }
    match humantime::parse_duration(t) {
        Ok(d) if d.as_secs() > 0 => Ok(d.as_secs()),
        Ok(_) => Err("the duration must be at least one second".into()),
        Err(_) => Err(format!("not a duration: {s} (try 3600, 90m, 12h or 7d)")),
    }
}

#[derive(Args, Clone)]
pub struct ShareLimits {
    /// Expire after this long: seconds (3600) or a duration (90m, 12h, 7d, 2w).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration_secs)]
    pub expires: Option<u64>,
    /// Allow this many downloads.
    #[arg(long)]
    pub downloads: Option<u32>,
    /// With `share edit`: remove the expiry.
    #[arg(long, conflicts_with = "expires")]
    pub no_expiry: bool,
    /// With `share edit`: remove the download limit.
    #[arg(long, conflicts_with = "downloads")]
    pub no_download_limit: bool,
}

#[derive(Subcommand)]
pub enum ShareAction {
    /// Create a share link.
    Create {
        /// What to share.
        path: String,
        /// Protect with this password (letters and digits).
        #[arg(long, conflicts_with = "random_password")]
        password: Option<String>,
        /// Protect with a password the server generates.
        #[arg(long)]
        random_password: bool,
        #[command(flatten)]
        limits: ShareLimits,
    },
    /// List your share links.
    List,
    /// Change a share's expiry or download limit.
    Edit {
        /// Share id.
        id: String,
        /// The shared item's path.
        path: String,
        #[command(flatten)]
        limits: ShareLimits,
    },
    /// Delete a share link.
    Rm {
        /// Share id.
        id: String,
    },
}

#[derive(Args)]
pub struct TasksArgs {
    #[command(subcommand)]
    pub action: TasksAction,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Category {
    General,
    Downloading,
    Downloaded,
}

#[derive(Subcommand)]
pub enum TasksAction {
    /// Zip items on the server into DEST_FOLDER/NAME.
    Archive {
        /// Items to archive.
        #[arg(required = true)]
        paths: Vec<String>,
        /// Folder for the archive.
        #[arg(long)]
        to: String,
        /// Archive file name.
        #[arg(long)]
        name: String,
    },
    /// Extract an archive on the server.
    Extract {
        /// The archive.
        path: String,
        /// Destination folder.
        #[arg(long)]
        to: String,
        /// Archive password.
        #[arg(long)]
        password: Option<String>,
        /// Text encoding of names in the archive.
        #[arg(long)]
        encoding: Option<String>,
    },
    /// Let the server download URLs (http/magnet) into a folder.
    Download {
        /// URLs.
        #[arg(required = true)]
        urls: Vec<String>,
        /// Destination folder.
        #[arg(long)]
        to: String,
    },
    /// List tasks.
    List {
        /// Which list.
        #[arg(long, value_enum, default_value = "general")]
        category: Category,
    },
    /// Follow a task's progress until it finishes.
    Watch {
        /// Task id.
        id: String,
        /// Seconds between polls.
        #[arg(long, default_value_t = 2)]
        interval: u64,
    },
    /// Cancel a remote download.
    Cancel {
        /// Task id.
        id: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_expiries_take_seconds_or_human_durations() {
        assert_eq!(parse_duration_secs("3600"), Ok(3600));
        assert_eq!(parse_duration_secs("90m"), Ok(5400));
        assert_eq!(parse_duration_secs("7d"), Ok(7 * 86400));
        assert_eq!(parse_duration_secs("1d 12h"), Ok(36 * 3600));
        assert!(parse_duration_secs("soon").is_err());
        assert!(parse_duration_secs("0s").is_err());
    }
}

/// `--type` of a search.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum KindArg {
    /// Files only.
    File,
    /// Folders only.
    Folder,
}

/// Parses an RFC 3339 time or a date (midnight UTC).
pub fn parse_when(s: &str) -> Result<chrono::DateTime<chrono::Utc>, String> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&chrono::Utc));
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(|d| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
        .map_err(|_| format!("{s:?} is not a date (YYYY-MM-DD) or an RFC 3339 time"))
}

/// Parses a search category name.
pub fn parse_category(s: &str) -> Result<cirrus_core::provider::SearchCategory, String> {
    cirrus_core::provider::SearchCategory::parse(s)
        .ok_or_else(|| format!("{s:?} is not one of image, video, audio, document"))
}
