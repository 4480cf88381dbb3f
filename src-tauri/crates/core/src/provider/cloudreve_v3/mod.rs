//! Cloudreve 3.8 provider. Quirks of v3 stay in here: the cookie session, path-addressed
//! folders with file and folder hashids in separate namespaces (all hidden in the
//! `RemoteRef`, see [`refs`]), whole-folder listings sorted on our side, copy of one object
//! per request, no trash (deleting is permanent), name clashes the server does not check
//! across files and folders, and uploads that cannot overwrite (see [`upload`]).

pub mod api;
pub mod auth;
pub mod codes;
pub mod refs;
mod shares;
mod tasks;
mod thumbs;
pub mod upload;
mod webdav;
pub mod wire;

use async_trait::async_trait;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use reqwest::Method;
use serde_json::json;
use std::sync::{Arc, Mutex};
use url::Url;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::*;
use crate::session::Session;

use api::{ApiClient, Body};
use refs::{V3Ref, join};
use wire::{ObjectListWire, ObjectWire, PolicySummaryWire};

/// Characters escaped in a path segment of `/directory/...`.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A signed-in Cloudreve 3 account.
pub struct CloudreveV3 {
    api: ApiClient,
    server: Url,
    /// The user's storage policy as the last listing reported it (uploads must name it).
    policy: Mutex<Option<PolicySummaryWire>>,
}

impl std::fmt::Debug for CloudreveV3 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CloudreveV3")
            .field("server", &self.server.as_str())
            .finish()
    }
}

impl CloudreveV3 {
    /// A provider for `server` using the cookie `session`.
    pub fn new(http: reqwest::Client, server: Url, session: Arc<Session>) -> Self {
        CloudreveV3 {
            api: ApiClient::new(http, &server, Some(session)),
            server,
            policy: Mutex::new(None),
        }
    }

    /// The session (for diagnostics).
    pub fn session(&self) -> &Arc<Session> {
        self.api.session().expect("a provider always has a session")
    }

    /// The site URL.
    pub fn server(&self) -> &Url {
        &self.server
    }

    /// The root folder's reference, known without a session.
    pub fn root_ref() -> RemoteRef {
        V3Ref::root().to_ref()
    }

    /// What Cloudreve 3.8 can do.
    pub const CAPABILITIES: Capabilities = Capabilities {
        cursor_pagination: false,
        server_sort: false,
        search: true,
        trash: false,
        restore: false,
        server_side_copy: true,
        batch_operations: false,
        nested_mkdir: true,
        shares: true,
        share_passwords: true,
        share_limits: true,
        share_password_editable: true,
        share_delete: true,
        share_expiry_days: &[],
        tasks_archive: false,
        tasks_extract: false,
        tasks_remote_download: true,
        task_cancel: true,
        client_encryption: false,
        instant_upload_md5: false,
        upload_needs_md5: false,
        upload_overwrite: false,
        resumable_upload: true,
        ranged_download: true,
        webdav_accounts: true,
        versions: false,
        search_filters: false,
        search_category: true,
        search_folders: false,
        thumbnails: true,
    };

