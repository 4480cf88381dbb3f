//! Share links (§9): create/edit/list/info/delete, the short link redirect, and anonymous
//! browsing/downloading through `cloudreve://<id>[:<password>]@share/...` URIs (the share
//! navigator of `pkg/filemanager/fs/dbfs/share_navigator.go`).

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use rand::Rng;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::request_base;
use crate::app::{App, AppRef};
use crate::auth::Caller;
use crate::binding::{GinJson, GinQuery};
use crate::envelope::{ApiError, ApiResult, Success};
use crate::ids::Kind;
use crate::store::{Cursor, Id, OrderBy, Store};
use crate::timefmt::go_time;
use crate::uri::{CrUri, Fs};

/// Capability bitset of the share navigator (§6.3).
pub const CAP_SHARE: &str = "gIaYAQ==";

/// One share link.
#[derive(Debug, Clone)]
pub struct Share {
    /// Numeric id (hashid tag 0).
    pub id: Id,
    /// Owner user id.
    pub owner: Id,
    /// Shared file or folder.
    pub file: Id,
    /// Plain password; empty = public.
    pub password: String,
    /// Downloads left; `None` = unlimited.
    pub remain_downloads: Option<i64>,
    /// Download counter (URL requests through the share).
    pub downloads: u64,
    /// View counter (`count_views=true` on info).
    pub views: u64,
    /// Expiry; `None` = never.
    pub expires: Option<DateTime<Utc>>,
    /// Visitors see the owner's explorer view.
    pub share_view: bool,
    /// Show README.md of the shared folder.
    pub show_readme: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl Share {
    /// Expired by time or by exhausted downloads (`IsShareExpired`).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expires.is_some_and(|e| e < now) || self.remain_downloads.is_some_and(|r| r <= 0)
    }
}

/// `IsValidShare`: not expired and the source still lives in the owner's tree (a trashed or
/// deleted source invalidates the link).
fn is_valid(store: &Store, s: &Share, now: DateTime<Utc>) -> bool {
    if s.is_expired(now) || !store.users.contains_key(&s.owner) {
        return false;
    }
    let mut cur = match store.nodes.get(&s.file) {
        Some(n) if n.owner == s.owner && n.parent.is_some() => n,
        _ => return false,
    };
    while let Some(p) = cur.parent {
        cur = store.node(p);
    }
    !cur.trashed && store.users[&s.owner].root == cur.id
}

fn share_not_exist() -> ApiError {
    ApiError::new(404, "Shared file does not exist")
}

/// The resolved root of a share URI.
pub struct ShareCtx {
    /// Share id.
    pub share: Id,
    /// Owner of the shared tree.
    pub owner: Id,
    /// Folder presented as the share root (the parent of a shared file).
    pub root: Id,
    /// The shared file of a single-file share.
    pub single_file: Option<Id>,
    /// `cloudreve://<id>[:<password>]@share/` exactly as the caller addressed it.
    pub root_uri: CrUri,
}

/// Open the share addressed by `uri` (404 when missing/invalid, 40069 on a wrong password).
pub fn open(app: &App, store: &Store, uri: &CrUri) -> Result<ShareCtx, ApiError> {
    let sid = uri
        .user
        .as_deref()
        .and_then(|u| app.ids.decode(Kind::Share, u))
        .ok_or_else(share_not_exist)?;
    let s = store.shares.get(&sid).ok_or_else(share_not_exist)?;
    if !is_valid(store, s, app.now()) {
        return Err(share_not_exist());
    }
    // The navigator compares passwords even for the owner.
    if !s.password.is_empty() && uri.password.as_deref() != Some(s.password.as_str()) {
        return Err(ApiError::new(40069, "Incorrect share password"));
    }
    let n = store.node(s.file);
    let (root, single_file) = if n.is_folder() {
        (n.id, None)
    } else {
        (
            n.parent.expect("valid share source has a parent"),
            Some(n.id),
        )
    };
    let mut root_uri = CrUri::new(Fs::Share, Vec::new());
    root_uri.user = uri.user.clone();
    root_uri.password = uri.password.clone();
    Ok(ShareCtx {
        share: sid,
        owner: s.owner,
        root,
        single_file,
        root_uri,
    })
}

