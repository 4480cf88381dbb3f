//! Browsing and changing files: listings (all pages fetched, sorted here, served in pages),
//! stat, mkdir, rename, move, trash / restore / permanent delete, the trash, the user, and
//! download links.

use reqwest::Method;
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::cloudreve_v3::sort_entries;
use crate::provider::*;

use super::Pan123;
use super::cache::Cached;
use super::codes::CODE_GENERAL;
use super::refs::{P123Ref, is_within, join, parent_of};
use super::wire::{DownloadInfoWire, FileWire, InfosWire, MkdirWire, RecoverWire, UserWire};

/// Ids per batch request (move, trash, delete, recover, infos).
const BATCH: usize = 100;
/// Characters 123pan refuses in names.
const FORBIDDEN: &[char] = &['"', '\\', '/', ':', '*', '?', '|', '>', '<'];

/// 123pan's name rule: not empty or all spaces, under 256 characters, none of `"\/:*?|><`.
pub fn check_name(name: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::with_message(ErrorKind::InvalidName, why.to_string()));
    if name.trim().is_empty() {
        return bad("A name cannot be empty or only spaces.");
    }
    if name.chars().count() >= 256 {
        return bad("123pan names must be shorter than 256 characters.");
    }
    if name.contains(FORBIDDEN) {
        return bad("123pan names cannot contain any of \" \\ / : * ? | > <");
    }
    Ok(())
}

fn root_is_fixed(what: &str) -> Error {
    Error::with_message(
        ErrorKind::PermissionDenied,
        format!("The root folder cannot be {what}."),
    )
}

fn trash_entry(w: &FileWire, folder_path: Option<String>) -> Entry {
    let c = Cached::from(w);
    Entry {
        // Where the item was: a path that names nothing now (as `resolve_path` gives it).
        original_location: folder_path.map(|dir| {
            P123Ref::Live {
                id: None,
                path: join(&dir, &c.name),
            }
            .to_ref()
        }),
        remote: P123Ref::Trash { id: w.file_id }.to_ref(),
        name: c.name,
        kind: c.kind,
        size: c.size,
        created_at: c.created_at,
        updated_at: c.updated_at,
        uploading: false,
        id: Some(w.file_id.to_string()),
    }
}

impl Pan123 {
    pub(super) async fn whoami_impl(&self) -> Result<UserInfo> {
        let u: UserWire = self.api.get("/api/v1/user/info", &[]).await?;
        Ok(UserInfo {
            id: u.uid.to_string(),
            email: Some(u.mail).filter(|m| !m.is_empty()),
            nickname: u.nickname,
            group: Some(if u.vip { "VIP" } else { "Free" }.to_string()),
        })
    }

    pub(super) async fn capacity_impl(&self) -> Result<Capacity> {
        let u: UserWire = self.api.get("/api/v1/user/info", &[]).await?;
        Ok(Capacity {
            total: u.space_permanent.saturating_add(u.space_temp),
            used: u.space_used,
        })
    }

    /// The server pages by id, not by name: the first page lists the whole folder (which
    /// also refreshes the cache), sorts it as asked and the cursor is the offset into it.
    pub(super) async fn list_impl(
        &self,
        folder: &RemoteRef,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage> {
        let (id, path) = self.folder_id(folder).await?;
        let offset: usize = match cursor {
            Some(c) => c
                .parse()
                .map_err(|_| Error::invalid("This listing cursor is not from 123pan."))?,
            None => 0,
        };
        let children = match self.cache.children(id) {
            Some(c) if offset > 0 => c,
            _ => {
                self.list_folder(id).await?;
                self.cache.children(id).unwrap_or_default()
            }
        };
        let mut entries: Vec<Entry> = children
            .iter()
            .map(|c| Self::entry(&join(&path, &c.name), c))
            .collect();
        sort_entries(&mut entries, opts);
        let size = opts.page_size.unwrap_or(super::LIST_LIMIT).clamp(1, 1000) as usize;
        let total = entries.len();
        let end = offset.saturating_add(size).min(total);
        let page: Vec<Entry> = entries.drain(offset.min(total)..end).collect();
        Ok(ListPage {
            entries: page,
            next_cursor: (end < total).then(|| end.to_string()),
            limited: false,
        })
    }

    async fn detail(&self, id: i64) -> Result<FileWire> {
        self.api
            .get("/api/v1/file/detail", &[("fileID", id.to_string())])
            .await
    }

    async fn infos(&self, ids: &[i64]) -> Result<Vec<FileWire>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(BATCH) {
            let i: InfosWire = self
                .api
                .post("/api/v1/file/infos", &json!({ "fileIds": chunk }))
                .await?;
            out.extend(i.list);
        }
        Ok(out)
    }