    /// `GET /directory{path}`: the whole folder.
    async fn list_raw(&self, path: &str) -> Result<ObjectListWire> {
        let escaped: String = path
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| format!("/{}", utf8_percent_encode(s, SEGMENT)))
            .collect();
        let escaped = if escaped.is_empty() {
            "/".into()
        } else {
            escaped
        };
        let l: ObjectListWire = self
            .api
            .call(Method::GET, &format!("directory{escaped}"), Body::None)
            .await?;
        if let Some(p) = &l.policy {
            *self.policy.lock().unwrap_or_else(|e| e.into_inner()) = Some(p.clone());
        }
        Ok(l)
    }

    /// The storage policy to name in upload requests (from the cache or a fresh listing).
    async fn policy_id(&self, parent: &str, fresh: bool) -> Result<PolicySummaryWire> {
        if !fresh
            && let Some(p) = self
                .policy
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone()
        {
            return Ok(p);
        }
        match self.list_raw(parent).await {
            Err(e) if e.kind() == ErrorKind::NotFound => self.list_raw("/").await?,
            other => other?,
        };
        self.policy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| Error::protocol("The folder listing names no storage policy."))
    }

    fn entry(&self, dir: &str, o: ObjectWire) -> Entry {
        let kind = if o.kind == "dir" {
            EntryKind::Folder
        } else {
            EntryKind::File
        };
        let path = join(dir, &o.name);
        Entry {
            remote: V3Ref::known(kind, &o.id, &path).to_ref(),
            name: o.name,
            kind,
            size: if kind == EntryKind::Folder { 0 } else { o.size },
            created_at: o.create_date,
            updated_at: o.date,
            uploading: false,
            id: Some(o.id),
            original_location: None,
        }
    }

    /// The entries of the folder at `path`, as the server lists them.
    async fn entries(&self, path: &str) -> Result<Vec<Entry>> {
        let l = self.list_raw(path).await?;
        Ok(l.objects.into_iter().map(|o| self.entry(path, o)).collect())
    }

    fn root_entry(&self) -> Entry {
        Entry {
            remote: V3Ref::root().to_ref(),
            name: String::new(),
            kind: EntryKind::Folder,
            size: 0,
            created_at: None,
            updated_at: None,
            uploading: false,
            id: None,
            original_location: None,
        }
    }

    /// The object `r` names, looked up in its parent's listing (which is also returned).
    async fn locate_in(&self, r: &V3Ref) -> Result<(Entry, Vec<Entry>)> {
        if r.is_root() {
            return Ok((self.root_entry(), vec![]));
        }
        let siblings = self.entries(&r.parent_path()).await?;
        let found = siblings
            .iter()
            .filter(|e| e.name == r.name())
            .find(|e| r.kind.is_none_or(|k| k == e.kind))
            .cloned()
            .ok_or_else(|| {
                Error::with_message(
                    ErrorKind::NotFound,
                    format!("\"{}\" does not exist.", r.path),
                )
            })?;
        Ok((found, siblings))
    }

    async fn locate(&self, r: &RemoteRef) -> Result<Entry> {
        Ok(self.locate_in(&V3Ref::parse(r)?).await?.0)
    }

    /// A non-root object's kind and hashid, from the reference or a lookup.
    async fn identify(&self, r: &V3Ref) -> Result<(EntryKind, String)> {
        if r.is_root() {
            return Err(Error::with_message(
                ErrorKind::PermissionDenied,
                "The root folder cannot be changed.",
            ));
        }
        if let (Some(k), Some(id)) = (r.kind, &r.id) {
            return Ok((k, id.clone()));
        }
        let (e, _) = self.locate_in(r).await?;
        Ok((e.kind, e.id.unwrap_or_default()))
    }

    async fn whoami_impl(&self) -> Result<UserInfo> {
        let u: wire::UserWire = self.api.call(Method::GET, "user/me", Body::None).await?;
        Ok(u.into_user())
    }

    async fn capacity_impl(&self) -> Result<Capacity> {
        let s: wire::StorageWire = self
            .api
            .call(Method::GET, "user/storage", Body::None)
            .await?;
        Ok(Capacity {
            total: s.total,
            used: s.used,
        })
    }

    async fn create_path(&self, path: &str) -> Result<Entry> {
        self.api
            .call_unit(
                Method::PUT,
                "directory",
                Body::Json(json!({ "path": path })),
            )
            .await?;
        let r = V3Ref {
            kind: Some(EntryKind::Folder),
            id: None,
            path: path.to_string(),
        };
        match self.locate_in(&r).await {
            Ok((e, _)) => Ok(e),
            // The name is taken by a file (older servers accept the request anyway).
            Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::with_message(
                ErrorKind::AlreadyExists,
                format!("A file named \"{}\" already exists.", r.name()),
            )),
            Err(e) => Err(e),
        }
    }

    async fn rename_impl(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        let r = V3Ref::parse(item)?;
        if r.is_root() {
            return Err(Error::with_message(
                ErrorKind::PermissionDenied,
                "The root folder cannot be renamed.",
            ));
        }
        upload::check_name(new_name)?;
        let (found, siblings) = self.locate_in(&r).await?;
        if found.name == new_name {
            return Ok(found);
        }
        // Files and folders are separate tables in v3: the server lets a file take a
        // folder's name and the other way round. Cirrus does not.
        if siblings.iter().any(|e| e.name == new_name) {
            return Err(Error::with_message(
                ErrorKind::AlreadyExists,
                format!("\"{new_name}\" already exists in this folder."),
            ));
        }
        let id = found.id.clone().unwrap_or_default();
        let src = src_of(found.kind, &id);
        self.api
            .call_unit(
                Method::POST,
                "object/rename",
                Body::Json(json!({ "action": "rename", "src": src, "new_name": new_name })),
            )
            .await?;
        let path = join(&r.parent_path(), new_name);
        Ok(Entry {
            remote: V3Ref::known(found.kind, &id, &path).to_ref(),
            name: new_name.to_string(),
            ..found
        })
    }

    /// Moves (or copies, one object per request) `items` into `dest`. Items are grouped
    /// by their folder, since v3 wants one source folder per request.
    async fn transfer_items(
        &self,
        items: &[RemoteRef],
        dest: &RemoteRef,
        copy: bool,
    ) -> Result<BatchOutcome> {
        let dst = V3Ref::parse(dest)?;
        let taken: Vec<String> = self
            .entries(&dst.path)
            .await?
            .into_iter()
            .map(|e| e.name)
            .collect();
        let mut failed = vec![];
        let mut groups: Vec<(String, Vec<(RemoteRef, Entry)>)> = vec![];
        for item in items {
            let r = V3Ref::parse(item)?;
            if r.is_root() || is_within(&dst.path, &r.path) {
                failed.push((
                    item.clone(),
                    Error::with_message(
                        ErrorKind::PermissionDenied,
                        "A folder cannot be moved or copied into itself.",
                    ),
                ));
                continue;
            }
            let entry = match self.locate_in(&r).await {
                Ok((e, _)) => e,
                Err(e) => {
                    failed.push((item.clone(), e));
                    continue;
                }
            };
            if taken.contains(&entry.name) {
                failed.push((
                    item.clone(),
                    Error::with_message(
                        ErrorKind::AlreadyExists,
                        format!("\"{}\" already exists in the destination.", entry.name),
                    ),
                ));
                continue;
            }
            let parent = r.parent_path();
            match groups.iter_mut().find(|g| g.0 == parent) {
                Some(g) => g.1.push((item.clone(), entry)),
                None => groups.push((parent, vec![(item.clone(), entry)])),
            }
        }
        for (src_dir, members) in groups {
            let batches: Vec<Vec<(RemoteRef, Entry)>> = if copy {
                members.into_iter().map(|m| vec![m]).collect()
            } else {
                vec![members]
            };
            for batch in batches {
                let mut dirs = vec![];
                let mut files = vec![];
                for (_, e) in &batch {
                    let id = e.id.clone().unwrap_or_default();
                    match e.kind {
                        EntryKind::Folder => dirs.push(id),
                        EntryKind::File => files.push(id),
                    }
                }
                let src = json!({ "dirs": dirs, "items": files });
                let result = if copy {
                    let body = json!({ "src_dir": src_dir, "src": src, "dst": dst.path });
                    self.api
                        .call_unit(Method::POST, "object/copy", Body::Json(body))
                        .await
                } else {
                    let body = json!({
                        "action": "move", "src_dir": src_dir, "src": src, "dst": dst.path
                    });
                    self.api
                        .call_unit(Method::PATCH, "object", Body::Json(body))
                        .await
                };
                if let Err(e) = result {
                    failed.extend(batch.into_iter().map(|(r, _)| (r, e.clone())));
                }
            }
        }
        Ok(BatchOutcome { failed })
    }

    async fn delete_impl(&self, items: &[RemoteRef]) -> Result<BatchOutcome> {
        let mut failed = vec![];
        let mut dirs = vec![];
        let mut files = vec![];
        let mut sent = vec![];
        for item in items {
            let r = V3Ref::parse(item)?;
            match self.identify(&r).await {
                Ok((EntryKind::Folder, id)) => dirs.push(id),
                Ok((EntryKind::File, id)) => files.push(id),
                Err(e) => {
                    failed.push((item.clone(), e));
                    continue;
                }
            }
            sent.push(item.clone());
        }
        if !sent.is_empty() {
            let body = json!({ "items": files, "dirs": dirs, "force": false, "unlink": false });
            if let Err(e) = self
                .api
                .call_unit(Method::DELETE, "object", Body::Json(body))
                .await
            {
                failed.extend(sent.into_iter().map(|r| (r, e.clone())));
            }
        }
        Ok(BatchOutcome { failed })
    }

    async fn download_url_impl(&self, file: &RemoteRef) -> Result<String> {
        let r = V3Ref::parse(file)?;
        let (kind, id) = self.identify(&r).await?;
        if kind != EntryKind::File {
            return Err(Error::invalid("Folders cannot be downloaded as one file."));
        }
        let link: String = self
            .api
            .call(Method::PUT, &format!("file/download/{id}"), Body::None)
            .await?;
        Ok(self.api.resolve(&link)?.to_string())
    }

    /// `GET /file/search/keywords/{kw}?path=`: files (v3 searches files only) whose name
    /// contains the words, anywhere below `folder`.
    async fn search_impl(
        &self,
        folder: &RemoteRef,
        q: &SearchQuery,
        opts: &ListOptions,
    ) -> Result<ListPage> {
        if q.kind == Some(EntryKind::Folder) {
            return Err(Error::unsupported("searching for folders on Cloudreve 3"));
        }
        if q.has_range_filters() {
            return Err(Error::unsupported(
                "size and date filters in a Cloudreve 3 search",
            ));
        }
        let name = q.name.trim();
        if name.is_empty() && q.category.is_none() {
            return Err(Error::invalid("Nothing to search for."));
        }
        let dir = V3Ref::parse(folder)?;
        // A category is its own search type; the keyword part is then not used by the
        // server, so a name is matched here.
        let (kind, kw) = match q.category {
            Some(c) => (category_type(c), "_".to_string()),
            None => ("keywords", utf8_percent_encode(name, SEGMENT).to_string()),
        };
        let path: String = url::form_urlencoded::byte_serialize(dir.path.as_bytes()).collect();
        let l: ObjectListWire = self
            .api
            .call(
                Method::GET,
                &format!("file/search/{kind}/{kw}?path={path}"),
                Body::None,
            )
            .await?;
        let needle = name.to_lowercase();
        let mut entries: Vec<Entry> = l
            .objects
            .into_iter()
            .map(|o| {
                let parent = refs::normalize(&o.path);
                self.entry(&parent, o)
            })
            .filter(|e| q.category.is_none() || e.name.to_lowercase().contains(&needle))
            .collect();
        sort_entries(&mut entries, opts);
        Ok(ListPage {
            entries,
            next_cursor: None,
            // Cloudreve 3 answers whole listings and whole searches.
            limited: false,
        })
    }
}

