//! The provider abstraction: one object-safe async trait that Cloudreve v4, Cloudreve v3 and
//! 123pan all implement. Callers use `Capabilities` flags, never the provider's name.

pub mod capabilities;
pub mod cloudreve_v3;
pub mod cloudreve_v4;
pub mod model;
pub mod pan123;
pub mod store_upload;
pub mod upload_types;

use async_trait::async_trait;

pub use capabilities::Capabilities;
pub use model::*;
pub use upload_types::{
    ChunkData, ChunkReceipt, ChunkReceipts, EncryptionParams, FileSlice, SliceProgress,
    UploadRequest, UploadSession,
};

use crate::error::{Error, Result};

/// A cloud drive back end. Every remote object is addressed by an opaque `RemoteRef`;
/// creation always takes `(parent, name)`. Operations a provider lacks return
/// `ErrorKind::Unsupported` (check `capabilities()` first).
#[async_trait]
pub trait Provider: Send + Sync {
    /// What this provider supports.
    fn capabilities(&self) -> Capabilities;

    /// The root folder of the user's drive.
    fn root(&self) -> RemoteRef;

    /// Resolve a slash-separated path ("/a/b") relative to the root to a reference.
    /// Providers addressed by path compute it; id-based ones may look it up.
    async fn resolve_path(&self, path: &str) -> Result<RemoteRef>;

    /// The signed-in user.
    async fn whoami(&self) -> Result<UserInfo>;

    /// Storage used and available.
    async fn capacity(&self) -> Result<Capacity>;

