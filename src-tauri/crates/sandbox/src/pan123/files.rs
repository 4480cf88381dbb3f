//! Tokens, user info and the file-management endpoints (list, detail, mkdir, rename, move,
//! trash, recover, delete) plus `download_info` and the CDN route its URLs point at.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::Utc;
use rand::Rng;
use rand::distr::Alphanumeric;
use serde_json::{Value, json};

use super::{
    Auth, MAX_TOKENS, P123, Pan123, Query, R, Token, body_json, fmt_rfc3339, fmt_time, general,
    int, int_list, not_found, ok, perr, string,
};
use crate::store::{Id, NodeKind, Store};

/// A `download_info` URL handed out (the CDN side).
#[derive(Debug, Clone)]
pub struct DownloadLink {
    pub blob: String,
    pub size: u64,
    pub name: String,
    pub expires: chrono::DateTime<Utc>,
}

/// A random alphanumeric string (share keys).
pub fn rand_key(n: usize) -> String {
    rand_str(n)
}

fn rand_str(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// 123pan's file-name rule: under 256 characters, none of `"\/:*?|><`, not all spaces.
pub fn legal_name(name: &str) -> Result<(), super::PErr> {
    if name.is_empty() || name.trim().is_empty() {
        return Err(general("文件名不能为空或全部是空格"));
    }
    if name.chars().count() >= 256 {
        return Err(general("文件名要小于256个字符"));
    }
    if name.contains(['"', '\\', '/', ':', '*', '?', '|', '>', '<']) {
        return Err(general("文件名不能包含以下任何字符:\"\\/:*?|><"));
    }
    Ok(())
}

/// `POST /api/v1/access_token`: `{clientID, clientSecret}` → `{accessToken, expiredAt}`.
pub async fn access_token(State(p): State<P123>, body: Bytes) -> R {
    let v = body_json(&body)?;
    let (Some(id), Some(secret)) = (string(&v, "clientID"), string(&v, "clientSecret")) else {
        return Err(general("clientID和clientSecret不能为空"));
    };
    let mut st = p.state();
    let Some(c) = st.clients.get(&id).cloned() else {
        return Err(general("clientID或clientSecret错误"));
    };
    if c.secret != secret {
        return Err(general("clientID或clientSecret错误"));
    }
    let token = format!("eyJ{}", rand_str(120));
    let expires = Utc::now()
        + chrono::Duration::from_std(st.knobs.token_ttl).unwrap_or(chrono::Duration::days(30));
    st.tokens.insert(
        token.clone(),
        Token {
            client_id: id.clone(),
            user: c.user,
            expires,
        },
    );
    st.stats.tokens_issued += 1;
    let now = Utc::now();
    let mut evicted = Vec::new();
    {
        let st = &mut *st;
        let q = st.by_client.entry(id).or_default();
        q.retain(|t| st.tokens.get(t).is_some_and(|x| x.expires > now));
        q.push_back(token.clone());
        while q.len() > MAX_TOKENS {
            if let Some(old) = q.pop_front() {
                evicted.push(old);
            }
        }
    }
    for t in evicted {
        st.tokens.remove(&t);
        st.stats.tokens_evicted += 1;
    }
    ok(json!({"accessToken": token, "expiredAt": fmt_rfc3339(expires)}))
}

/// `GET /api/v1/user/info`.
pub async fn user_info(State(p): State<P123>, Auth(uid): Auth) -> R {
    let store = p.app.store();
    let u = &store.users[&uid];
    let start = u.created_at;
    ok(json!({
        "uid": uid,
        "nickname": u.nickname,
        "headImage": "",
        "passport": "",
        "mail": u.email,
        "spaceUsed": u.used,
        "spacePermanent": u.quota,
        "spaceTemp": 0,
        "spaceTempExpr": "",
        "vip": false,
        "directTraffic": 0,
        "isHideUID": false,
        "httpsCount": 0,
        "vipInfo": null,
        "developerInfo": {
            "startTime": fmt_time(start),
            "endTime": fmt_time(start + chrono::Duration::days(365)),
        },
    }))
}

/// 0 unknown, 1 audio, 2 video, 3 image (by extension).
fn category(name: &str) -> u8 {
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("mp3" | "flac" | "wav" | "aac" | "ogg" | "m4a") => 1,
        Some("mp4" | "mkv" | "avi" | "mov" | "wmv" | "flv" | "webm") => 2,
        Some("jpg" | "jpeg" | "png" | "gif" | "bmp" | "webp" | "heic") => 3,
        _ => 0,
    }
}

