//! `/file` listing, search, info and tree operations (create, rename, move/copy, delete,
//! restore, empty trash).

use std::collections::{BTreeMap, HashSet};

use axum::extract::State;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{fs_user, lock_conflict, parse_uri};
use crate::app::{App, AppRef};
use crate::auth::Caller;
use crate::binding::{GinJson, GinQuery};
use crate::envelope::{ApiError, ApiResult, Success};
use crate::ids::Kind;
use crate::store::{Cursor, Id, NodeKind, OrderBy, SearchSpec, SortKey, Store, validate_name};
use crate::timefmt::{ZERO_TIME, go_time};
use crate::uri::{CrUri, Fs};
use crate::views::{CAP_MY, CAP_SHARED_WITH_ME, CAP_TRASH};

/// Default and maximum page sizes of listings.
const DEFAULT_PAGE_SIZE: i64 = 100;
pub(crate) const MAX_PAGE_SIZE: i64 = 2000;

#[derive(Deserialize)]
pub struct ListQuery {
    uri: Option<String>,
    page_size: Option<i64>,
    #[allow(dead_code)]
    page: Option<i64>,
    order_by: Option<String>,
    order_direction: Option<String>,
    next_page_token: Option<String>,
}

fn props(cap: &str, searching_my: bool, trash_like: bool) -> Value {
    let (ob, od) = if trash_like {
        (json!(["created_at"]), json!(["asc", "desc"]))
    } else if searching_my {
        (Value::Null, Value::Null)
    } else {
        (
            json!(["name", "size", "updated_at", "created_at"]),
            json!(["asc", "desc"]),
        )
    };
    json!({"capability": cap, "max_page_size": MAX_PAGE_SIZE, "order_by_options": ob, "order_direction_options": od})
}

pub(crate) fn encode_cursor(app: &App, store: &Store, id: Id, ob: OrderBy) -> String {
    let node = store.node(id);
    let mut v = json!({"id": app.ids.encode(Kind::File, id), "start_with_file": !node.is_folder()});
    match store.key_of(id, ob) {
        SortKey::Str(s) => v["string"] = json!(s),
        SortKey::Int(i) => v["int"] = json!(i),
    }
    STANDARD.encode(v.to_string())
}

pub(crate) fn decode_cursor(app: &App, token: &str) -> Result<Cursor, ApiError> {
    let bad = || ApiError::param("Invalid page token");
    let raw = STANDARD.decode(token.trim()).map_err(|_| bad())?;
    let v: Value = serde_json::from_slice(&raw).map_err(|_| bad())?;
    let id = app
        .ids
        .decode(Kind::File, v["id"].as_str().unwrap_or(""))
        .ok_or_else(bad)?;
    let key = if let Some(s) = v["string"].as_str() {
        SortKey::Str(s.to_string())
    } else {
        SortKey::Int(v["int"].as_i64().unwrap_or(0))
    };
    Ok(Cursor {
        key,
        id,
        is_file: v["start_with_file"].as_bool().unwrap_or(false),
    })
}

