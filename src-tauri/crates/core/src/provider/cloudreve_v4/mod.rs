//! Cloudreve v4 provider: `cloudreve://` URIs as `RemoteRef`s, bearer-token sessions,
//! cursor listings, trash, batch operations, shares and workflows.

pub mod api;
pub mod auth;
pub mod envelope;
mod files;
mod names;
mod policy_hints;
mod shares;
mod tasks;
mod thumbs;
pub mod upload;
pub mod uri;
mod versions;
pub mod wire;

use async_trait::async_trait;
use std::sync::Arc;
use url::Url;

use crate::error::{Error, Result};
use crate::provider::*;
use crate::session::Session;

use api::ApiClient;
use uri::CloudreveUri;

/// A signed-in Cloudreve v4 account.
pub struct CloudreveV4 {
    api: ApiClient,
    server: Url,
    policy_hints: policy_hints::PolicyHints,
}

impl std::fmt::Debug for CloudreveV4 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudreveV4")
            .field("server", &self.server.as_str())
            .finish()
    }
}

impl CloudreveV4 {
    /// A provider for `server` using `session` for authentication.
    pub fn new(http: reqwest::Client, server: Url, session: Arc<Session>) -> Self {
        CloudreveV4 {
            api: ApiClient::new(http, &server, Some(session)),
            server,
            policy_hints: Default::default(),
        }
    }

    /// The session (for diagnostics such as the refresh count).
    pub fn session(&self) -> &Arc<Session> {
        self.api.session().expect("a provider always has a session")
    }

    /// The site URL.
    pub fn server(&self) -> &Url {
        &self.server
    }

    /// The root of "My files" (`cloudreve://my`), known without a session.
    pub fn root_ref() -> RemoteRef {
        RemoteRef::new(CloudreveUri::root("my").to_uri_string())
    }

    /// The capabilities of Cloudreve v4.
    pub const CAPABILITIES: Capabilities = Capabilities {
        cursor_pagination: true,
        server_sort: true,
        search: true,
        trash: true,
        restore: true,
        server_side_copy: true,
        batch_operations: true,
        nested_mkdir: true,
        shares: true,
        share_passwords: true,
        share_limits: true,
        share_password_editable: false,
        share_delete: true,
        share_expiry_days: &[],
        tasks_archive: true,
        tasks_extract: true,
        tasks_remote_download: true,
        task_cancel: true,
        client_encryption: true,
        instant_upload_md5: false,
        upload_needs_md5: false,
        upload_overwrite: true,
        resumable_upload: true,
        ranged_download: true,
        webdav_accounts: false,
        versions: true,
        search_filters: true,
        search_category: true,
        search_folders: true,
        thumbnails: true,
    };
}

fn parse_ref(r: &RemoteRef) -> Result<CloudreveUri> {
    CloudreveUri::parse(r.as_str())
}

fn child_ref(parent: &RemoteRef, name: &str) -> Result<RemoteRef> {
    validate_name(name)?;
    Ok(RemoteRef::new(
        parse_ref(parent)?.child(name).to_uri_string(),
    ))
}

/// Cloudreve's name rules, checked locally so the user gets a clear message early.
fn validate_name(name: &str) -> Result<()> {
    let bad = name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name
            .chars()
            .any(|c| matches!(c, '\\' | '/' | ':' | '*' | '?' | '"' | '<' | '>' | '|'));
    if bad {
        Err(Error::with_message(
            crate::error::ErrorKind::InvalidName,
            format!("\"{name}\" is not a valid name (1-255 bytes, none of \\ / : * ? \" < > |)."),
        ))
    } else {
        Ok(())
    }
}

#[async_trait]
impl Provider for CloudreveV4 {
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn check_name(&self, name: &str) -> Result<()> {
        names::check(name)
    }

    fn root(&self) -> RemoteRef {
        Self::root_ref()
    }

    async fn resolve_path(&self, path: &str) -> Result<RemoteRef> {
        if path.starts_with(uri::SCHEME) {
            return Ok(RemoteRef::new(CloudreveUri::parse(path)?.to_uri_string()));
        }
        Ok(RemoteRef::new(uri::from_path(path).to_uri_string()))
    }

    async fn whoami(&self) -> Result<UserInfo> {
        self.whoami_impl().await
    }

    async fn capacity(&self) -> Result<Capacity> {
        self.capacity_impl().await
    }