    /// One page of a folder listing. Pass the previous page's `next_cursor` to continue.
    async fn list(
        &self,
        folder: &RemoteRef,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage>;

    /// One page of the trash.
    async fn list_trash(&self, _opts: &ListOptions, _cursor: Option<&str>) -> Result<ListPage> {
        Err(Error::unsupported("a trash"))
    }

    /// One page of search results below `folder`.
    async fn search(
        &self,
        _folder: &RemoteRef,
        _query: &SearchQuery,
        _opts: &ListOptions,
        _cursor: Option<&str>,
    ) -> Result<ListPage> {
        Err(Error::unsupported("search"))
    }

    /// Details of one object.
    async fn stat(&self, item: &RemoteRef) -> Result<Entry>;

    /// Stored versions of a file, newest first (needs `Capabilities::versions`).
    async fn list_versions(&self, _file: &RemoteRef) -> Result<Vec<FileVersion>> {
        Err(Error::unsupported("file versions"))
    }

    /// A download URL of one version of a file.
    async fn version_download_url(&self, _file: &RemoteRef, _version: &str) -> Result<String> {
        Err(Error::unsupported("file versions"))
    }

    /// Make a stored version the file's current content.
    async fn set_current_version(&self, _file: &RemoteRef, _version: &str) -> Result<()> {
        Err(Error::unsupported("file versions"))
    }

    /// Delete a stored version that is not the current one.
    async fn delete_version(&self, _file: &RemoteRef, _version: &str) -> Result<()> {
        Err(Error::unsupported("file versions"))
    }

    /// Whether the server would accept `name` for a new file or folder; the error says why
    /// not in plain words (checked before an upload sends any byte).
    fn check_name(&self, _name: &str) -> Result<()> {
        Ok(())
    }

    /// Create a folder `name` in `parent` (returns the existing folder if it is already there).
    async fn create_folder(&self, parent: &RemoteRef, name: &str) -> Result<Entry>;

    /// Create a chain of nested folders below `parent`; returns the innermost folder.
    async fn create_folders(&self, parent: &RemoteRef, names: &[String]) -> Result<Entry> {
        let mut current: Option<Entry> = None;
        for name in names {
            let p = current
                .as_ref()
                .map(|e| e.remote.clone())
                .unwrap_or_else(|| parent.clone());
            current = Some(self.create_folder(&p, name).await?);
        }
        current.ok_or_else(|| Error::invalid("No folder name given."))
    }

    /// Rename an object in place.
    async fn rename(&self, item: &RemoteRef, new_name: &str) -> Result<Entry>;

    /// Move objects into `dest_folder`.
    async fn move_items(
        &self,
        items: &[RemoteRef],
        dest_folder: &RemoteRef,
    ) -> Result<BatchOutcome>;

    /// Copy objects into `dest_folder` on the server.
    async fn copy_items(
        &self,
        _items: &[RemoteRef],
        _dest_folder: &RemoteRef,
    ) -> Result<BatchOutcome> {
        Err(Error::unsupported("server-side copy"))
    }

    /// Delete objects (to the trash or permanently). Items already in the trash are always
    /// deleted permanently.
    async fn delete(&self, items: &[RemoteRef], mode: DeleteMode) -> Result<BatchOutcome>;

    /// Restore trash items to where they came from.
    async fn restore(&self, _items: &[RemoteRef]) -> Result<BatchOutcome> {
        Err(Error::unsupported("restoring from the trash"))
    }

    /// Permanently delete everything in the trash.
    async fn empty_trash(&self) -> Result<()> {
        Err(Error::unsupported("a trash"))
    }

    /// Create a share link for `item`.
    async fn create_share(&self, _item: &RemoteRef, _opts: &ShareOptions) -> Result<Share> {
        Err(Error::unsupported("share links"))
    }

    /// The user's own share links, one page at a time.
    async fn list_shares(&self, _cursor: Option<&str>) -> Result<SharePage> {
        Err(Error::unsupported("share links"))
    }

    /// One of the user's share links with its current limits and its source item (what
    /// `edit_share` needs).
    async fn share(&self, _id: &str) -> Result<Share> {
        Err(Error::unsupported("share links"))
    }

    /// Change a share's limits (expiry, download count). `item` is the shared object.
    async fn edit_share(
        &self,
        _id: &str,
        _item: &RemoteRef,
        _opts: &ShareOptions,
    ) -> Result<Share> {
        Err(Error::unsupported("share links"))
    }

    /// Delete a share link.
    async fn delete_share(&self, _id: &str) -> Result<()> {
        Err(Error::unsupported("share links"))
    }

    /// Start a server task that zips `items` into a new file `name` in `dest_folder`.
    async fn create_archive(
        &self,
        _items: &[RemoteRef],
        _dest_folder: &RemoteRef,
        _name: &str,
    ) -> Result<Task> {
        Err(Error::unsupported("server-side archives"))
    }

    /// Start a server task that extracts `archive` into `dest_folder`.
    async fn extract_archive(
        &self,
        _archive: &RemoteRef,
        _dest_folder: &RemoteRef,
        _opts: &ExtractOptions,
    ) -> Result<Task> {
        Err(Error::unsupported("server-side extraction"))
    }

    /// Start server downloads of `urls` (http(s) or magnet) into `dest_folder`.
    async fn remote_download(
        &self,
        _urls: &[String],
        _dest_folder: &RemoteRef,
    ) -> Result<Vec<Task>> {
        Err(Error::unsupported("remote downloads"))
    }

    /// Cancel a remote download task.
    async fn cancel_task(&self, _id: &str) -> Result<()> {
        Err(Error::unsupported("server tasks"))
    }

    /// One page of server tasks of a category.
    async fn list_tasks(&self, _category: TaskCategory, _cursor: Option<&str>) -> Result<TaskPage> {
        Err(Error::unsupported("server tasks"))
    }

    /// Live progress counters of a task.
    async fn task_progress(&self, _id: &str) -> Result<TaskProgress> {
        Err(Error::unsupported("server tasks"))
    }

    /// The user's WebDAV accounts.
    async fn list_webdav_accounts(&self) -> Result<Vec<WebDavAccount>> {
        Err(Error::unsupported("WebDAV accounts"))
    }

    /// Create a WebDAV account `name` limited to `root` (a folder); its password is generated.
    async fn create_webdav_account(&self, _name: &str, _root: &RemoteRef) -> Result<WebDavAccount> {
        Err(Error::unsupported("WebDAV accounts"))
    }

    /// Delete a WebDAV account.
    async fn delete_webdav_account(&self, _id: &str) -> Result<()> {
        Err(Error::unsupported("WebDAV accounts"))
    }

    /// Start an upload: creates the server session (and usually a placeholder).
    async fn begin_upload(&self, req: &UploadRequest) -> Result<UploadSession>;

    /// Send chunk `index`. `data` is (or streams) the chunk's bytes, already encrypted when
    /// `session.encryption` is set, and has exactly the chunk's length; build a fresh body
    /// from it for every request attempt. Sending an acknowledged chunk again is harmless. The
    /// receipt must be kept (persisted) by the caller and handed to `finish_upload`.
    async fn upload_chunk(
        &self,
        session: &UploadSession,
        index: u64,
        data: ChunkData,
    ) -> Result<ChunkReceipt>;

    /// Do whatever completion the storage policy needs and return the finished file.
    /// `receipts` are those `upload_chunk` returned (by index), possibly from earlier runs.
    async fn finish_upload(
        &self,
        session: &UploadSession,
        receipts: &ChunkReceipts,
    ) -> Result<Entry>;

    /// Abandon an upload and remove its placeholder.
    async fn cancel_upload(&self, session: &UploadSession) -> Result<()>;

    /// The server's thumbnail of `file` (a small JPEG or PNG), or `None` when the server has
    /// none for it (unsupported type, generation failed, disabled). Errors are transient
    /// failures worth retrying later.
    async fn thumbnail(&self, _file: &RemoteRef) -> Result<Option<Vec<u8>>> {
        Err(Error::unsupported("thumbnails"))
    }

    /// A short-lived URL that serves the file's plaintext (honours `Range` where supported).
    async fn download_url(&self, file: &RemoteRef) -> Result<String>;
}