fn parse_search(uri: &CrUri) -> Result<SearchSpec, ApiError> {
    let mut spec = SearchSpec::default();
    let mut size_given = false;
    let (mut sg, mut sl) = (0u64, 0u64);
    let mut created: Option<(i64, i64)> = None;
    let mut updated: Option<(i64, i64)> = None;
    let mut pairs = uri.query.clone();
    if let Some((_, cat)) = uri.query.iter().find(|(k, _)| k == "category") {
        let exts: &[&str] = match cat.as_str() {
            "image" => &[
                "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "heic", "tiff",
            ],
            "video" => &["mp4", "mkv", "avi", "mov", "webm", "flv", "m4v", "wmv"],
            "audio" => &["mp3", "flac", "wav", "ogg", "m4a", "aac", "ape"],
            "document" => &[
                "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "md", "epub",
            ],
            _ => return Err(ApiError::untyped()),
        };
        pairs.push(("type".into(), "file".into()));
        pairs.push(("case_folding".into(), String::new()));
        pairs.push(("use_or".into(), String::new()));
        pairs.extend(exts.iter().map(|e| ("name".to_string(), format!("*.{e}"))));
    }
    for (k, v) in &pairs {
        match k.as_str() {
            "name" => spec.names.push(v.clone()),
            "use_or" | "name_op_or" => spec.use_or = true,
            "case_folding" => spec.case_folding = true,
            "type" => {
                spec.kind = Some(match v.as_str() {
                    "file" => Some(NodeKind::File),
                    "folder" => Some(NodeKind::Folder),
                    _ => None,
                })
            }
            "size_gte" => {
                size_given = true;
                sg = v.parse().unwrap_or(0);
            }
            "size_lte" => {
                size_given = true;
                sl = v.parse().unwrap_or(0);
            }
            "created_gte" => created.get_or_insert((0, i64::MAX)).0 = v.parse().unwrap_or(0),
            "created_lte" => created.get_or_insert((0, i64::MAX)).1 = v.parse().unwrap_or(0),
            "updated_gte" => updated.get_or_insert((0, i64::MAX)).0 = v.parse().unwrap_or(0),
            "updated_lte" => updated.get_or_insert((0, i64::MAX)).1 = v.parse().unwrap_or(0),
            _ => {
                if let Some(m) = k.strip_prefix("exact_meta_") {
                    spec.meta.push((m.to_string(), v.clone(), true));
                } else if let Some(m) = k.strip_prefix("meta_") {
                    spec.meta.push((m.to_string(), v.clone(), false));
                }
            }
        }
    }
    if size_given {
        // Cloudreve applies both bounds; a missing one is 0.
        spec.size = Some((sg, sl));
    }
    spec.created = created;
    spec.updated = updated;
    Ok(spec)
}

pub(crate) fn pagination(page_size: i64, next: Option<String>) -> Value {
    let mut p = json!({"page": 0, "page_size": page_size, "is_cursor": true});
    if let Some(t) = next {
        p["next_token"] = json!(t);
    }
    p
}

pub(crate) fn default_view() -> Value {
    json!({"page_size": DEFAULT_PAGE_SIZE, "view": "grid", "thumbnail": true})
}