    /// The object's entry, checked with the server: the cache may lag behind changes made
    /// elsewhere, so a stale hit is dropped and the folder looked at again.
    pub(super) async fn stat_impl(&self, item: &RemoteRef) -> Result<Entry> {
        let path = match P123Ref::parse(item)? {
            P123Ref::Live { path, .. } if path == "/" => return Ok(Self::root_entry()),
            P123Ref::Live { path, .. } => path,
            P123Ref::Trash { id } => {
                return self
                    .infos(&[id])
                    .await?
                    .iter()
                    .find(|w| w.file_id == id && w.trashed)
                    .map(|w| trash_entry(w, self.cache.path_of(w.parent_file_id)))
                    .ok_or_else(|| Error::with_message(ErrorKind::NotFound, "Not in the trash."));
            }
        };
        for _ in 0..2 {
            let (parent, c) = self.walk(&path).await?;
            match self.detail(c.id).await {
                Ok(w) if !w.trashed && w.filename == c.name && w.parent_file_id == parent => {
                    let fresh = Cached {
                        size: if w.is_folder() { 0 } else { w.size },
                        etag: if w.etag.is_empty() { c.etag } else { w.etag },
                        ..c
                    };
                    return Ok(Self::entry(&path, &fresh));
                }
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            // Moved, renamed, trashed or deleted elsewhere: look at the folder again.
            self.cache.remove_id(c.id);
            self.cache.stale(parent);
        }
        Err(Error::with_message(
            ErrorKind::NotFound,
            format!("\"{path}\" does not exist."),
        ))
    }

    pub(super) async fn create_folder_impl(&self, parent: &RemoteRef, name: &str) -> Result<Entry> {
        check_name(name)?;
        let (pid, ppath) = self.folder_id(parent).await?;
        let existing = |c: Cached| -> Result<Entry> {
            if c.kind == EntryKind::Folder {
                Ok(Self::entry(&join(&ppath, &c.name), &c))
            } else {
                Err(Error::with_message(
                    ErrorKind::AlreadyExists,
                    format!("A file named \"{name}\" already exists."),
                ))
            }
        };
        if let Some(c) = self.child(pid, name).await? {
            return existing(c);
        }
        let env = self
            .api
            .json_envelope(
                Method::POST,
                "/upload/v1/file/mkdir",
                &json!({ "name": name, "parentID": pid }),
            )
            .await?;
        if env.code == CODE_GENERAL {
            // Code 1 is also "the name is taken" (by something created meanwhile).
            self.list_folder(pid).await?;
            if let Some(c) = self.child(pid, name).await? {
                return existing(c);
            }
            return Err(env.error());
        }
        let m: MkdirWire = env.into_data()?;
        let now = chrono::Utc::now();
        let c = Cached {
            id: m.dir_id,
            name: name.to_string(),
            kind: EntryKind::Folder,
            size: 0,
            etag: String::new(),
            created_at: Some(now),
            updated_at: Some(now),
        };
        self.cache.insert(pid, c.clone());
        Ok(Self::entry(&join(&ppath, name), &c))
    }

    pub(super) async fn rename_impl(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        let path = match P123Ref::parse(item)? {
            P123Ref::Live { path, .. } if path == "/" => return Err(root_is_fixed("renamed")),
            P123Ref::Live { path, .. } => path,
            P123Ref::Trash { .. } => {
                return Err(Error::invalid("Restore the item before renaming it."));
            }
        };
        check_name(new_name)?;
        let (parent, c) = self.walk(&path).await?;
        let new_path = join(&parent_of(&path), new_name);
        if c.name == new_name {
            return Ok(Self::entry(&new_path, &c));
        }
        if self.child(parent, new_name).await?.is_some() {
            return Err(Error::with_message(
                ErrorKind::AlreadyExists,
                format!("\"{new_name}\" already exists in this folder."),
            ));
        }
        self.api
            .call_unit(
                Method::PUT,
                "/api/v1/file/name",
                &json!({ "fileId": c.id, "fileName": new_name }),
            )
            .await?;
        self.cache.remove(parent, &c.name);
        let renamed = Cached {
            name: new_name.to_string(),
            updated_at: Some(chrono::Utc::now()),
            ..c
        };
        self.cache.insert(parent, renamed.clone());
        Ok(Self::entry(&new_path, &renamed))
    }

    pub(super) async fn move_impl(
        &self,
        items: &[RemoteRef],
        dest: &RemoteRef,
    ) -> Result<BatchOutcome> {
        let (did, dpath) = self.folder_id(dest).await?;
        let mut failed = vec![];
        let mut todo: Vec<(RemoteRef, i64, Cached)> = vec![];
        let mut taken: Vec<String> = vec![];
        for item in items {
            let path = match P123Ref::parse(item)? {
                P123Ref::Live { path, .. } => path,
                P123Ref::Trash { .. } => {
                    failed.push((
                        item.clone(),
                        Error::with_message(ErrorKind::NotFound, "The item is in the trash."),
                    ));
                    continue;
                }
            };
            if path == "/" || is_within(&dpath, &path) {
                failed.push((
                    item.clone(),
                    Error::with_message(
                        ErrorKind::PermissionDenied,
                        "A folder cannot be moved into itself.",
                    ),
                ));
                continue;
            }
            let (parent, c) = match self.walk(&path).await {
                Ok(x) => x,
                Err(e) => {
                    failed.push((item.clone(), e));
                    continue;
                }
            };
            if parent == did {
                continue;
            }
            let clash = match self.child(did, &c.name).await {
                Ok(x) => x.is_some() || taken.contains(&c.name),
                Err(e) => {
                    failed.push((item.clone(), e));
                    continue;
                }
            };
            if clash {
                failed.push((
                    item.clone(),
                    Error::with_message(
                        ErrorKind::AlreadyExists,
                        format!("\"{}\" already exists in the destination.", c.name),
                    ),
                ));
                continue;
            }
            taken.push(c.name.clone());
            todo.push((item.clone(), parent, c));
        }
        for chunk in todo.chunks(BATCH) {
            let ids: Vec<i64> = chunk.iter().map(|(_, _, c)| c.id).collect();
            let body = json!({ "fileIDs": ids, "toParentFileID": did });
            match self
                .api
                .call_unit(Method::POST, "/api/v1/file/move", &body)
                .await
            {
                Ok(()) => {
                    for (_, parent, c) in chunk {
                        self.cache.remove(*parent, &c.name);
                        self.cache.insert(did, c.clone());
                    }
                }
                Err(e) => failed.extend(chunk.iter().map(|(r, _, _)| (r.clone(), e.clone()))),
            }
        }
        Ok(BatchOutcome { failed })
    }

    /// Live items go to the trash; a permanent delete then deletes them from there (123pan
    /// deletes only what is in the trash). Trash references are deleted for good.
    pub(super) async fn delete_impl(
        &self,
        items: &[RemoteRef],
        mode: DeleteMode,
    ) -> Result<BatchOutcome> {
        let mut failed = vec![];
        let mut live: Vec<(RemoteRef, i64)> = vec![];
        let mut trashed: Vec<(RemoteRef, i64)> = vec![];
        for item in items {
            match P123Ref::parse(item)? {
                P123Ref::Trash { id } => trashed.push((item.clone(), id)),
                P123Ref::Live { path, .. } if path == "/" => {
                    failed.push((item.clone(), root_is_fixed("deleted")));
                }
                P123Ref::Live { path, .. } => match self.walk(&path).await {
                    Ok((_, c)) => live.push((item.clone(), c.id)),
                    Err(e) => failed.push((item.clone(), e)),
                },
            }
        }
        for chunk in live.chunks(BATCH) {
            let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
            match self
                .api
                .call_unit(
                    Method::POST,
                    "/api/v1/file/trash",
                    &json!({ "fileIDs": ids }),
                )
                .await
            {
                Ok(()) => {
                    for id in &ids {
                        self.cache.remove_id(*id);
                    }
                    self.seen_in_trash(&ids);
                    if mode == DeleteMode::Permanent {
                        trashed.extend(chunk.iter().cloned());
                    }
                }
                Err(e) => failed.extend(chunk.iter().map(|(r, _)| (r.clone(), e.clone()))),
            }
        }
        for chunk in trashed.chunks(BATCH) {
            let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
            match self
                .api
                .call_unit(
                    Method::POST,
                    "/api/v1/file/delete",
                    &json!({ "fileIDs": ids }),
                )
                .await
            {
                Ok(()) => self.forget_trashed(&ids),
                Err(e) => failed.extend(chunk.iter().map(|(r, _)| (r.clone(), e.clone()))),
            }
        }
        Ok(BatchOutcome { failed })
    }

    fn forget_trashed(&self, ids: &[i64]) {
        self.remember_state(|r| {
            let before = r.trash.len();
            for id in ids {
                r.trash.remove(id);
            }
            r.trash.len() != before
        });
    }

    /// Items whose folder is gone cannot go back where they were; they are put in the root
    /// folder rather than left in the trash.
    pub(super) async fn restore_impl(&self, items: &[RemoteRef]) -> Result<BatchOutcome> {
        let mut failed = vec![];
        let mut todo: Vec<(RemoteRef, i64)> = vec![];
        for item in items {
            match P123Ref::parse(item)? {
                P123Ref::Trash { id } | P123Ref::Live { id: Some(id), .. } if id != 0 => {
                    todo.push((item.clone(), id))
                }
                _ => failed.push((
                    item.clone(),
                    Error::with_message(ErrorKind::NotFound, "The item is not in the trash."),
                )),
            }
        }
        for chunk in todo.chunks(BATCH) {
            let ids: Vec<i64> = chunk.iter().map(|(_, id)| *id).collect();
            let r: Result<RecoverWire> = self
                .api
                .post("/api/v1/file/recover", &json!({ "fileIDs": ids }))
                .await;
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    failed.extend(chunk.iter().map(|(r, _)| (r.clone(), e.clone())));
                    continue;
                }
            };
            if !r.abnormal.is_empty() {
                let body = json!({ "fileIDs": r.abnormal, "parentFileID": 0 });
                if let Err(e) = self
                    .api
                    .call_unit(Method::POST, "/api/v1/file/recover/by_path", &body)
                    .await
                {
                    failed.extend(
                        chunk
                            .iter()
                            .filter(|(_, id)| r.abnormal.contains(id))
                            .map(|(r, _)| (r.clone(), e.clone())),
                    );
                }
            }
            self.forget_trashed(&ids);
        }
        // Restored items are back in folders whose listings we cannot name.
        self.cache.invalidate_all();
        Ok(BatchOutcome { failed })
    }

    /// 123pan has no trash listing: the trash is what listings showed as trashed (the root
    /// is looked at every time) and what Cirrus trashed itself, checked with the server.
    pub(super) async fn list_trash_impl(&self, opts: &ListOptions) -> Result<ListPage> {
        self.list_folder(0).await?;
        let ids: Vec<i64> = self.remembered().trash.into_iter().collect();
        let found = self.infos(&ids).await?;
        let gone: Vec<i64> = ids
            .iter()
            .copied()
            .filter(|id| !found.iter().any(|w| w.file_id == *id && w.trashed))
            .collect();
        self.forget_trashed(&gone);
        let mut entries: Vec<Entry> = found
            .iter()
            .filter(|w| w.trashed)
            .map(|w| trash_entry(w, self.cache.path_of(w.parent_file_id)))
            .collect();
        sort_entries(&mut entries, opts);
        Ok(ListPage {
            entries,
            next_cursor: None,
            limited: false,
        })
    }

    pub(super) async fn empty_trash_impl(&self) -> Result<()> {
        let trash = self.list_trash_impl(&ListOptions::default()).await?;
        let refs: Vec<RemoteRef> = trash.entries.into_iter().map(|e| e.remote).collect();
        let out = self.delete_impl(&refs, DeleteMode::Permanent).await?;
        match out.failed.into_iter().next() {
            Some((_, e)) => Err(e),
            None => Ok(()),
        }
    }

    /// A fresh `download_info` link (short-lived, honours `Range`).
    pub(super) async fn download_url_impl(&self, file: &RemoteRef) -> Result<String> {
        let path = match P123Ref::parse(file)? {
            P123Ref::Live { path, .. } => path,
            P123Ref::Trash { .. } => {
                return Err(Error::with_message(
                    ErrorKind::NotFound,
                    "The file is in the trash.",
                ));
            }
        };
        if path == "/" {
            return Err(Error::invalid("Folders cannot be downloaded as one file."));
        }
        let (_, c) = self.walk(&path).await?;
        if c.kind == EntryKind::Folder {
            return Err(Error::invalid("Folders cannot be downloaded as one file."));
        }
        let d: DownloadInfoWire = self
            .api
            .get(
                "/api/v1/file/download_info",
                &[("fileId", c.id.to_string())],
            )
            .await?;
        Ok(d.download_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_123pan_rule() {
        assert!(check_name("a b.txt").is_ok());
        assert!(check_name(" leading space").is_ok());
        for bad in ["", "   ", "a/b", "a:b", "a?b", "a|b", "x\"y"] {
            assert_eq!(
                check_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidName,
                "{bad:?}"
            );
        }
        assert!(check_name(&"字".repeat(255)).is_ok());
        assert!(check_name(&"字".repeat(256)).is_err());
    }
}