    async fn list(
        &self,
        folder: &RemoteRef,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage> {
        let u = parse_ref(folder)?;
        self.list_uri(&u.to_uri_string(), opts, cursor).await
    }

    async fn list_trash(&self, opts: &ListOptions, cursor: Option<&str>) -> Result<ListPage> {
        // Trash only sorts by created_at (deletion time).
        let opts = ListOptions {
            order_by: OrderBy::CreatedAt,
            ..opts.clone()
        };
        self.list_uri("cloudreve://trash/", &opts, cursor).await
    }

    async fn search(
        &self,
        folder: &RemoteRef,
        q: &SearchQuery,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage> {
        self.search_impl(folder, q, opts, cursor).await
    }

    async fn stat(&self, item: &RemoteRef) -> Result<Entry> {
        self.stat_impl(item).await
    }

    async fn create_folder(&self, parent: &RemoteRef, name: &str) -> Result<Entry> {
        self.create_impl(&child_ref(parent, name)?, "folder").await
    }

    async fn create_folders(&self, parent: &RemoteRef, names: &[String]) -> Result<Entry> {
        // Cloudreve creates missing intermediate folders itself: one request.
        let mut u = parse_ref(parent)?;
        if names.is_empty() {
            return Err(Error::invalid("No folder name given."));
        }
        for n in names {
            validate_name(n)?;
            u = u.child(n);
        }
        self.create_impl(&RemoteRef::new(u.to_uri_string()), "folder")
            .await
    }

    async fn rename(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        validate_name(new_name)?;
        self.rename_impl(item, new_name).await
    }

    async fn move_items(&self, items: &[RemoteRef], dest: &RemoteRef) -> Result<BatchOutcome> {
        self.move_impl(items, dest, false).await
    }

    async fn copy_items(&self, items: &[RemoteRef], dest: &RemoteRef) -> Result<BatchOutcome> {
        self.move_impl(items, dest, true).await
    }

    async fn delete(&self, items: &[RemoteRef], mode: DeleteMode) -> Result<BatchOutcome> {
        self.delete_impl(items, mode).await
    }

    async fn restore(&self, items: &[RemoteRef]) -> Result<BatchOutcome> {
        self.restore_impl(items).await
    }

    async fn empty_trash(&self) -> Result<()> {
        self.empty_trash_impl().await
    }

    async fn create_share(&self, item: &RemoteRef, opts: &ShareOptions) -> Result<Share> {
        self.create_share_impl(item, opts).await
    }

    async fn list_shares(&self, cursor: Option<&str>) -> Result<SharePage> {
        self.list_shares_impl(cursor).await
    }

    async fn share(&self, id: &str) -> Result<Share> {
        self.share_info(id, None).await
    }

    async fn edit_share(&self, id: &str, item: &RemoteRef, opts: &ShareOptions) -> Result<Share> {
        self.edit_share_impl(id, item, opts).await
    }

    async fn delete_share(&self, id: &str) -> Result<()> {
        self.delete_share_impl(id).await
    }

    async fn create_archive(
        &self,
        items: &[RemoteRef],
        dest: &RemoteRef,
        name: &str,
    ) -> Result<Task> {
        let dst = child_ref(dest, name)?;
        self.archive_impl(items, &dst).await
    }

    async fn extract_archive(
        &self,
        archive: &RemoteRef,
        dest: &RemoteRef,
        opts: &ExtractOptions,
    ) -> Result<Task> {
        self.extract_impl(archive, dest, opts).await
    }

    async fn remote_download(&self, urls: &[String], dest: &RemoteRef) -> Result<Vec<Task>> {
        self.remote_download_impl(urls, dest).await
    }

    async fn cancel_task(&self, id: &str) -> Result<()> {
        self.cancel_task_impl(id).await
    }

    async fn list_tasks(&self, category: TaskCategory, cursor: Option<&str>) -> Result<TaskPage> {
        self.list_tasks_impl(category, cursor).await
    }

    async fn task_progress(&self, id: &str) -> Result<TaskProgress> {
        self.task_progress_impl(id).await
    }

    async fn begin_upload(&self, req: &UploadRequest) -> Result<UploadSession> {
        let target = child_ref(&req.parent, &req.name)?;
        upload::begin(self, req, &target).await
    }

    async fn upload_chunk(
        &self,
        session: &UploadSession,
        index: u64,
        data: ChunkData,
    ) -> Result<ChunkReceipt> {
        upload::chunk(self, session, index, data).await
    }

    async fn finish_upload(
        &self,
        session: &UploadSession,
        receipts: &ChunkReceipts,
    ) -> Result<Entry> {
        upload::finish(self, session, receipts).await
    }

    async fn cancel_upload(&self, session: &UploadSession) -> Result<()> {
        upload::cancel(self, session).await
    }

    async fn download_url(&self, file: &RemoteRef) -> Result<String> {
        self.download_url_impl(file).await
    }

    async fn list_versions(&self, file: &RemoteRef) -> Result<Vec<FileVersion>> {
        self.list_versions_impl(file).await
    }

    async fn version_download_url(&self, file: &RemoteRef, version: &str) -> Result<String> {
        self.file_url(file, Some(version)).await
    }

    async fn set_current_version(&self, file: &RemoteRef, version: &str) -> Result<()> {
        self.set_current_version_impl(file, version).await
    }

    async fn delete_version(&self, file: &RemoteRef, version: &str) -> Result<()> {
        self.delete_version_impl(file, version).await
    }

    async fn thumbnail(&self, file: &RemoteRef) -> Result<Option<Vec<u8>>> {
        self.thumbnail_impl(file).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_validated() {
        assert!(validate_name("a b.txt").is_ok());
        assert!(validate_name("中文😀").is_ok());
        for bad in [
            "", ".", "..", "a/b", "a:b", "x?", "q\"", "<", ">", "|", "\\",
        ] {
            assert_eq!(
                validate_name(bad).unwrap_err().kind(),
                crate::error::ErrorKind::InvalidName,
                "{bad}"
            );
        }
        assert!(validate_name(&"a".repeat(256)).is_err());
    }

    #[test]
    fn children_are_escaped() {
        let root = RemoteRef::new("cloudreve://my/");
        assert_eq!(
            child_ref(&root, "a b#.txt").unwrap().as_str(),
            "cloudreve://my/a%20b%23.txt"
        );
    }
}