/// `GET /file`: list a folder or search under it.
pub async fn list(
    State(app): State<AppRef>,
    caller: Caller,
    GinQuery(q): GinQuery<ListQuery>,
) -> ApiResult {
    let uri = parse_uri(q.uri.as_deref(), "Uri")?;
    let page_size = match q.page_size.unwrap_or(0) {
        n if n <= 0 => DEFAULT_PAGE_SIZE,
        n => n.min(MAX_PAGE_SIZE),
    };
    let ob = OrderBy::parse(q.order_by.as_deref());
    let desc = q.order_direction.as_deref() == Some("desc");
    let cursor_raw = q.next_page_token.filter(|t| !t.is_empty());
    if uri.fs == Fs::Share {
        return super::share::list(
            &app,
            caller,
            &uri,
            page_size,
            ob,
            desc,
            cursor_raw.as_deref(),
        );
    }
    let uid = fs_user(&app, caller, &uri)?;
    let searching = uri.is_search();
    let store = app.store();
    let root = store.users[&uid].root;

    // Resolve what is listed: the folder node (if any), its children indexes, and how the
    // parent is presented.
    let (parent_json, folder, cap, trash_like) = match uri.fs {
        Fs::My => {
            let id = store.resolve(uid, &uri)?.expect("my resolves to a node");
            if !store.node(id).is_folder() {
                return Err(ApiError::path_not_exist());
            }
            let mut p = uri.clone();
            p.query.clear();
            (
                app.file_json(&store, store.node(id), &p, false),
                Some(id),
                CAP_MY,
                false,
            )
        }
        Fs::Trash => match store.resolve(uid, &uri)? {
            None => (
                json!({"type": 0, "id": "", "name": "", "created_at": ZERO_TIME, "updated_at": ZERO_TIME, "size": 0, "metadata": null}),
                None,
                CAP_TRASH,
                true,
            ),
            Some(id) => {
                if !store.node(id).is_folder() {
                    return Err(ApiError::path_not_exist());
                }
                (
                    app.file_json_at_home(&store, id, false),
                    Some(id),
                    CAP_TRASH,
                    true,
                )
            }
        },
        Fs::SharedWithMe => {
            if !uri.is_root() {
                return Err(ApiError::path_not_exist());
            }
            let p = CrUri::new(Fs::SharedWithMe, vec![]);
            let parent = app.file_json(&store, store.node(root), &p, false);
            // The sandbox has no share shortcuts yet: always an empty listing.
            let data = json!({
                "files": [], "parent": parent, "pagination": pagination(page_size, None),
                "props": props(CAP_SHARED_WITH_ME, false, true),
                "context_hint": uuid::Uuid::new_v4().to_string(), "mixed_type": false,
                "view": {"page_size": DEFAULT_PAGE_SIZE, "view": "list", "thumbnail": false},
            });
            return Ok(Success::data(data));
        }
        Fs::Share => unreachable!("rejected by fs_user"),
    };

    let mut data = if searching {
        let spec = parse_search(&uri)?;
        let (hits, limited) = match folder {
            Some(f) if uri.fs == Fs::My => store.search(f, &spec, app.settings.max_search_folders),
            _ => {
                let mut v: Vec<(u32, Id)> = store
                    .trash
                    .get(&uid)
                    .map(|t| {
                        t.values()
                            .copied()
                            .filter(|id| store.matches(store.node(*id), &spec))
                            .collect::<Vec<Id>>()
                    })
                    .unwrap_or_default()
                    .into_iter()
                    .map(|id| (0, id))
                    .collect();
                v.sort_unstable();
                (v, false)
            }
        };
        let start = match &cursor_raw {
            None => 0,
            Some(t) => {
                let (lvl, inner) = t
                    .split_once('|')
                    .ok_or_else(|| ApiError::param("Invalid page token"))?;
                let lvl: u32 = lvl
                    .parse()
                    .map_err(|_| ApiError::param("Invalid page token"))?;
                let c = decode_cursor(&app, inner)?;
                hits.partition_point(|h| *h <= (lvl, c.id))
            }
        };
        let page: Vec<(u32, Id)> = hits[start..]
            .iter()
            .take(page_size as usize)
            .copied()
            .collect();
        let more = start + page.len() < hits.len();
        let next = match (more, page.last()) {
            (true, Some((lvl, id))) => Some(format!(
                "{lvl}|{}",
                encode_cursor(&app, &store, *id, OrderBy::Id)
            )),
            _ => None,
        };
        let files: Vec<Value> = page
            .iter()
            .map(|(_, id)| app.file_json_at_home(&store, *id, true))
            .collect();
        let mut d = json!({
            "files": files, "parent": parent_json, "pagination": pagination(page_size, next),
            "props": props(cap, uri.fs == Fs::My, trash_like),
            "context_hint": uuid::Uuid::new_v4().to_string(), "mixed_type": true,
        });
        if limited {
            d["recursion_limit_reached"] = json!(true);
        }
        d
    } else {
        let cursor = cursor_raw
            .as_deref()
            .map(|t| decode_cursor(&app, t))
            .transpose()?;
        let trash_groups;
        let (folders, files) = match folder {
            Some(f) => {
                let ch = store.children.get(&f).expect("folder has children index");
                (&ch.folders, &ch.files)
            }
            None => {
                trash_groups = store.trash_groups(uid);
                (&trash_groups.0, &trash_groups.1)
            }
        };
        let ob = if trash_like && folder.is_none() && ob == OrderBy::Name {
            OrderBy::CreatedAt
        } else {
            ob
        };
        let (ids, more) = store.list_page(
            folders,
            files,
            ob,
            desc,
            page_size as usize,
            cursor.as_ref(),
        );
        let next = match (more, ids.last()) {
            (true, Some(id)) => Some(encode_cursor(&app, &store, *id, ob)),
            _ => None,
        };
        let files: Vec<Value> = ids
            .iter()
            .map(|id| app.file_json_at_home(&store, *id, true))
            .collect();
        json!({
            "files": files, "parent": parent_json, "pagination": pagination(page_size, next),
            "props": props(cap, false, trash_like),
            "context_hint": uuid::Uuid::new_v4().to_string(), "mixed_type": false,
        })
    };
    if uri.fs == Fs::My {
        // The policy new uploads into this folder get (folder, then user, then default).
        let p = app.upload_policy(&store, uid, &uri.segments);
        data["storage_policy"] = p.to_json(app.ids.encode(Kind::Policy, p.id));
        data["view"] = default_view();
    } else {
        data["view"] = json!({"page_size": DEFAULT_PAGE_SIZE, "view": "list", "thumbnail": false});
    }
    Ok(Success::data(data))
}

