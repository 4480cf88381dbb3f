//! Accounts: which servers the user signed in to, kept in SQLite (metadata only — secrets
//! live in the secret store), plus server URL normalisation and server probing.

mod probe;
mod store;
mod url_norm;

pub use probe::{ServerInfo, probe_server};
pub use store::AccountStore;
pub use url_norm::{has_explicit_scheme, normalize_server_url, server_string};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::provider::cloudreve_v3::CloudreveV3;
use crate::provider::cloudreve_v4::CloudreveV4;
use crate::provider::pan123::Pan123;
use crate::provider::pan123::refs::P123Ref;
use crate::provider::{Capabilities, RemoteRef};

/// Which API an account speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ProviderKind {
    /// Cloudreve 4.x.
    CloudreveV4,
    /// Cloudreve 3.x (3.8).
    CloudreveV3,
    /// The 123pan (123云盘) Open Platform, signed in with a developer client id and secret.
    Pan123,
}

impl ProviderKind {
    /// Stable name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::CloudreveV4 => "cloudreve_v4",
            ProviderKind::CloudreveV3 => "cloudreve_v3",
            ProviderKind::Pan123 => "pan123",
        }
    }

    /// The name people know the service by.
    pub fn display_name(self) -> &'static str {
        match self {
            ProviderKind::CloudreveV4 => "Cloudreve 4",
            ProviderKind::CloudreveV3 => "Cloudreve 3",
            ProviderKind::Pan123 => "123pan",
        }
    }

    /// The API of a server whose `/site/ping` reported major version `major`.
    pub fn for_major(major: u32) -> Option<Self> {
        match major {
            4 => Some(ProviderKind::CloudreveV4),
            3 => Some(ProviderKind::CloudreveV3),
            _ => None,
        }
    }

    /// What accounts of this kind can do: the provider's own flags, known without signing in
    /// (a signed-out account still shows what its server offers).
    pub fn capabilities(self) -> Capabilities {
        match self {
            ProviderKind::CloudreveV4 => CloudreveV4::CAPABILITIES,
            ProviderKind::CloudreveV3 => CloudreveV3::CAPABILITIES,
            ProviderKind::Pan123 => Pan123::CAPABILITIES,
        }
    }

    /// The root folder of an account's drive, as its provider addresses it.
    pub fn root(self) -> RemoteRef {
        match self {
            ProviderKind::CloudreveV4 => CloudreveV4::root_ref(),
            ProviderKind::CloudreveV3 => CloudreveV3::root_ref(),
            ProviderKind::Pan123 => P123Ref::root().to_ref(),
        }
    }

    /// Parse the stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cloudreve_v4" => Some(ProviderKind::CloudreveV4),
            "cloudreve_v3" => Some(ProviderKind::CloudreveV3),
            "pan123" => Some(ProviderKind::Pan123),
            _ => None,
        }
    }
}

/// A saved account (no secrets in here).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Local id (UUID).
    pub id: String,
    /// User-chosen label (defaults to `email @ host`).
    pub label: String,
    /// Normalised site URL, e.g. `https://cloud.example.com/sub`.
    pub server_url: String,
    /// API kind.
    pub provider: ProviderKind,
    /// Server version seen at sign-in.
    pub server_version: String,
    /// Sign-in email (for 123pan: the developer client id).
    pub email: String,
    /// Server-side user id.
    pub user_id: String,
    /// Display name.
    pub nickname: String,
    /// Pinned certificate fingerprint for a self-signed server (explicit opt-in).
    pub pinned_cert_sha256: Option<String>,
    /// Whether the password is remembered in the secret store.
    pub remember_password: bool,
    /// When the account was added.
    pub created_at: DateTime<Utc>,
    /// Whether this is the active account.
    pub active: bool,
}

impl Account {
    /// Whether the connection to the server is encrypted (https). Plain http sends the
    /// password, tokens and files readable by anyone on the network path.
    pub fn is_encrypted(&self) -> bool {
        self.server_url.starts_with("https://")
    }
}
