//! The 123pan (123云盘) Open Platform provider. Quirks stay in here: int64 ids with a path →
//! id cache (see [`cache`], [`refs`]), the v2 listing that mixes in trashed items and pages by
//! the last id, no sorting on the server, a trash that has no listing of its own, permanent
//! delete only from the trash, mkdir that fails with code 1 on an existing name, per-endpoint
//! QPS limits (see [`limiter`]), share expiry limited to 1/7/30 days or never, offline
//! downloads known only by their task ids, and a 30-day token that must be reused.

pub mod api;
pub mod auth;
pub mod cache;
pub mod codes;
mod files;
pub mod limiter;
mod offline;
pub mod refs;
mod shares;
pub mod state;
pub mod upload;
pub mod wire;

use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::*;
use crate::session::Session;

use api::ApiClient;
use cache::{Cached, Lookup, PathCache};
use refs::{P123Ref, join, segments};
use wire::{FileWire, ListWire};

/// Largest page of the v2 listing.
pub const LIST_LIMIT: u32 = 100;
/// Expiry choices of a share, in days (besides "never").
pub const SHARE_EXPIRY_DAYS: &[u32] = &[1, 7, 30];

/// A signed-in 123pan developer account.
pub struct Pan123 {
    api: ApiClient,
    cache: PathCache,
    /// Ids of items seen in the trash or trashed by us (the API lists the trash only mixed
    /// into the folders items came from) and the offline downloads started here (the API
    /// cannot list them).
    remembered: Mutex<state::Remembered>,
    /// Where `remembered` is kept across restarts, if anywhere.
    state_file: Option<PathBuf>,
}

impl std::fmt::Debug for Pan123 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pan123")
            .field("api", &self.api.base().as_str())
            .finish()
    }
}

impl Pan123 {
    /// A provider for the API host `base` using `session` (the access token).
    pub fn new(http: reqwest::Client, base: Url, session: Arc<Session>) -> Self {
        Pan123 {
            api: ApiClient::new(http, base, session),
            cache: PathCache::default(),
            remembered: Mutex::new(state::Remembered::default()),
            state_file: None,
        }
    }

    /// Remembers the trash and the offline downloads in `path` across restarts (see
    /// [`state`]), starting from what the file holds.
    pub fn with_state_file(mut self, path: PathBuf) -> Self {
        *self.remembered.get_mut().unwrap_or_else(|e| e.into_inner()) = state::load(&path);
        self.state_file = Some(path);
        self
    }

    /// Changes the remembered state and writes it out when `change` says it changed.
    fn remember_state(&self, change: impl FnOnce(&mut state::Remembered) -> bool) {
        let mut r = self.remembered.lock().unwrap_or_else(|e| e.into_inner());
        if change(&mut r)
            && let Some(path) = &self.state_file
        {
            state::save(path, &r);
        }
    }