impl Pan123 {
    /// Public id of the folder a node is in (for trashed items: the folder it came from).
    pub fn parent_pub(&self, store: &Store, uid: Id, id: Id) -> i64 {
        let n = store.node(id);
        match n.parent {
            Some(par) => self.pub_id(store, uid, par),
            None => n
                .metadata
                .get("p123:parent")
                .and_then(|s| s.parse::<Id>().ok())
                .map_or(0, |par| {
                    if store.nodes.contains_key(&par) {
                        self.pub_id(store, uid, par)
                    } else {
                        par as i64
                    }
                }),
        }
    }

    /// Whether a node is in the trash (itself or below a trashed folder).
    pub fn in_trash(&self, store: &Store, id: Id) -> bool {
        let mut cur = Some(id);
        while let Some(c) = cur {
            let n = store.node(c);
            if n.trashed {
                return true;
            }
            cur = n.parent;
        }
        false
    }

    /// Etag (MD5) of a file; "" for folders.
    pub fn etag(&self, store: &Store, id: Id) -> String {
        let n = store.node(id);
        if n.is_folder() {
            return String::new();
        }
        n.metadata.get("p123:md5").cloned().unwrap_or_else(|| {
            if n.size == 0 {
                "d41d8cd98f00b204e9800998ecf8427e".into()
            } else {
                String::new()
            }
        })
    }

    /// An item of the v2 list / infos.
    pub fn item_v2(&self, store: &Store, uid: Id, id: Id) -> Value {
        let n = store.node(id);
        let name = store.display_name(n);
        json!({
            "fileId": id,
            "filename": name,
            "type": if n.is_folder() { 1 } else { 0 },
            "size": if n.is_folder() { 0 } else { n.size },
            "etag": self.etag(store, id),
            "status": 2,
            "parentFileId": self.parent_pub(store, uid, id),
            "category": category(&name),
            "punishFlag": 0,
            "s3KeyFlag": format!("{uid}-0"),
            "storageNode": "m0",
            "trashed": if self.in_trash(store, id) { 1 } else { 0 },
            "createAt": fmt_time(n.created_at),
            "updateAt": fmt_time(n.updated_at),
        })
    }

    /// Items shown in folder `folder`: its children and what was trashed out of it.
    pub fn folder_items(&self, store: &Store, uid: Id, folder: Id) -> Vec<Id> {
        let mut out: Vec<Id> = store
            .children
            .get(&folder)
            .map(|c| {
                c.folders
                    .values()
                    .chain(c.files.values())
                    .copied()
                    .collect()
            })
            .unwrap_or_default();
        let tag = folder.to_string();
        if let Some(t) = store.trash.get(&uid) {
            out.extend(t.values().copied().filter(|id| {
                store
                    .nodes
                    .get(id)
                    .and_then(|n| n.metadata.get("p123:parent"))
                    == Some(&tag)
            }));
        }
        out.sort_unstable();
        out
    }
}