/// `{"dirs": [...], "items": [...]}` for one object.
fn src_of(kind: EntryKind, id: &str) -> serde_json::Value {
    match kind {
        EntryKind::Folder => json!({ "dirs": [id], "items": [] }),
        EntryKind::File => json!({ "dirs": [], "items": [id] }),
    }
}

/// Whether `inner` is `outer` or below it.
fn is_within(inner: &str, outer: &str) -> bool {
    inner == outer || inner.starts_with(&format!("{}/", outer.trim_end_matches('/')))
}

/// Sorts a whole listing the way `opts` asks, folders first (v3 and 123pan do not sort).
pub(crate) fn sort_entries(entries: &mut [Entry], opts: &ListOptions) {
    entries.sort_by(|a, b| {
        let folders_first = b.is_folder().cmp(&a.is_folder());
        let key = match opts.order_by {
            OrderBy::Name => a.name.cmp(&b.name),
            OrderBy::Size => a.size.cmp(&b.size),
            OrderBy::UpdatedAt => a.updated_at.cmp(&b.updated_at),
            OrderBy::CreatedAt => a.created_at.cmp(&b.created_at),
        }
        .then_with(|| a.name.cmp(&b.name));
        let key = match opts.direction {
            Direction::Asc => key,
            Direction::Desc => key.reverse(),
        };
        folders_first.then(key)
    });
}

