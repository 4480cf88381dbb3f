//! File operations: listing, search, info, create, rename, move/copy, delete, restore,
//! capacity, user info and download URLs.

use reqwest::Method;
use serde_json::json;

use crate::error::{Error, Result};
use crate::net::CONTROL_TIMEOUT;
use crate::provider::model::*;

use super::CloudreveV4;
use super::api::Body;
use super::uri::{CloudreveUri, escape_component};
use super::wire::{CapacityWire, FileWire, ListWire, UrlsWire, UserWire};

fn order_by(o: OrderBy) -> &'static str {
    match o {
        OrderBy::Name => "name",
        OrderBy::Size => "size",
        OrderBy::UpdatedAt => "updated_at",
        OrderBy::CreatedAt => "created_at",
    }
}

/// The §5.3 URI query keys of a search's size, date and category filters.
fn filter_params(q: &SearchQuery) -> Vec<String> {
    let mut out = Vec::new();
    if q.min_size.is_some() || q.max_size.is_some() {
        // The server applies both bounds and takes a missing one as 0.
        out.push(format!("size_gte={}", q.min_size.unwrap_or(0)));
        out.push(format!(
            "size_lte={}",
            q.max_size.unwrap_or(i64::MAX as u64)
        ));
    }
    let range = |key: &str,
                 from: Option<chrono::DateTime<chrono::Utc>>,
                 to: Option<chrono::DateTime<chrono::Utc>>| {
        let mut v = Vec::new();
        if from.is_some() || to.is_some() {
            v.push(format!("{key}_gte={}", from.map_or(0, |t| t.timestamp())));
            v.push(format!(
                "{key}_lte={}",
                to.map_or(i64::MAX / 2, |t| t.timestamp())
            ));
        }
        v
    };
    out.extend(range("updated", q.modified_after, q.modified_before));
    out.extend(range("created", q.created_after, q.created_before));
    if let Some(c) = q.category {
        out.push(format!("category={}", c.as_str()));
    }
    out
}

fn direction(d: Direction) -> &'static str {
    match d {
        Direction::Asc => "asc",
        Direction::Desc => "desc",
    }
}

fn uris(items: &[RemoteRef]) -> Vec<&str> {
    items.iter().map(RemoteRef::as_str).collect()
}

impl CloudreveV4 {
    pub(super) async fn list_raw(
        &self,
        uri: &str,
        opts: Option<&ListOptions>,
        cursor: Option<&str>,
    ) -> Result<ListWire> {
        let mut q: Vec<(&str, String)> = vec![("uri", uri.to_string())];
        if let Some(opts) = opts {
            if let Some(n) = opts.page_size {
                q.push(("page_size", n.to_string()));
            }
            q.push(("order_by", order_by(opts.order_by).to_string()));
            q.push(("order_direction", direction(opts.direction).to_string()));
        }
        if let Some(c) = cursor {
            q.push(("next_page_token", c.to_string()));
        }
        self.api.call(Method::GET, "file", &q, Body::None).await
    }