impl ShareCtx {
    /// Walk `segments` below the share root (a single-file share has exactly one child).
    pub fn walk(&self, store: &Store, segments: &[String]) -> Result<Id, ApiError> {
        match self.single_file {
            Some(f) => match segments {
                [] => Ok(self.root),
                [name] if *name == store.node(f).name => Ok(f),
                _ => Err(ApiError::path_not_exist()),
            },
            None => store.walk(self.root, segments),
        }
    }

    /// The share-view URI of a node below the root.
    pub fn path_of(&self, store: &Store, id: Id) -> CrUri {
        let mut segs = Vec::new();
        let mut cur = id;
        while cur != self.root {
            let n = store.node(cur);
            segs.push(n.name.clone());
            cur = n.parent.expect("below share root");
        }
        segs.reverse();
        let mut u = self.root_uri.clone();
        u.segments = segs;
        u
    }

    /// A `FileResponse` as a share visitor sees it.
    pub fn file_json(&self, app: &App, store: &Store, caller: Caller, id: Id, meta: bool) -> Value {
        let path = self.path_of(store, id);
        let mut v = app.file_json(store, store.node(id), &path, meta);
        v["capability"] = json!(CAP_SHARE);
        if caller.0 != Some(self.owner)
            && let Some(m) = v.as_object_mut()
        {
            // `owned` is omitempty.
            m.remove("owned");
        }
        v
    }
}

/// `GET /file` on a share URI.
pub fn list(
    app: &App,
    caller: Caller,
    uri: &CrUri,
    page_size: i64,
    ob: OrderBy,
    desc: bool,
    cursor: Option<&str>,
) -> ApiResult {
    let store = app.store();
    let ctx = open(app, &store, uri)?;
    let id = ctx.walk(&store, &uri.segments)?;
    if !store.node(id).is_folder() {
        return Err(ApiError::path_not_exist());
    }
    let parent = ctx.file_json(app, &store, caller, id, false);
    let props = json!({
        "capability": CAP_SHARE, "max_page_size": super::file::MAX_PAGE_SIZE,
        "order_by_options": ["name", "size", "updated_at", "created_at"],
        "order_direction_options": ["asc", "desc"],
    });
    let mut data = json!({
        "parent": parent, "props": props,
        "context_hint": uuid::Uuid::new_v4().to_string(), "mixed_type": false,
    });
    if let Some(f) = ctx.single_file {
        data["files"] = json!([ctx.file_json(app, &store, caller, f, true)]);
        data["pagination"] = json!({"page": 0, "page_size": 0});
        data["single_file_view"] = json!(true);
    } else {
        let cursor: Option<Cursor> = cursor
            .map(|t| super::file::decode_cursor(app, t))
            .transpose()?;
        let ch = store.children.get(&id).expect("folder has children index");
        let (ids, more) = store.list_page(
            &ch.folders,
            &ch.files,
            ob,
            desc,
            page_size as usize,
            cursor.as_ref(),
        );
        let next = match (more, ids.last()) {
            (true, Some(last)) => Some(super::file::encode_cursor(app, &store, *last, ob)),
            _ => None,
        };
        let files: Vec<Value> = ids
            .iter()
            .map(|f| ctx.file_json(app, &store, caller, *f, true))
            .collect();
        data["files"] = json!(files);
        data["pagination"] = super::file::pagination(page_size, next);
    }
    let s = &store.shares[&ctx.share];
    if s.share_view || caller.0 == Some(ctx.owner) {
        data["view"] = super::file::default_view();
    }
    Ok(Success::data(data))
}

/// `GET /file/info` on a share URI.
pub fn info(app: &App, caller: Caller, uri: &CrUri) -> ApiResult {
    let store = app.store();
    let ctx = open(app, &store, uri)?;
    let id = ctx.walk(&store, &uri.segments)?;
    Ok(Success::data(ctx.file_json(app, &store, caller, id, true)))
}

/// Resolve a share URI for `POST /file/url`, counting one download (the navigator's
/// before-download hook). Returns the file node.
pub fn resolve_download(app: &App, store: &mut Store, uri: &CrUri) -> Result<Id, ApiError> {
    let ctx = open(app, store, uri)?;
    let id = ctx.walk(store, &uri.segments)?;
    if store.node(id).is_folder() {
        return Err(ApiError::entity_not_exist());
    }
    let s = store.shares.get_mut(&ctx.share).expect("opened share");
    s.downloads += 1;
    if let Some(r) = s.remain_downloads.as_mut() {
        *r -= 1;
    }
    Ok(id)
}