/// `GET /api/v2/file/list?parentFileId&limit&lastFileId&searchData&searchMode`.
pub async fn list_v2(State(p): State<P123>, Auth(uid): Auth, Query(q): Query) -> R {
    let limit = int(&q, "limit").ok_or_else(|| general("limit不能为空"))?;
    if !(1..=100).contains(&limit) {
        return Err(general("limit最大不能超过100"));
    }
    let parent = int(&q, "parentFileId").unwrap_or(0);
    let last = int(&q, "lastFileId").unwrap_or(0).max(0);
    let search = string(&q, "searchData").unwrap_or_default();
    let exact = int(&q, "searchMode") == Some(1);
    let store = p.app.store();
    let ids: Vec<Id> = if !search.is_empty() {
        let needle = search.to_lowercase();
        let mut v: Vec<Id> = store
            .nodes
            .values()
            .filter(|n| n.owner == uid && (n.parent.is_some() || n.trashed))
            .filter(|n| {
                let name = store.display_name(n);
                if exact {
                    name == search
                } else {
                    name.to_lowercase().contains(&needle)
                }
            })
            .map(|n| n.id)
            .collect();
        v.sort_unstable();
        v
    } else {
        let folder = if parent == 0 {
            Some(p.root(&store, uid))
        } else {
            p.node(&store, uid, parent)
                .filter(|id| store.node(*id).is_folder())
        };
        match folder {
            Some(f) => p.folder_items(&store, uid, f),
            None => Vec::new(),
        }
    };
    let rest: Vec<Id> = ids.into_iter().filter(|i| *i as i64 > last).collect();
    let page: Vec<Id> = rest.iter().take(limit as usize).copied().collect();
    let last_id = if rest.len() > page.len() {
        page.last().map_or(-1, |i| *i as i64)
    } else {
        -1
    };
    let list: Vec<Value> = page.iter().map(|i| p.item_v2(&store, uid, *i)).collect();
    ok(json!({"lastFileId": last_id, "fileList": list}))
}

/// `GET /api/v1/file/list?parentFileId&page&limit&orderBy&orderDirection&trashed&searchData`.
pub async fn list_v1(State(p): State<P123>, Auth(uid): Auth, Query(q): Query) -> R {
    let limit = int(&q, "limit").ok_or_else(|| general("limit不能为空"))?;
    if !(1..=100).contains(&limit) {
        return Err(general("limit最大不能超过100"));
    }
    let page = int(&q, "page").unwrap_or(1).max(1);
    let parent = int(&q, "parentFileId").unwrap_or(0);
    let trashed = string(&q, "trashed").is_some_and(|s| s == "true" || s == "1");
    let store = p.app.store();
    let Some(folder) = (if parent == 0 {
        Some(p.root(&store, uid))
    } else {
        p.node(&store, uid, parent)
    }) else {
        return ok(json!({"total": 0, "fileList": []}));
    };
    let mut ids: Vec<Id> = p
        .folder_items(&store, uid, folder)
        .into_iter()
        .filter(|i| p.in_trash(&store, *i) == trashed)
        .collect();
    let desc = string(&q, "orderDirection").is_some_and(|s| s == "desc");
    match string(&q, "orderBy").as_deref() {
        Some("size") => ids.sort_by_key(|i| store.node(*i).size),
        Some("file_name") => ids.sort_by_key(|i| store.display_name(store.node(*i))),
        _ => ids.sort_unstable(),
    }
    if desc {
        ids.reverse();
    }
    let total = ids.len();
    let parent_name = if parent == 0 {
        String::new()
    } else {
        store.display_name(store.node(folder))
    };
    let list: Vec<Value> = ids
        .iter()
        .skip(((page - 1) * limit) as usize)
        .take(limit as usize)
        .map(|i| {
            let mut v = p.item_v2(&store, uid, *i);
            let o = v.as_object_mut().expect("object");
            let id = o.remove("fileId").unwrap_or_default();
            o.insert("fileID".into(), id);
            o.insert("parentName".into(), json!(parent_name));
            o.insert("contentType".into(), json!("0"));
            o.insert("trashed".into(), json!(p.in_trash(&store, *i)));
            v
        })
        .collect();
    ok(json!({"total": total, "fileList": list}))
}