    /// A copy of the remembered state.
    fn remembered(&self) -> state::Remembered {
        self.remembered
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The API client (requests with the token, the limiter and the envelope decoding).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// The path → id cache.
    pub fn cache(&self) -> &PathCache {
        &self.cache
    }

    /// What the 123pan Open Platform can do.
    pub const CAPABILITIES: Capabilities = Capabilities {
        cursor_pagination: true,
        server_sort: false,
        // The search of the v2 listing is global and lags behind new files.
        search: false,
        trash: true,
        restore: true,
        // The copy endpoints are not in the published documentation.
        server_side_copy: false,
        batch_operations: true,
        nested_mkdir: false,
        shares: true,
        share_passwords: true,
        // Expiry is one of a few choices (`share_expiry_days`); no download limit.
        share_limits: false,
        share_password_editable: false,
        share_delete: false,
        share_expiry_days: SHARE_EXPIRY_DAYS,
        tasks_archive: false,
        tasks_extract: false,
        tasks_remote_download: true,
        task_cancel: false,
        client_encryption: false,
        instant_upload_md5: true,
        upload_needs_md5: true,
        // `duplicate: 2` replaces the file (it gets a new id).
        upload_overwrite: true,
        resumable_upload: true,
        ranged_download: true,
        webdav_accounts: false,
        versions: false,
        search_filters: false,
        search_category: false,
        search_folders: false,
        thumbnails: false,
    };

    /// Every item of folder `id` (all pages), trashed ones included. The live ones fill the
    /// cache as the folder's complete listing; trashed ones are remembered for the trash.
    pub async fn list_folder(&self, id: i64) -> Result<Vec<FileWire>> {
        let mut all = Vec::new();
        let mut last = 0i64;
        loop {
            let mut q = vec![
                ("parentFileId", id.to_string()),
                ("limit", LIST_LIMIT.to_string()),
            ];
            if last > 0 {
                q.push(("lastFileId", last.to_string()));
            }
            let page: ListWire = self.api.get("/api/v2/file/list", &q).await?;
            all.extend(page.file_list);
            if page.last_file_id <= 0 || page.last_file_id == last {
                break;
            }
            last = page.last_file_id;
        }
        self.cache.fill(
            id,
            all.iter()
                .filter(|w| !w.trashed && w.parent_file_id == id)
                .map(Cached::from),
        );
        let trashed: Vec<i64> = all
            .iter()
            .filter(|w| w.trashed)
            .map(|w| w.file_id)
            .collect();
        if !trashed.is_empty() {
            self.seen_in_trash(&trashed);
        }
        Ok(all)
    }

    fn seen_in_trash(&self, ids: &[i64]) {
        self.remember_state(|r| {
            let before = r.trash.len();
            r.trash.extend(ids.iter().copied());
            r.trash.len() != before
        });
    }

    /// `name` in folder `parent`: from the cache, else from a listing of the folder.
    pub async fn child(&self, parent: i64, name: &str) -> Result<Option<Cached>> {
        match self.cache.lookup(parent, name) {
            Lookup::Found(c) => return Ok(Some(c)),
            Lookup::Absent => return Ok(None),
            Lookup::Unknown => {}
        }
        self.list_folder(parent).await?;
        Ok(match self.cache.lookup(parent, name) {
            Lookup::Found(c) => Some(c),
            _ => None,
        })
    }

    /// The object at `path` (not the root) and the id of its folder.
    pub async fn walk(&self, path: &str) -> Result<(i64, Cached)> {
        let segs = segments(path);
        let missing =
            || Error::with_message(ErrorKind::NotFound, format!("\"{path}\" does not exist."));
        let (last, dirs) = segs.split_last().ok_or_else(|| {
            Error::with_message(
                ErrorKind::PermissionDenied,
                "The root folder cannot be changed.",
            )
        })?;
        let mut parent = 0i64;
        for seg in dirs {
            match self.child(parent, seg).await? {
                Some(c) if c.kind == EntryKind::Folder => parent = c.id,
                _ => return Err(missing()),
            }
        }
        let found = self.child(parent, last).await?.ok_or_else(missing)?;
        Ok((parent, found))
    }

    /// The id and path of the folder `r` names (the root is 0).
    pub async fn folder_id(&self, r: &RemoteRef) -> Result<(i64, String)> {
        match P123Ref::parse(r)? {
            P123Ref::Live { path, .. } if path == "/" => Ok((0, path)),
            P123Ref::Live { path, .. } => {
                let (_, c) = self.walk(&path).await?;
                if c.kind != EntryKind::Folder {
                    return Err(Error::invalid(format!(
                        "\"{path}\" is a file, not a folder."
                    )));
                }
                Ok((c.id, path))
            }
            P123Ref::Trash { .. } => Err(Error::with_message(
                ErrorKind::NotFound,
                "The folder is in the trash.",
            )),
        }
    }

    /// The entry of a cached object at `path`.
    pub fn entry(path: &str, c: &Cached) -> Entry {
        Entry {
            remote: P123Ref::known(c.id, path).to_ref(),
            name: c.name.clone(),
            kind: c.kind,
            size: c.size,
            created_at: c.created_at,
            updated_at: c.updated_at,
            uploading: false,
            id: Some(c.id.to_string()),
            original_location: None,
        }
    }

    /// Records an object we just created (a folder, an uploaded file) in folder
    /// `parent_id` at `parent_path`, and returns its entry. Writers must call this: a
    /// complete listing in the cache would otherwise say the new name is absent.
    pub fn remember(&self, parent_id: i64, parent_path: &str, w: &FileWire) -> Entry {
        let c = Cached::from(w);
        self.cache.insert(parent_id, c.clone());
        Self::entry(&join(parent_path, &c.name), &c)
    }

    fn root_entry() -> Entry {
        Entry {
            remote: P123Ref::root().to_ref(),
            name: String::new(),
            kind: EntryKind::Folder,
            size: 0,
            created_at: None,
            updated_at: None,
            uploading: false,
            id: Some("0".into()),
            original_location: None,
        }
    }
}

#[async_trait]
impl Provider for Pan123 {
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn check_name(&self, name: &str) -> Result<()> {
        files::check_name(name)
    }