#[derive(Deserialize)]
pub struct InfoQuery {
    uri: Option<String>,
    id: Option<String>,
    #[serde(default)]
    extended: bool,
    #[serde(default)]
    folder_summary: bool,
}

/// `GET /file/info`
pub async fn info(
    State(app): State<AppRef>,
    caller: Caller,
    GinQuery(q): GinQuery<InfoQuery>,
) -> ApiResult {
    let store_id = match q.id.as_deref().filter(|s| !s.is_empty()) {
        Some(hid) => {
            let fid = app.ids.require(Kind::File, hid)?;
            let uid = caller.require()?;
            let store = app.store();
            let n = store.nodes.get(&fid).ok_or_else(ApiError::path_not_exist)?;
            if n.owner != uid {
                return Err(ApiError::new(
                    40082,
                    "Only owner or administrator can perform this action",
                ));
            }
            fid
        }
        None => {
            let uri = parse_uri(q.uri.as_deref(), "Uri")?;
            if uri.fs == Fs::Share {
                return super::share::info(&app, caller, &uri);
            }
            let uid = fs_user(&app, caller, &uri)?;
            if uri.is_root() {
                return Err(ApiError::not_supported());
            }
            app.store()
                .resolve(uid, &uri)?
                .ok_or_else(ApiError::not_supported)?
        }
    };
    let store = app.store();
    let n = store.node(store_id);
    if n.parent.is_none() && !n.trashed {
        return Err(ApiError::not_supported());
    }
    let mut v = app.file_json_at_home(&store, store_id, true);
    if q.extended {
        v["extended_info"] = app.extended_info_json(&store, n);
    }
    if q.folder_summary && n.is_folder() {
        let (mut files, mut folders) = (0u64, 0u64);
        let mut stack = vec![store_id];
        while let Some(c) = stack.pop() {
            if let Some(ch) = store.children.get(&c) {
                folders += ch.folders.len() as u64;
                files += ch.files.len() as u64;
                stack.extend(ch.folders.values().copied());
            }
        }
        v["folder_summary"] = json!({
            "size": store.tree_bytes(store_id), "files": files, "folders": folders,
            "completed": true, "calculated_at": go_time(app.now()),
        });
    }
    Ok(Success::data(v))
}

#[derive(Deserialize)]
pub struct CreateBody {
    uri: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    err_on_conflict: bool,
}

/// Validate user-supplied metadata keys (§7.8 categories).
pub fn validate_metadata(m: &BTreeMap<String, String>) -> Result<(), ApiError> {
    for (k, v) in m {
        let (cat, rest) = k
            .split_once(':')
            .ok_or_else(|| ApiError::param("Invalid metadata key"))?;
        let ok = match cat {
            "sys" => rest == "shared_owner" || rest == "shared_redirect",
            "dav" | "thumb" | "customize" | "props" => true,
            "tag" => !rest.is_empty(),
            _ => false,
        };
        if !ok || v.len() > 65535 {
            return Err(ApiError::param("Invalid metadata key"));
        }
    }
    Ok(())
}