/// Request body of `PUT /share` and `POST /share/:id`.
#[derive(Deserialize)]
pub struct ShareBody {
    uri: Option<String>,
    #[serde(default)]
    is_private: bool,
    #[serde(default)]
    password: String,
    #[serde(default)]
    downloads: i64,
    #[serde(default)]
    expire: i64,
    #[serde(default)]
    share_view: bool,
    #[serde(default)]
    show_readme: bool,
}

fn share_url(app: &App, base: &str, s: &Share, unlocked: bool) -> String {
    let id = app.ids.encode(Kind::Share, s.id);
    if unlocked && !s.password.is_empty() {
        format!("{base}/s/{id}/{}", s.password)
    } else {
        format!("{base}/s/{id}")
    }
}

/// Validate the body and resolve the source (owner's own `my` file, not the root).
fn source_of(app: &App, store: &Store, uid: Id, b: &ShareBody) -> Result<Id, ApiError> {
    let raw = b.uri.as_deref().filter(|s| !s.is_empty());
    let raw = raw.ok_or_else(|| ApiError::binding("Uri cannot be empty"))?;
    if b.password.len() > 32 {
        return Err(ApiError::binding("Password too long"));
    }
    if !b.password.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(ApiError::binding("Invalid parameters."));
    }
    let uri = CrUri::parse(raw)?;
    // Lookup failures keep the inner code with the outer message (§1.2 code inheritance).
    let wrap = |e: ApiError| {
        let code = if e.code == -1 { 404 } else { e.code };
        ApiError::new(code, "src file not found")
    };
    let owner = super::fs_user(app, Caller(Some(uid)), &uri).map_err(wrap)?;
    if uri.fs != Fs::My || uri.is_root() {
        return Err(wrap(ApiError::not_supported()));
    }
    store
        .resolve(owner, &uri)
        .map_err(wrap)?
        .ok_or_else(|| wrap(ApiError::not_supported()))
}

fn expiry(now: DateTime<Utc>, secs: i64) -> Option<DateTime<Utc>> {
    (secs > 0).then(|| now + chrono::Duration::seconds(secs))
}

/// `PUT /share`: create a share link; `data` is its URL.
pub async fn create(
    State(app): State<AppRef>,
    caller: Caller,
    headers: HeaderMap,
    GinJson(b): GinJson<ShareBody>,
) -> ApiResult {
    let uid = caller.require()?;
    let now = app.now();
    let mut store = app.store();
    let file = source_of(&app, &store, uid, &b)?;
    let password = if !b.is_private {
        String::new()
    } else if b.password.trim().is_empty() {
        let mut rng = rand::rng();
        (0..8).map(|_| rng.random_range('a'..='z')).collect()
    } else {
        b.password.clone()
    };
    let id = store.new_id();
    let share = Share {
        id,
        owner: uid,
        file,
        password,
        remain_downloads: (b.downloads > 0).then_some(b.downloads),
        downloads: 0,
        views: 0,
        expires: expiry(now, b.expire),
        share_view: b.share_view,
        show_readme: b.show_readme,
        created_at: now,
    };
    let url = share_url(&app, &request_base(&headers, ""), &share, true);
    store.shares.insert(id, share);
    Ok(Success::data(url))
}

/// `POST /share/:id`: edit downloads, expiry and props; the password cannot change.
pub async fn edit(
    State(app): State<AppRef>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    GinJson(b): GinJson<ShareBody>,
) -> ApiResult {
    let sid = app.ids.require(Kind::Share, &id)?;
    let uid = caller.require()?;
    let now = app.now();
    let mut store = app.store();
    let file = source_of(&app, &store, uid, &b)?;
    let s = store
        .shares
        .get_mut(&sid)
        .ok_or_else(|| ApiError::new(404, "failed to get existed share"))?;
    if s.file != file {
        return Err(ApiError::new(404, "share link not found"));
    }
    s.remain_downloads = (b.downloads > 0).then_some(b.downloads);
    s.expires = expiry(now, b.expire);
    s.share_view = b.share_view;
    s.show_readme = b.show_readme;
    let s = s.clone();
    Ok(Success::data(share_url(
        &app,
        &request_base(&headers, ""),
        &s,
        true,
    )))
}