/// `GET /api/v1/file/detail?fileID`.
pub async fn detail(State(p): State<P123>, Auth(uid): Auth, Query(q): Query) -> R {
    let id = int(&q, "fileID").ok_or_else(|| general("fileID不能为空"))?;
    let store = p.app.store();
    let n = p.node(&store, uid, id).ok_or_else(not_found)?;
    let node = store.node(n);
    let size = if node.is_folder() {
        store.tree_bytes(n)
    } else {
        node.size
    };
    ok(json!({
        "fileID": n,
        "filename": store.display_name(node),
        "type": if node.is_folder() { 1 } else { 0 },
        "size": size,
        "etag": p.etag(&store, n),
        "status": 2,
        "parentFileID": p.parent_pub(&store, uid, n),
        "createAt": fmt_time(node.created_at),
        "trashed": if p.in_trash(&store, n) { 1 } else { 0 },
    }))
}

/// `POST /api/v1/file/infos` `{fileIds}` → `{list: [...]}` (items as in the v2 list).
pub async fn infos(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = int_list(&v, "fileIds").ok_or_else(|| general("fileIds不能为空"))?;
    if ids.len() > 100 {
        return Err(general("fileIds最多100个"));
    }
    let store = p.app.store();
    let list: Vec<Value> = ids
        .iter()
        .filter_map(|i| p.node(&store, uid, *i))
        .map(|i| p.item_v2(&store, uid, i))
        .collect();
    ok(json!({"list": list}))
}

/// `POST /upload/v1/file/mkdir` `{name, parentID}` → `{dirID}`; code 1 on an existing name.
pub async fn mkdir(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let name = string(&v, "name").unwrap_or_default();
    legal_name(&name)?;
    let parent = int(&v, "parentID").ok_or_else(|| general("parentID不能为空"))?;
    let mut store = p.app.store();
    let folder = p
        .folder(&store, uid, parent)
        .ok_or_else(|| general("父级目录不存在"))?;
    if store.child(folder, &name).is_some() {
        return Err(general("该目录下已经有同名文件夹,无法进行创建"));
    }
    let id = store.insert_node(uid, folder, &name, NodeKind::Folder, Utc::now());
    ok(json!({"dirID": id}))
}

fn rename_node(
    p: &Pan123,
    store: &mut Store,
    uid: Id,
    id: i64,
    name: &str,
) -> Result<Id, super::PErr> {
    legal_name(name)?;
    let n = p.node(store, uid, id).ok_or_else(not_found)?;
    if p.in_trash(store, n) {
        return Err(not_found());
    }
    let parent = store.node(n).parent.ok_or_else(not_found)?;
    if store.node(n).name == name {
        return Ok(n);
    }
    if store.child(parent, name).is_some() {
        return Err(general("当前目录有重名文件"));
    }
    store.rename(n, name);
    if let Some(x) = store.nodes.get_mut(&n) {
        x.updated_at = Utc::now();
    }
    Ok(n)
}

/// `PUT /api/v1/file/name` `{fileId, fileName}`.
pub async fn rename_one(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let id = int(&v, "fileId").ok_or_else(|| general("fileId不能为空"))?;
    let name = string(&v, "fileName").unwrap_or_default();
    let mut store = p.app.store();
    rename_node(&p, &mut store, uid, id, &name)?;
    ok(Value::Null)
}

/// `POST /api/v1/file/rename` `{renameList: ["id|name", ...]}` (≤ 30).
pub async fn rename_batch(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let list = super::field(&v, "renameList")
        .and_then(|x| x.as_array())
        .ok_or_else(|| general("renameList不能为空"))?;
    if list.len() > 30 {
        return Err(general("renameList最多30个"));
    }
    let mut store = p.app.store();
    let mut success = Vec::new();
    let mut fail = Vec::new();
    for e in list {
        let s = e.as_str().unwrap_or_default();
        let Some((id, name)) = s.split_once('|') else {
            fail.push(json!({"fileID": 0, "message": "格式错误"}));
            continue;
        };
        let id: i64 = id.trim().parse().unwrap_or(-1);
        match rename_node(&p, &mut store, uid, id, name) {
            Ok(n) => success.push(json!({"fileID": n, "updateAt": fmt_time(Utc::now())})),
            Err(e) => fail.push(json!({"fileID": id, "message": e.message})),
        }
    }
    ok(json!({"successList": success, "failList": fail}))
}