    fn root(&self) -> RemoteRef {
        P123Ref::root().to_ref()
    }

    async fn resolve_path(&self, path: &str) -> Result<RemoteRef> {
        if path.starts_with(refs::PREFIX) || path.starts_with(refs::TRASH_PREFIX) {
            return Ok(P123Ref::parse(&RemoteRef::new(path))?.to_ref());
        }
        let path = refs::normalize(path);
        if path == "/" {
            return Ok(P123Ref::root().to_ref());
        }
        match self.walk(&path).await {
            Ok((_, c)) => Ok(P123Ref::known(c.id, &path).to_ref()),
            // A missing path is still a reference: using it says "not found".
            Err(e) if e.kind() == ErrorKind::NotFound => {
                Ok(P123Ref::Live { id: None, path }.to_ref())
            }
            Err(e) => Err(e),
        }
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
        self.list_impl(folder, opts, cursor).await
    }

    async fn list_trash(&self, opts: &ListOptions, _cursor: Option<&str>) -> Result<ListPage> {
        self.list_trash_impl(opts).await
    }

    async fn stat(&self, item: &RemoteRef) -> Result<Entry> {
        self.stat_impl(item).await
    }

    async fn create_folder(&self, parent: &RemoteRef, name: &str) -> Result<Entry> {
        self.create_folder_impl(parent, name).await
    }

    async fn rename(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        self.rename_impl(item, new_name).await
    }

    async fn move_items(&self, items: &[RemoteRef], dest: &RemoteRef) -> Result<BatchOutcome> {
        self.move_impl(items, dest).await
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
        self.share_impl(id).await
    }

    async fn delete_share(&self, _id: &str) -> Result<()> {
        Err(Error::unsupported(
            "deleting share links (123pan's open API cannot; delete them on 123pan.com)",
        ))
    }

    async fn remote_download(&self, urls: &[String], dest: &RemoteRef) -> Result<Vec<Task>> {
        self.remote_download_impl(urls, dest).await
    }

    async fn list_tasks(&self, category: TaskCategory, _cursor: Option<&str>) -> Result<TaskPage> {
        self.list_tasks_impl(category).await
    }

    async fn cancel_task(&self, _id: &str) -> Result<()> {
        Err(Error::unsupported(
            "cancelling offline downloads (123pan's open API cannot)",
        ))
    }

    async fn task_progress(&self, id: &str) -> Result<TaskProgress> {
        self.task_progress_impl(id).await
    }

    async fn begin_upload(&self, req: &UploadRequest) -> Result<UploadSession> {
        upload::begin(self, req).await
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
}