/// `DELETE /share/:id`: owner only, anything else is 404.
pub async fn delete(
    State(app): State<AppRef>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let sid = app.ids.require(Kind::Share, &id)?;
    let uid = caller.require()?;
    let mut store = app.store();
    match store.shares.get(&sid) {
        Some(s) if s.owner == uid => {
            store.shares.remove(&sid);
            Ok(Success::empty())
        }
        _ => Err(ApiError::new(404, "share not found")),
    }
}

/// Body of `DELETE /share`.
#[derive(Deserialize)]
pub struct BatchDeleteBody {
    ids: Option<Vec<String>>,
}

/// `DELETE /share` `{ids}`: delete several of the caller's shares.
pub async fn delete_batch(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<BatchDeleteBody>,
) -> ApiResult {
    let ids = b
        .ids
        .ok_or_else(|| ApiError::binding("ShareIDs cannot be empty"))?;
    let uid = caller.require()?;
    let mut decoded = Vec::new();
    for h in &ids {
        decoded.push(
            app.ids
                .decode(Kind::Share, h)
                .ok_or_else(ApiError::untyped)?,
        );
    }
    let mut store = app.store();
    for sid in decoded {
        if store.shares.get(&sid).is_some_and(|s| s.owner == uid) {
            store.shares.remove(&sid);
        }
    }
    Ok(Success::empty())
}

/// `BuildShare`: what a requester sees of a share.
fn share_json(
    app: &App,
    store: &Store,
    base: &str,
    caller: Caller,
    s: &Share,
    unlocked: bool,
    expired: bool,
) -> Value {
    let now = app.now();
    let n = store.node(s.file);
    let owner = &store.users[&s.owner];
    let mut o = json!({
        "id": app.ids.encode(Kind::User, owner.id),
        "nickname": owner.nickname,
        "created_at": go_time(owner.created_at),
        "group": {"id": app.ids.encode(Kind::Group, 2), "name": "User"},
    });
    if caller.0.is_some() {
        o["email"] = json!(owner.email);
    }
    let mut m = Map::new();
    m.insert("id".into(), json!(app.ids.encode(Kind::Share, s.id)));
    let name = store.display_name(n);
    if !name.is_empty() {
        m.insert("name".into(), json!(name));
    }
    m.insert("visited".into(), json!(s.views));
    m.insert("unlocked".into(), json!(unlocked));
    if !s.password.is_empty() {
        m.insert("password_protected".into(), json!(true));
    }
    m.insert(
        "source_type".into(),
        json!(if n.is_folder() { 1 } else { 0 }),
    );
    m.insert("owner".into(), o);
    m.insert("created_at".into(), json!(go_time(s.created_at)));
    m.insert("expired".into(), json!(s.is_expired(now) || expired));
    m.insert("url".into(), json!(share_url(app, base, s, unlocked)));
    let mut size = 0;
    if unlocked {
        if let Some(r) = s.remain_downloads {
            m.insert("remain_downloads".into(), json!(r));
        }
        if s.downloads > 0 {
            m.insert("downloaded".into(), json!(s.downloads));
        }
        if let Some(e) = s.expires {
            m.insert("expires".into(), json!(go_time(e)));
        }
        if !s.password.is_empty() {
            m.insert("password".into(), json!(s.password));
        }
        if s.show_readme {
            m.insert("show_readme".into(), json!(true));
        }
        if !n.is_folder() {
            size = n.size;
        }
    }
    m.insert("size".into(), json!(size));
    if caller.0 == Some(s.owner) {
        if !s.password.is_empty() {
            m.insert("is_private".into(), json!(true));
        }
        if s.share_view {
            m.insert("share_view".into(), json!(true));
        }
    }
    Value::Object(m)
}

/// Query of `GET /share/info/:id`.
#[derive(Deserialize)]
pub struct InfoQuery {
    #[serde(default)]
    password: String,
    #[serde(default)]
    count_views: bool,
    #[serde(default)]
    owner_extended: bool,
}

/// `GET /share/info/:id`: public share summary; reduced while locked.
pub async fn share_info(
    State(app): State<AppRef>,
    caller: Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    GinQuery(q): GinQuery<InfoQuery>,
) -> ApiResult {
    let sid = app.ids.require(Kind::Share, &id)?;
    let now = app.now();
    let mut store = app.store();
    let s = store
        .shares
        .get(&sid)
        .ok_or_else(|| ApiError::new(404, "Share not found"))?;
    if !is_valid(&store, s, now) {
        return Err(ApiError::new(404, "Share link expired"));
    }
    if q.count_views {
        store.shares.get_mut(&sid).expect("share").views += 1;
    }
    let s = &store.shares[&sid];
    let unlocked = s.password.is_empty() || q.password == s.password || caller.0 == Some(s.owner);
    let base = request_base(&headers, "");
    let mut v = share_json(&app, &store, &base, caller, s, unlocked, false);
    if q.owner_extended && caller.0 == Some(s.owner) {
        v["source_uri"] = json!(store.uri_of(s.file).to_string());
    }
    Ok(Success::data(v))
}