fn ids_of(v: &Value) -> Result<Vec<i64>, super::PErr> {
    let ids = int_list(v, "fileIDs").ok_or_else(|| general("fileIDs不能为空"))?;
    if ids.is_empty() {
        return Err(general("fileIDs不能为空"));
    }
    if ids.len() > 100 {
        return Err(general("fileIDs最多100个"));
    }
    Ok(ids)
}

/// `POST /api/v1/file/move` `{fileIDs, toParentFileID}`.
pub async fn move_files(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = ids_of(&v)?;
    let to = int(&v, "toParentFileID").ok_or_else(|| general("toParentFileID不能为空"))?;
    let mut store = p.app.store();
    let dst = p
        .folder(&store, uid, to)
        .ok_or_else(|| general("目标目录不存在"))?;
    let mut nodes = Vec::new();
    for id in ids {
        let n = p.node(&store, uid, id).ok_or_else(not_found)?;
        if p.in_trash(&store, n) {
            return Err(not_found());
        }
        if store.is_within(dst, n) {
            return Err(general("不能将文件夹移动到自身或其子目录下"));
        }
        if store.node(n).parent == Some(dst) {
            continue;
        }
        if store.child(dst, &store.node(n).name).is_some() {
            return Err(general("目标目录有重名文件"));
        }
        nodes.push(n);
    }
    for n in nodes {
        store.reparent(n, dst, None);
    }
    ok(Value::Null)
}

/// `POST /api/v1/file/trash` `{fileIDs}`.
pub async fn trash(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = ids_of(&v)?;
    let mut store = p.app.store();
    let now = Utc::now();
    for id in ids {
        let Some(n) = p.node(&store, uid, id) else {
            continue;
        };
        if p.in_trash(&store, n) {
            continue;
        }
        let parent = store.node(n).parent.expect("not trashed");
        store.soft_delete(n, now);
        if let Some(x) = store.nodes.get_mut(&n) {
            x.metadata.insert("p123:parent".into(), parent.to_string());
        }
    }
    ok(Value::Null)
}

fn restore(store: &mut Store, n: Id, to: Id) {
    let name = store.display_name(store.node(n));
    let free = free_name(store, to, &name);
    store.reparent(n, to, Some(&free));
    if let Some(x) = store.nodes.get_mut(&n) {
        x.metadata.remove("p123:parent");
        x.metadata.remove("sys:restore_uri");
        x.metadata.remove("sys:expected_collect_time");
    }
}

/// A free name in `folder` for `name` (`a.txt` → `a(1).txt`, `a(2).txt`, …).
pub fn free_name(store: &Store, folder: Id, name: &str) -> String {
    if store.child(folder, name).is_none() {
        return name.to_string();
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s, format!(".{e}")),
        _ => (name, String::new()),
    };
    (1..)
        .map(|i| format!("{stem}({i}){ext}"))
        .find(|c| store.child(folder, c).is_none())
        .expect("a free name")
}

/// `POST /api/v1/file/recover` `{fileIDs}` → `{abnormalFileIDs}` (original folder gone).
pub async fn recover(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = ids_of(&v)?;
    let mut store = p.app.store();
    let mut abnormal = Vec::new();
    for id in ids {
        let Some(n) = p.node(&store, uid, id) else {
            continue;
        };
        if !store.node(n).trashed {
            continue;
        }
        let orig = store
            .node(n)
            .metadata
            .get("p123:parent")
            .and_then(|s| s.parse::<Id>().ok());
        let root = p.root(&store, uid);
        let target = orig.filter(|o| {
            *o == root
                || store
                    .nodes
                    .get(o)
                    .is_some_and(|x| x.is_folder() && x.parent.is_some() && !p.in_trash(&store, *o))
        });
        match target {
            Some(t) => restore(&mut store, n, t),
            None => abnormal.push(id),
        }
    }
    ok(json!({"abnormalFileIDs": abnormal}))
}