    pub(super) async fn list_uri(
        &self,
        uri: &str,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage> {
        let l = self.list_raw(uri, Some(opts), cursor).await?;
        Ok(ListPage {
            entries: l.files.into_iter().map(FileWire::into_entry).collect(),
            next_cursor: l.pagination.next_token.filter(|t| !t.is_empty()),
            limited: l.recursion_limit_reached,
        })
    }

    pub(super) async fn search_impl(
        &self,
        folder: &RemoteRef,
        q: &SearchQuery,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage> {
        let mut u = CloudreveUri::parse(folder.as_str())?;
        let mut params = vec!["case_folding".to_string()];
        // An empty name would match everything anyway; filters alone make a search. A
        // category expands to OR-ed name patterns on the server, which would OR our name
        // too, so with a category the name is matched here.
        if !q.name.is_empty() && q.category.is_none() {
            params.push(format!("name={}", escape_component(&q.name)));
        }
        match q.kind {
            Some(EntryKind::File) => params.push("type=file".into()),
            Some(EntryKind::Folder) => params.push("type=folder".into()),
            None => {}
        }
        params.extend(filter_params(q));
        u.query = Some(params.join("&"));
        // Search results are mixed and ordered by the server; only the page size applies.
        let mut query: Vec<(&str, String)> = vec![("uri", u.to_uri_string())];
        if let Some(n) = opts.page_size {
            query.push(("page_size", n.to_string()));
        }
        if let Some(c) = cursor {
            query.push(("next_page_token", c.to_string()));
        }
        let l: ListWire = self
            .api
            .call(Method::GET, "file", &query, Body::None)
            .await?;
        let needle = q.name.to_lowercase();
        Ok(ListPage {
            entries: l
                .files
                .into_iter()
                .map(FileWire::into_entry)
                .filter(|e| q.category.is_none() || e.name.to_lowercase().contains(&needle))
                .collect(),
            next_cursor: l.pagination.next_token.filter(|t| !t.is_empty()),
            limited: l.recursion_limit_reached,
        })
    }

    pub(super) async fn stat_impl(&self, item: &RemoteRef) -> Result<Entry> {
        let u = CloudreveUri::parse(item.as_str())?;
        if u.is_root() {
            // The server refuses /file/info on a root; a listing reports it as `parent`.
            let l = self.list_raw(&u.to_uri_string(), None, None).await?;
            let parent = l
                .parent
                .ok_or_else(|| Error::protocol("Listing without a parent."))?;
            let mut e = parent.into_entry();
            e.kind = EntryKind::Folder;
            if e.remote.as_str().is_empty() {
                e.remote = RemoteRef::new(u.to_uri_string());
            }
            return Ok(e);
        }
        let f: FileWire = self
            .api
            .call(
                Method::GET,
                "file/info",
                &[("uri", u.to_uri_string())],
                Body::None,
            )
            .await?;
        // Every field defaults, so `{}` decodes: an entry without a path is not an answer.
        if f.path.is_empty() {
            return Err(Error::protocol(
                "The server described the item without its path.",
            ));
        }
        Ok(f.into_entry())
    }

    pub(super) async fn create_impl(&self, target: &RemoteRef, kind: &str) -> Result<Entry> {
        let body = json!({ "uri": target.as_str(), "type": kind });
        let f: FileWire = self
            .api
            .call(Method::POST, "file/create", &[], Body::Json(body))
            .await?;
        Ok(f.into_entry())
    }

    pub(super) async fn rename_impl(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        let body = json!({ "uri": item.as_str(), "new_name": new_name });
        let f: FileWire = self
            .api
            .call(Method::POST, "file/rename", &[], Body::Json(body))
            .await?;
        Ok(f.into_entry())
    }

    pub(super) async fn move_impl(
        &self,
        items: &[RemoteRef],
        dest: &RemoteRef,
        copy: bool,
    ) -> Result<BatchOutcome> {
        if items.is_empty() {
            return Ok(BatchOutcome::default());
        }
        let body = json!({ "uris": uris(items), "dst": dest.as_str(), "copy": copy });
        self.api
            .envelope(
                Method::POST,
                "file/move",
                &[],
                Body::Json(body),
                Some(CONTROL_TIMEOUT),
            )
            .await?
            .into_batch(items)
    }

    pub(super) async fn delete_impl(
        &self,
        items: &[RemoteRef],
        mode: DeleteMode,
    ) -> Result<BatchOutcome> {
        // Items already in the trash can only be deleted permanently (skip_soft_delete).
        let (in_trash, elsewhere): (Vec<RemoteRef>, Vec<RemoteRef>) =
            items.iter().cloned().partition(|r| {
                CloudreveUri::parse(r.as_str())
                    .map(|u| u.filesystem == "trash")
                    .unwrap_or(false)
            });
        let mut out = BatchOutcome::default();
        let groups = match mode {
            DeleteMode::Permanent => vec![(items.to_vec(), true)],
            DeleteMode::Trash => vec![(elsewhere, false), (in_trash, true)],
        };
        for (group, skip_soft_delete) in groups {
            if group.is_empty() {
                continue;
            }
            let body = json!({ "uris": uris(&group), "skip_soft_delete": skip_soft_delete });
            let res = self
                .api
                .envelope(
                    Method::DELETE,
                    "file",
                    &[],
                    Body::Json(body),
                    Some(CONTROL_TIMEOUT),
                )
                .await?
                .into_batch(&group)?;
            out.failed.extend(res.failed);
        }
        Ok(out)
    }

    pub(super) async fn restore_impl(&self, items: &[RemoteRef]) -> Result<BatchOutcome> {
        if items.is_empty() {
            return Ok(BatchOutcome::default());
        }
        let body = json!({ "uris": uris(items) });
        self.api
            .envelope(
                Method::POST,
                "file/restore",
                &[],
                Body::Json(body),
                Some(CONTROL_TIMEOUT),
            )
            .await?
            .into_batch(items)
    }

    pub(super) async fn empty_trash_impl(&self) -> Result<()> {
        self.api
            .call_unit(Method::DELETE, "file/trash", &[], Body::None)
            .await
    }

    pub(super) async fn whoami_impl(&self) -> Result<UserInfo> {
        let u: UserWire = self
            .api
            .call(Method::GET, "user/me", &[], Body::None)
            .await?;
        Ok(u.into_user())
    }

    pub(super) async fn capacity_impl(&self) -> Result<Capacity> {
        let c: CapacityWire = self
            .api
            .call(Method::GET, "user/capacity", &[], Body::None)
            .await?;
        Ok(Capacity {
            total: c.total.max(0) as u64,
            used: c.used.max(0) as u64,
        })
    }

    pub(super) async fn download_url_impl(&self, file: &RemoteRef) -> Result<String> {
        self.file_url(file, None).await
    }

    /// A download URL of `file`'s current content, or of one of its entities (a version).
    pub(super) async fn file_url(&self, file: &RemoteRef, entity: Option<&str>) -> Result<String> {
        let mut body = json!({ "uris": [file.as_str()], "download": true });
        if let Some(e) = entity {
            body["entity"] = json!(e);
        }
        let u: UrlsWire = self
            .api
            .call(Method::POST, "file/url", &[], Body::Json(body))
            .await?;
        let url = u
            .urls
            .into_iter()
            .next()
            .map(|u| u.url)
            .filter(|u| !u.is_empty());
        let url = url.ok_or_else(|| Error::protocol("The server returned no download URL."))?;
        // Some servers (and v3) answer with a site-relative URL.
        Ok(self.server.join(&url).map(|u| u.to_string()).unwrap_or(url))
    }
}