/// `POST /file/create`
pub async fn create(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<CreateBody>,
) -> ApiResult {
    let uri = parse_uri(b.uri.as_deref(), "Uri")?;
    let kind = match b.kind.as_str() {
        "file" => NodeKind::File,
        "folder" => NodeKind::Folder,
        "" => return Err(ApiError::binding("Type cannot be empty")),
        _ => return Err(ApiError::binding("Invalid parameters.")),
    };
    let uid = fs_user(&app, caller, &uri)?;
    if uri.fs != Fs::My || uri.is_root() {
        return Err(ApiError::not_supported());
    }
    let meta = b.metadata.unwrap_or_default();
    validate_metadata(&meta)?;
    let name = uri.name().to_string();
    validate_name(&name)?;
    let now = app.now();
    let mut store = app.store();
    let root = store.users[&uid].root;
    let parent_segs = &uri.segments[..uri.segments.len() - 1];
    // Check before creating anything so a failure leaves no stray parents.
    if let Ok(p) = store.walk(root, parent_segs)
        && let Some(existing) = store.child(p, &name)
    {
        if store.node(existing).kind != kind || b.err_on_conflict {
            return Err(ApiError::object_existed());
        }
        return Ok(Success::data(
            app.file_json_at_home(&store, existing, false),
        ));
    }
    let parent = store.ensure_folders(uid, root, parent_segs, now)?;
    let id = store.insert_node(uid, parent, &name, kind, now);
    store.nodes.get_mut(&id).expect("new").metadata = meta;
    Ok(Success::data(app.file_json_at_home(&store, id, false)))
}

#[derive(Deserialize)]
pub struct RenameBody {
    uri: Option<String>,
    #[serde(default)]
    new_name: String,
}

/// `POST /file/rename`
pub async fn rename(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<RenameBody>,
) -> ApiResult {
    let uri = parse_uri(b.uri.as_deref(), "Uri")?;
    if b.new_name.is_empty() {
        return Err(ApiError::binding("NewName cannot be empty"));
    }
    if b.new_name.len() > 255 {
        return Err(ApiError::binding("NewName too long"));
    }
    let uid = fs_user(&app, caller, &uri)?;
    if uri.fs != Fs::My || uri.is_root() {
        return Err(ApiError::not_supported());
    }
    let now = app.now();
    let mut store = app.store();
    let id = store.resolve(uid, &uri)?.expect("my node");
    validate_name(&b.new_name)?;
    if let Some(s) = store.lock_of(id, now) {
        return Err(lock_conflict(&store.uri_of(id), &s.lock_token));
    }
    let n = store.node(id);
    if n.name != b.new_name {
        let parent = n.parent.expect("non-root");
        if store.child(parent, &b.new_name).is_some() {
            return Err(ApiError::object_existed());
        }
        let ext = |s: &str| s.rsplit_once('.').map(|(_, e)| e.to_lowercase());
        let ext_changed = ext(&n.name) != ext(&b.new_name);
        store.rename(id, &b.new_name);
        if ext_changed {
            store
                .nodes
                .get_mut(&id)
                .expect("node")
                .metadata
                .remove("thumb:disabled");
        }
    }
    Ok(Success::data(app.file_json_at_home(&store, id, false)))
}

#[derive(Deserialize)]
pub struct MoveBody {
    #[serde(default)]
    uris: Vec<String>,
    dst: Option<String>,
    #[serde(default)]
    copy: bool,
}

fn restore_trash_meta(store: &mut Store, id: Id) {
    let n = store.nodes.get_mut(&id).expect("node");
    n.metadata.remove("sys:restore_uri");
    n.metadata.remove("sys:expected_collect_time");
}