#[async_trait]
impl Provider for CloudreveV3 {
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn check_name(&self, name: &str) -> Result<()> {
        upload::check_name(name)
    }

    fn root(&self) -> RemoteRef {
        Self::root_ref()
    }

    async fn resolve_path(&self, path: &str) -> Result<RemoteRef> {
        if path.starts_with(refs::PREFIX) {
            return Ok(V3Ref::parse(&RemoteRef::new(path))?.to_ref());
        }
        let r = V3Ref::from_path(path);
        if r.is_root() {
            return Ok(V3Ref::root().to_ref());
        }
        Ok(r.to_ref())
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
        _cursor: Option<&str>,
    ) -> Result<ListPage> {
        let r = V3Ref::parse(folder)?;
        if r.kind == Some(EntryKind::File) {
            return Err(Error::invalid("A file cannot be listed."));
        }
        let mut entries = self.entries(&r.path).await?;
        sort_entries(&mut entries, opts);
        Ok(ListPage {
            entries,
            next_cursor: None,
            // Cloudreve 3 answers whole listings and whole searches.
            limited: false,
        })
    }

    async fn search(
        &self,
        folder: &RemoteRef,
        q: &SearchQuery,
        opts: &ListOptions,
        _cursor: Option<&str>,
    ) -> Result<ListPage> {
        self.search_impl(folder, q, opts).await
    }

    async fn stat(&self, item: &RemoteRef) -> Result<Entry> {
        self.locate(item).await
    }