/// Query of `GET /share`.
#[derive(Deserialize)]
pub struct ListQuery {
    page_size: Option<i64>,
    order_by: Option<String>,
    order_direction: Option<String>,
    next_page_token: Option<String>,
}

/// Validate a required `page_size` in 10..=100 (gin's `required,min=10,max=100`).
pub fn page_size_10_100(v: Option<i64>) -> Result<usize, ApiError> {
    match v {
        None | Some(0) => Err(ApiError::binding("PageSize cannot be empty")),
        Some(n) if n < 10 => Err(ApiError::binding("PageSize too short")),
        Some(n) if n > 100 => Err(ApiError::binding("PageSize too long")),
        Some(n) => Ok(n as usize),
    }
}

/// `GET /share`: the caller's shares, cursor-paginated.
pub async fn list_mine(
    State(app): State<AppRef>,
    caller: Caller,
    headers: HeaderMap,
    GinQuery(q): GinQuery<ListQuery>,
) -> ApiResult {
    let page_size = page_size_10_100(q.page_size)?;
    let uid = caller.require()?;
    let store = app.store();
    let key = |s: &Share| -> i64 {
        match q.order_by.as_deref() {
            Some("views") => s.views as i64,
            Some("downloads") => s.downloads as i64,
            Some("remain_downloads") => s.remain_downloads.unwrap_or(i64::MAX),
            _ => 0,
        }
    };
    let asc = q.order_direction.as_deref() == Some("asc");
    let mut mine: Vec<(i64, Id)> = store
        .shares
        .values()
        .filter(|s| s.owner == uid && store.nodes.contains_key(&s.file))
        .map(|s| (key(s), s.id))
        .collect();
    mine.sort_unstable();
    if !asc {
        mine.reverse();
    }
    let start = match q.next_page_token.as_deref().filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => {
            let bad = || ApiError::param("Invalid page token");
            let (k, id) = t.split_once('_').ok_or_else(bad)?;
            let pivot: (i64, Id) = (
                k.parse().map_err(|_| bad())?,
                app.ids.decode(Kind::Share, id).ok_or_else(bad)?,
            );
            mine.partition_point(|x| if asc { *x <= pivot } else { *x >= pivot })
        }
    };
    let page: Vec<(i64, Id)> = mine[start..].iter().take(page_size).copied().collect();
    let more = start + page.len() < mine.len();
    let base = request_base(&headers, "");
    let shares: Vec<Value> = page
        .iter()
        .map(|(_, id)| {
            let s = &store.shares[id];
            let valid = is_valid(&store, s, app.now());
            share_json(&app, &store, &base, caller, s, true, !valid)
        })
        .collect();
    let mut pagination = json!({"page": 0, "page_size": page_size, "is_cursor": true});
    if more && let Some((k, id)) = page.last() {
        pagination["next_token"] = json!(format!("{k}_{}", app.ids.encode(Kind::Share, *id)));
    }
    Ok(Success::data(
        json!({"shares": shares, "pagination": pagination}),
    ))
}

/// `GET /s/:id[/:password]`: 302 to the web app's share view.
pub async fn short_link(
    Path(parts): Path<Vec<(String, String)>>,
    RawQuery(query): RawQuery,
) -> Response {
    let get = |k: &str| {
        parts
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (id, password) = (get("id"), get("password"));
    let mut path = if password.is_empty() {
        format!("cloudreve://{id}@share")
    } else {
        format!("cloudreve://{id}:{password}@share")
    };
    let mut extra = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k == "path" {
            if !v.is_empty() {
                path.push('/');
                path.push_str(v.trim_start_matches('/'));
            }
        } else {
            extra.append_pair(&k, &v);
        }
    }
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("path", &path);
    let mut location = format!("/home?{}", q.finish());
    let extra = extra.finish();
    if !extra.is_empty() {
        location.push('&');
        location.push_str(&extra);
    }
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}