/// `POST /file/move` (move or copy).
pub async fn move_or_copy(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<MoveBody>,
) -> ApiResult {
    if b.uris.is_empty() {
        return Err(ApiError::binding("Uris cannot be empty"));
    }
    if b.uris.len() > 3000 {
        return Err(ApiError::new(40074, "Maximum allowed batch size: 3000"));
    }
    let dst = parse_uri(b.dst.as_deref(), "Dst")?;
    let uid = fs_user(&app, caller, &dst)?;
    let now = app.now();
    let mut store = app.store();
    if dst.fs == Fs::Trash && dst.is_root() && !b.copy {
        // Moving into the trash is a soft delete.
        drop(store);
        return delete_inner(&app, uid, &b.uris, false).map(|_| Success::empty());
    }
    if dst.fs != Fs::My {
        return Err(ApiError::not_supported());
    }
    let dst_id = store.resolve(uid, &dst)?.expect("my node");
    if !store.node(dst_id).is_folder() {
        return Err(ApiError::path_not_exist());
    }
    let mut failures = Vec::new();
    let mut valid: Vec<(Id, bool)> = Vec::new();
    for raw in &b.uris {
        let src = match CrUri::parse(raw) {
            Ok(u) => u,
            Err(e) => {
                failures.push((raw.clone(), e));
                continue;
            }
        };
        let key = src.to_string();
        let res = (|| -> Result<(Id, bool), ApiError> {
            let from_trash = match (src.fs, b.copy) {
                (Fs::My, _) => false,
                (Fs::Trash, false) => true,
                _ => return Err(ApiError::not_supported()),
            };
            if src.user.is_some() && src.fs == Fs::My {
                fs_user(&app, Caller(Some(uid)), &src)?;
            }
            let id = store
                .resolve(uid, &src)?
                .ok_or_else(ApiError::not_supported)?;
            let n = store.node(id);
            if n.parent.is_none() && !n.trashed {
                return Err(ApiError::not_supported());
            }
            if store.is_within(dst_id, id) {
                return Err(ApiError::not_supported());
            }
            if let Some(s) = store.lock_of(id, now) {
                return Err(lock_conflict(&store.uri_of(id), &s.lock_token));
            }
            Ok((id, from_trash))
        })();
        match res {
            Ok(v) => valid.push(v),
            Err(e) => failures.push((key, e)),
        }
    }
    // The transaction: any collision or quota failure aborts every valid item.
    let mut names = HashSet::new();
    let mut bytes = 0u64;
    for (id, _) in &valid {
        let n = store.node(*id);
        let name = store.display_name(n);
        let same_place = !b.copy && n.parent == Some(dst_id);
        if (!same_place && store.child(dst_id, &name).is_some()) || !names.insert(name) {
            return Err(ApiError::object_existed());
        }
        if b.copy {
            bytes += store.tree_bytes(*id);
        }
    }
    if b.copy {
        let u = &store.users[&uid];
        if u.used.saturating_add(bytes) > u.quota {
            return Err(ApiError::insufficient_capacity());
        }
    }
    for (id, from_trash) in valid {
        if b.copy {
            store.copy_tree(id, dst_id, now)?;
        } else if from_trash {
            let name = store.display_name(store.node(id));
            store.reparent(id, dst_id, Some(&name));
            restore_trash_meta(&mut store, id);
        } else if store.node(id).parent != Some(dst_id) {
            store.reparent(id, dst_id, None);
        }
    }
    ApiError::aggregate(failures).map(|_| Success::empty())
}

#[derive(Deserialize)]
pub struct DeleteBody {
    #[serde(default)]
    uris: Vec<String>,
    #[serde(default)]
    unlink: bool,
    #[serde(default)]
    skip_soft_delete: bool,
}