/// `POST /api/v1/file/recover/by_path` `{fileIDs, parentFileID}`.
pub async fn recover_by_path(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = ids_of(&v)?;
    let to = int(&v, "parentFileID").ok_or_else(|| general("parentFileID不能为空"))?;
    let mut store = p.app.store();
    let dst = p
        .folder(&store, uid, to)
        .ok_or_else(|| general("目标目录不存在"))?;
    for id in ids {
        if let Some(n) = p.node(&store, uid, id)
            && store.node(n).trashed
        {
            restore(&mut store, n, dst);
        }
    }
    ok(Value::Null)
}

/// `POST /api/v1/file/delete` `{fileIDs}`: only items already in the trash.
pub async fn delete(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = ids_of(&v)?;
    let garbage = {
        let mut store = p.app.store();
        let mut nodes = Vec::new();
        for id in ids {
            let Some(n) = p.node(&store, uid, id) else {
                continue;
            };
            if !p.in_trash(&store, n) {
                return Err(general("文件不在回收站中,请先删除至回收站"));
            }
            nodes.push(n);
        }
        let mut garbage = Vec::new();
        for n in nodes {
            if store.nodes.contains_key(&n) {
                garbage.extend(store.purge(n));
                if let Some(t) = store.trash.get_mut(&uid) {
                    t.retain(|_, v| *v != n);
                }
            }
        }
        garbage
    };
    p.app.collect_garbage(garbage);
    ok(Value::Null)
}

/// `GET /api/v1/file/download_info?fileId` → `{downloadUrl}` on the CDN (upload) host.
pub async fn download_info(State(p): State<P123>, Auth(uid): Auth, Query(q): Query) -> R {
    let id = int(&q, "fileId").ok_or_else(|| general("fileId不能为空"))?;
    let (blob, size, name) = {
        let store = p.app.store();
        let n = p.node(&store, uid, id).ok_or_else(not_found)?;
        let node = store.node(n);
        if node.is_folder() || p.in_trash(&store, n) {
            return Err(not_found());
        }
        let e = node
            .primary
            .and_then(|e| store.entities.get(&e))
            .ok_or_else(not_found)?;
        (e.blob.clone(), e.size, node.name.clone())
    };
    let token = rand_str(32);
    {
        let mut st = p.state();
        let quota = st.knobs.traffic_quota;
        let used = st.traffic.entry(uid).or_default();
        if quota > 0 && *used + size > quota {
            return Err(perr(5113, "流量不足,本日自用下载流量已用完"));
        }
        *used += size;
        let ttl = st.knobs.download_ttl;
        st.downloads.insert(
            token.clone(),
            DownloadLink {
                blob,
                size,
                name: name.clone(),
                expires: Utc::now() + chrono::Duration::from_std(ttl).unwrap_or_default(),
            },
        );
    }
    let enc: String =
        percent_encoding::utf8_percent_encode(&name, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    ok(json!({"downloadUrl": format!("{}/download/{token}/{enc}", p.upload_host())}))
}

/// `GET /download/{token}/{name}` on the CDN host: Range-aware, 403 once expired.
pub async fn serve_download(
    State(p): State<P123>,
    Path((token, _name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let link = p.state().downloads.get(&token).cloned();
    let Some(link) = link.filter(|l| l.expires > Utc::now()) else {
        return (
            StatusCode::FORBIDDEN,
            "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>",
        )
            .into_response();
    };
    let enc: String =
        percent_encoding::utf8_percent_encode(&link.name, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    crate::policies::blobserve::serve(
        p.app.blob_driver(&link.blob),
        &link.blob,
        link.size,
        &headers,
        Some(format!("attachment; filename*=UTF-8''{enc}")),
    )
    .await
}
