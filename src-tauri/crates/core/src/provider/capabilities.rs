//! Feature flags of a provider. Callers branch on these, never on the provider's name.

use serde::{Deserialize, Serialize};

/// What a provider can do.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Capabilities {
    /// Listings are paged with an opaque cursor (otherwise one page, or numbered pages).
    pub cursor_pagination: bool,
    /// Listings can be sorted by the server.
    pub server_sort: bool,
    /// Name search is available.
    pub search: bool,
    /// Deleting moves items to a trash that can be listed.
    pub trash: bool,
    /// Items in the trash can be restored.
    pub restore: bool,
    /// Copy happens on the server without downloading.
    pub server_side_copy: bool,
    /// Several items can be moved/copied/deleted in one request.
    pub batch_operations: bool,
    /// Nested folders can be created in one call.
    pub nested_mkdir: bool,
    /// Share links can be created.
    pub shares: bool,
    /// Share links can carry a password.
    pub share_passwords: bool,
    /// Share links can expire / be limited in downloads.
    pub share_limits: bool,
    /// Share passwords can be changed after creation.
    pub share_password_editable: bool,
    /// Share links can be deleted.
    #[serde(default)]
    pub share_delete: bool,
    /// When not empty, a share's expiry must be one of these numbers of days (or none) rather
    /// than any time (123pan: 1, 7 or 30 days, or permanent).
    #[serde(default, skip_deserializing)]
    pub share_expiry_days: &'static [u32],
    /// The server can build archives.
    pub tasks_archive: bool,
    /// The server can extract archives.
    pub tasks_extract: bool,
    /// The server can download URLs / torrents itself.
    pub tasks_remote_download: bool,
    /// Remote downloads can be cancelled.
    #[serde(default)]
    pub task_cancel: bool,
    /// Uploads may be encrypted by the client (AES-256-CTR).
    pub client_encryption: bool,
    /// Uploads can complete instantly when the server knows the MD5.
    pub instant_upload_md5: bool,
    /// `begin_upload` needs the whole file's MD5 (`UploadRequest::md5`): the engine hashes
    /// the file in a "checking" pass before the upload starts.
    #[serde(default)]
    pub upload_needs_md5: bool,
    /// An upload can overwrite an existing file in place (new version).
    pub upload_overwrite: bool,
    /// Uploads can be resumed within the session lifetime.
    pub resumable_upload: bool,
    /// Download URLs honour `Range`.
    pub ranged_download: bool,
    /// WebDAV accounts (a generated password, optionally limited to one folder) can be
    /// listed, created and deleted.
    #[serde(default)]
    pub webdav_accounts: bool,
}