fn delete_inner(app: &AppRef, uid: Id, uris: &[String], skip_soft: bool) -> Result<(), ApiError> {
    let now = app.now();
    let mut failures = Vec::new();
    let mut garbage = Vec::new();
    {
        let mut store = app.store();
        for raw in uris {
            let uri = match CrUri::parse(raw) {
                Ok(u) => u,
                Err(e) => {
                    failures.push((raw.clone(), e));
                    continue;
                }
            };
            let key = uri.to_string();
            let res = (|| -> Result<(), ApiError> {
                if !matches!(uri.fs, Fs::My | Fs::Trash) {
                    return Err(ApiError::not_supported());
                }
                let id = store
                    .resolve(uid, &uri)?
                    .ok_or_else(ApiError::not_supported)?;
                let n = store.node(id);
                if n.parent.is_none() && !n.trashed {
                    return Err(ApiError::not_supported());
                }
                if let Some(s) = store.lock_of(id, now) {
                    return Err(lock_conflict(&store.uri_of(id), &s.lock_token));
                }
                if uri.fs == Fs::Trash && !skip_soft {
                    return Err(ApiError::not_supported());
                }
                if skip_soft {
                    garbage.extend(store.purge(id));
                } else {
                    store.soft_delete(id, now);
                }
                Ok(())
            })();
            if let Err(e) = res {
                failures.push((key, e));
            }
        }
    }
    app.collect_garbage(garbage);
    ApiError::aggregate(failures)
}

/// `DELETE /file`: soft delete to trash, or permanent with `skip_soft_delete`.
pub async fn delete(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<DeleteBody>,
) -> ApiResult {
    if b.uris.is_empty() {
        return Err(ApiError::binding("Uris cannot be empty"));
    }
    if b.uris.len() > 3000 {
        return Err(ApiError::new(40074, "Maximum allowed batch size: 3000"));
    }
    let uid = caller.require()?;
    if b.unlink {
        return Err(ApiError::new(403, "advance delete permission is required"));
    }
    delete_inner(&app, uid, &b.uris, b.skip_soft_delete).map(|_| Success::empty())
}

#[derive(Deserialize)]
pub struct RestoreBody {
    #[serde(default)]
    uris: Vec<String>,
}

/// `POST /file/restore`: back to the parent of `sys:restore_uri`.
pub async fn restore(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<RestoreBody>,
) -> ApiResult {
    if b.uris.is_empty() {
        return Err(ApiError::binding("Uris cannot be empty"));
    }
    let uid = caller.require()?;
    let mut store = app.store();
    let mut failures = Vec::new();
    for raw in &b.uris {
        let uri = match CrUri::parse(raw) {
            Ok(u) => u,
            Err(e) => {
                failures.push((raw.clone(), e));
                continue;
            }
        };
        let key = uri.to_string();
        let res = (|| -> Result<(), ApiError> {
            if uri.fs != Fs::Trash {
                return Err(ApiError::not_supported());
            }
            let id = store
                .resolve(uid, &uri)?
                .ok_or_else(ApiError::not_supported)?;
            let restore_uri = store
                .node(id)
                .metadata
                .get("sys:restore_uri")
                .cloned()
                .ok_or_else(ApiError::not_supported)?;
            let target = CrUri::parse(&restore_uri)?;
            let parent = store
                .resolve(uid, &target.parent())?
                .ok_or_else(ApiError::path_not_exist)?;
            if !store.node(parent).is_folder() {
                return Err(ApiError::path_not_exist());
            }
            if store.child(parent, target.name()).is_some() {
                return Err(ApiError::object_existed());
            }
            store.reparent(id, parent, Some(target.name()));
            restore_trash_meta(&mut store, id);
            Ok(())
        })();
        if let Err(e) = res {
            failures.push((key, e));
        }
    }
    ApiError::aggregate(failures).map(|_| Success::empty())
}

/// `DELETE /file/trash`: permanently delete every trash item.
pub async fn empty_trash(State(app): State<AppRef>, caller: Caller) -> ApiResult {
    let uid = caller.require()?;
    let garbage = {
        let mut store = app.store();
        let ids: Vec<Id> = store
            .trash
            .get(&uid)
            .map(|t| t.values().copied().collect())
            .unwrap_or_default();
        let mut g = Vec::new();
        for id in ids {
            g.extend(store.purge(id));
        }
        g
    };
    app.collect_garbage(garbage);
    Ok(Success::empty())
}