    async fn create_folder(&self, parent: &RemoteRef, name: &str) -> Result<Entry> {
        upload::check_name(name)?;
        let p = V3Ref::parse(parent)?;
        self.create_path(&p.child_path(name)).await
    }

    async fn create_folders(&self, parent: &RemoteRef, names: &[String]) -> Result<Entry> {
        if names.is_empty() {
            return Err(Error::invalid("No folder name given."));
        }
        let mut path = V3Ref::parse(parent)?.path;
        for n in names {
            upload::check_name(n)?;
            path = join(&path, n);
        }
        // v3 creates the missing folders on the way in one request.
        self.create_path(&path).await
    }

    async fn rename(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        self.rename_impl(item, new_name).await
    }

    async fn move_items(&self, items: &[RemoteRef], dest: &RemoteRef) -> Result<BatchOutcome> {
        self.transfer_items(items, dest, false).await
    }

    async fn copy_items(&self, items: &[RemoteRef], dest: &RemoteRef) -> Result<BatchOutcome> {
        self.transfer_items(items, dest, true).await
    }

    async fn delete(&self, items: &[RemoteRef], mode: DeleteMode) -> Result<BatchOutcome> {
        if mode == DeleteMode::Trash {
            return Err(Error::unsupported(
                "a trash (Cloudreve 3 deletes permanently)",
            ));
        }
        self.delete_impl(items).await
    }

    async fn create_share(&self, item: &RemoteRef, opts: &ShareOptions) -> Result<Share> {
        self.create_share_impl(item, opts).await
    }

    async fn list_shares(&self, cursor: Option<&str>) -> Result<SharePage> {
        self.list_shares_impl(cursor).await
    }

    async fn edit_share(&self, id: &str, item: &RemoteRef, opts: &ShareOptions) -> Result<Share> {
        self.edit_share_impl(id, item, opts).await
    }

    async fn delete_share(&self, id: &str) -> Result<()> {
        self.api
            .call_unit(Method::DELETE, &format!("share/{id}"), Body::None)
            .await
    }

    async fn remote_download(&self, urls: &[String], dest: &RemoteRef) -> Result<Vec<Task>> {
        self.remote_download_impl(urls, dest).await
    }

    async fn list_tasks(&self, category: TaskCategory, cursor: Option<&str>) -> Result<TaskPage> {
        self.list_tasks_impl(category, cursor).await
    }

    async fn cancel_task(&self, id: &str) -> Result<()> {
        self.api
            .call_unit(Method::DELETE, &format!("aria2/task/{id}"), Body::None)
            .await
    }

    async fn list_webdav_accounts(&self) -> Result<Vec<WebDavAccount>> {
        self.list_webdav_impl().await
    }

    async fn create_webdav_account(&self, name: &str, root: &RemoteRef) -> Result<WebDavAccount> {
        self.create_webdav_impl(name, root).await
    }

    async fn delete_webdav_account(&self, id: &str) -> Result<()> {
        self.api
            .call_unit(Method::DELETE, &format!("webdav/accounts/{id}"), Body::None)
            .await
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

    async fn thumbnail(&self, file: &RemoteRef) -> Result<Option<Vec<u8>>> {
        self.thumbnail_impl(file).await
    }
}

/// Cloudreve 3's search type of a category.
fn category_type(c: SearchCategory) -> &'static str {
    match c {
        SearchCategory::Image => "image",
        SearchCategory::Video => "video",
        SearchCategory::Audio => "audio",
        SearchCategory::Document => "doc",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(name: &str, kind: EntryKind, size: u64) -> Entry {
        Entry {
            remote: RemoteRef::new(name),
            name: name.into(),
            kind,
            size,
            created_at: None,
            updated_at: None,
            uploading: false,
            id: None,
            original_location: None,
        }
    }

    #[test]
    fn listings_sort_folders_first_in_the_asked_order() {
        let mut v = vec![
            e("b", EntryKind::File, 1),
            e("z", EntryKind::Folder, 0),
            e("a", EntryKind::File, 9),
            e("c", EntryKind::Folder, 0),
        ];
        sort_entries(&mut v, &ListOptions::default());
        let names: Vec<_> = v.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["c", "z", "a", "b"]);
        sort_entries(
            &mut v,
            &ListOptions {
                order_by: OrderBy::Size,
                direction: Direction::Desc,
                ..Default::default()
            },
        );
        let names: Vec<_> = v.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["z", "c", "a", "b"]);
    }

    #[test]
    fn a_folder_is_within_itself_and_its_children_only() {
        assert!(is_within("/a", "/a"));
        assert!(is_within("/a/b", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert!(is_within("/x", "/"));
    }
}
