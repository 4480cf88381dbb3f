//! Listing by path, folders, rename / move / copy / delete by hashid, properties, search and
//! empty files.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{
    E3, J3, Login, Q3, R3, V3, V3Ref, err, legal_name, object_not_exist, param_err, path_not_exist,
    split_path,
};
use crate::envelope::Success;
use crate::ids::Kind;
use crate::store::{Id, Node, NodeKind, Store};
use crate::timefmt::go_time;

/// Metadata key marking a placeholder written by an upload session (shared with v4).
pub const UPLOAD_META: &str = "sys:upload_session_id";

/// True for a file an upload session is still writing (hidden from listings).
pub fn is_placeholder(n: &Node) -> bool {
    n.metadata.contains_key(UPLOAD_META)
}

/// `ItemIDService`: hashids split into files (`items`) and folders (`dirs`).
#[derive(Deserialize, Default, Debug, Clone)]
pub struct ItemIds {
    #[serde(default)]
    pub items: Option<Vec<String>>,
    #[serde(default)]
    pub dirs: Option<Vec<String>>,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub unlink: bool,
}

impl ItemIds {
    /// Number of ids sent, decodable or not.
    pub fn count(&self) -> usize {
        self.items.as_ref().map_or(0, Vec::len) + self.dirs.as_ref().map_or(0, Vec::len)
    }

    /// Decoded ids `(files, folders)`; ids that fail to decode are dropped silently.
    pub fn raw(&self, v3: &V3) -> (Vec<Id>, Vec<Id>) {
        let dec = |v: &Option<Vec<String>>, k: Kind| -> Vec<Id> {
            v.iter()
                .flatten()
                .filter_map(|s| v3.app.ids.decode(k, s))
                .collect()
        };
        (dec(&self.items, Kind::File), dec(&self.dirs, Kind::Folder))
    }
}

impl V3 {
    /// `serializer.Object` of `n`, whose parent folder is at `parent_path`.
    pub fn object_json(&self, n: &Node, parent_path: &str) -> Value {
        let folder = n.is_folder();
        json!({
            "id": self.app.ids.encode(if folder { Kind::Folder } else { Kind::File }, n.id),
            "name": n.name,
            "path": parent_path,
            // `File.ShouldLoadThumb`: worth asking unless marked unavailable; never for empty files.
            "thumb": !folder && n.size != 0 && !n.metadata.contains_key(super::thumb::THUMB_STATUS),
            "size": if folder { 0 } else { n.size },
            "type": if folder { "dir" } else { "file" },
            "date": go_time(n.updated_at),
            "create_date": go_time(n.created_at),
            "source_enabled": !folder,
        })
    }

    /// A file of `uid` (not a folder; placeholders included).
    pub fn owned_file(&self, store: &Store, uid: Id, id: Id) -> Option<Id> {
        store
            .nodes
            .get(&id)
            .filter(|n| n.owner == uid && n.kind == NodeKind::File && !n.trashed)
            .map(|n| n.id)
    }

    /// A folder of `uid`.
    pub fn owned_folder(&self, store: &Store, uid: Id, id: Id) -> Option<Id> {
        store
            .nodes
            .get(&id)
            .filter(|n| n.owner == uid && n.kind == NodeKind::Folder && !n.trashed)
            .map(|n| n.id)
    }

    fn listing(&self, uid: Id, path: &str) -> R3 {
        let store = self.app.store();
        let folder = self
            .folder_at(&store, uid, path)
            .ok_or_else(path_not_exist)?;
        let parent_path = self.folder_path(&store, folder);
        let ch = &store.children[&folder];
        let mut objects = Vec::new();
        for id in ch.folders.values() {
            objects.push(self.object_json(store.node(*id), &parent_path));
        }
        for id in ch.files.values() {
            let n = store.node(*id);
            if !is_placeholder(n) {
                objects.push(self.object_json(n, &parent_path));
            }
        }
        let segs = split_path(&parent_path).unwrap_or_default();
        let policy = self.policy_for(&store, uid, &segs);
        Ok(Success::data(json!({
            "parent": self.app.ids.encode(Kind::Folder, folder),
            "objects": objects,
            "policy": self.policy_summary(policy),
        })))
    }
}

/// `GET /directory/` (the root)
pub async fn list_root(State(v3): State<V3Ref>, Login(uid): Login) -> R3 {
    v3.listing(uid, "/")
}

/// `GET /directory/*path`: the whole folder (no paging), placeholders hidden.
pub async fn list(State(v3): State<V3Ref>, Login(uid): Login, Path(p): Path<String>) -> R3 {
    v3.listing(uid, &format!("/{p}"))
}

#[derive(Deserialize)]
pub struct PathBody {
    #[serde(default)]
    path: String,
}

/// Create the folders of `path` (`CreateDirectory`): every level trimmed of trailing
/// spaces, existing folders reused.
pub fn create_directory(store: &mut Store, uid: Id, path: &str) -> Result<Id, E3> {
    let segs = match split_path(path) {
        Some(s) => s,
        None => return Err(err(40053, "Root protected")),
    };
    let now = chrono::Utc::now();
    let mut cur = store.users[&uid].root;
    for seg in segs {
        let name = seg.trim_end_matches(' ').to_string();
        if !legal_name(&name) {
            return Err(err(40052, "Invalid object name"));
        }
        let ch = &store.children[&cur];
        if ch.files.contains_key(&name) {
            return Err(err(40004, "Object existed"));
        }
        cur = match ch.folders.get(&name) {
            Some(f) => *f,
            None => store.insert_node(uid, cur, &name, NodeKind::Folder, now),
        };
    }
    Ok(cur)
}

/// `PUT /directory` `{path}`
pub async fn mkdir(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<PathBody>) -> R3 {
    if b.path.is_empty() {
        return Err(param_err("Path cannot be empty"));
    }
    let mut store = v3.app.store();
    create_directory(&mut store, uid, &b.path)?;
    Ok(Success::empty())
}

#[derive(Deserialize)]
pub struct RenameBody {
    #[serde(default)]
    src: ItemIds,
    #[serde(default)]
    new_name: String,
}

/// `POST /object/rename` `{src:{items|dirs}, new_name}`: one object.
pub async fn rename(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<RenameBody>) -> R3 {
    if b.new_name.is_empty() {
        return Err(param_err("NewName cannot be empty"));
    }
    if b.new_name.chars().count() > 255 {
        return Err(param_err("NewName too long"));
    }
    if b.src.count() > 1 {
        return Err(param_err("You can only copy one object at the same time"));
    }
    if !legal_name(&b.new_name) {
        return Err(err(40052, "Invalid object name"));
    }
    let (files, dirs) = b.src.raw(&v3);
    let mut store = v3.app.store();
    let id = if let Some(f) = files.first() {
        v3.owned_file(&store, uid, *f).ok_or_else(path_not_exist)?
    } else if let Some(d) = dirs.first() {
        v3.owned_folder(&store, uid, *d)
            .ok_or_else(path_not_exist)?
    } else {
        return Err(path_not_exist());
    };
    let n = store.node(id);
    // The root folder has no parent and cannot be renamed.
    let parent = n.parent.ok_or_else(path_not_exist)?;
    let ch = &store.children[&parent];
    let taken = if n.is_folder() {
        ch.folders.get(&b.new_name)
    } else {
        ch.files.get(&b.new_name)
    };
    match taken {
        Some(other) if *other != id => return Err(err(40004, "Object existed")),
        _ => {}
    }
    store.rename(id, &b.new_name);
    store.nodes.get_mut(&id).expect("node").updated_at = chrono::Utc::now();
    Ok(Success::empty())
}

#[derive(Deserialize)]
pub struct MoveBody {
    #[serde(default)]
    src_dir: String,
    #[serde(default)]
    src: ItemIds,
    #[serde(default)]
    dst: String,
}

fn check_move_body(b: &MoveBody) -> Result<(), E3> {
    if b.src_dir.is_empty() {
        return Err(param_err("SrcDir cannot be empty"));
    }
    if b.dst.is_empty() {
        return Err(param_err("Dst cannot be empty"));
    }
    Ok(())
}

/// `PATCH /object` `{src_dir, src, dst}`: objects not directly in `src_dir` are skipped.
pub async fn move_objects(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<MoveBody>) -> R3 {
    check_move_body(&b)?;
    let (files, dirs) = b.src.raw(&v3);
    let mut store = v3.app.store();
    let dst = v3.folder_at(&store, uid, &b.dst);
    let src = v3.folder_at(&store, uid, &b.src_dir);
    let (Some(dst), Some(src)) = (dst, src) else {
        return Err(path_not_exist());
    };
    if dirs.contains(&dst) {
        return Err(err(40004, "Object existed"));
    }
    let in_src = |store: &Store, id: Id, folder: bool| {
        store
            .nodes
            .get(&id)
            .is_some_and(|n| n.owner == uid && n.parent == Some(src) && n.is_folder() == folder)
    };
    let dirs: Vec<Id> = dirs
        .into_iter()
        .filter(|d| in_src(&store, *d, true))
        .collect();
    let files: Vec<Id> = files
        .into_iter()
        .filter(|f| in_src(&store, *f, false))
        .collect();
    if src == dst {
        return Ok(Success::empty());
    }
    // Each group moves in one statement: a clash moves none of it.
    for d in &dirs {
        if store.is_within(dst, *d)
            || store.children[&dst]
                .folders
                .contains_key(&store.node(*d).name)
        {
            return Err(err(40004, "Object existed"));
        }
    }
    for d in &dirs {
        store.reparent(*d, dst, None);
    }
    for f in &files {
        if store.children[&dst]
            .files
            .contains_key(&store.node(*f).name)
        {
            return Err(err(40004, "Object existed"));
        }
    }
    for f in &files {
        store.reparent(*f, dst, None);
    }
    Ok(Success::empty())
}

/// `POST /object/copy` `{src_dir, src, dst}`: exactly one object.
pub async fn copy(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<MoveBody>) -> R3 {
    check_move_body(&b)?;
    if b.src.count() > 1 {
        return Err(param_err("You can only copy one object at the same time"));
    }
    let (files, dirs) = b.src.raw(&v3);
    let mut store = v3.app.store();
    let dst = v3.folder_at(&store, uid, &b.dst);
    let src = v3.folder_at(&store, uid, &b.src_dir);
    let (Some(dst), Some(src)) = (dst, src) else {
        return Err(path_not_exist());
    };
    let now = chrono::Utc::now();
    let target = dirs
        .first()
        .map(|d| (*d, true))
        .or_else(|| files.first().map(|f| (*f, false)));
    let Some((id, folder)) = target else {
        return Ok(Success::empty());
    };
    let ok = store.nodes.get(&id).is_some_and(|n| {
        n.owner == uid && n.is_folder() == folder && (folder || n.parent == Some(src))
    });
    if !ok {
        return if folder {
            Err(object_not_exist())
        } else {
            Ok(Success::empty())
        };
    }
    let n = store.node(id);
    if !folder && is_placeholder(n) {
        // Files being uploaded are skipped.
        return Ok(Success::empty());
    }
    let ch = &store.children[&dst];
    let clash = if folder {
        ch.folders.contains_key(&n.name)
    } else {
        ch.files.contains_key(&n.name)
    };
    if clash || (folder && store.is_within(dst, id)) {
        return Err(object_not_exist());
    }
    store.copy_tree(id, dst, now).map_err(E3::from)?;
    Ok(Success::empty())
}

/// `DELETE /object` `{items, dirs, force, unlink}`: permanent; unknown ids are ignored.
pub async fn delete(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<ItemIds>) -> R3 {
    let (files, dirs) = b.raw(&v3);
    v3.delete_objects(uid, &files, &dirs).await;
    Ok(Success::empty())
}

impl V3 {
    /// Permanently delete files and folders of `uid` (and the shares of them).
    pub async fn delete_objects(&self, uid: Id, files: &[Id], dirs: &[Id]) {
        let mut garbage = Vec::new();
        let mut gone = Vec::new();
        let mut sessions = Vec::new();
        {
            let mut store = self.app.store();
            let targets: Vec<Id> = files
                .iter()
                .filter_map(|f| self.owned_file(&store, uid, *f))
                .chain(
                    dirs.iter()
                        .filter_map(|d| self.owned_folder(&store, uid, *d))
                        .filter(|d| store.node(*d).parent.is_some()),
                )
                .collect();
            for t in targets {
                if !store.nodes.contains_key(&t) {
                    continue;
                }
                let mut stack = vec![t];
                while let Some(c) = stack.pop() {
                    gone.push(c);
                    if let Some(ch) = store.children.get(&c) {
                        stack.extend(ch.folders.values().chain(ch.files.values()));
                    }
                }
                sessions.extend(
                    store
                        .uploads
                        .values()
                        .filter(|s| gone.contains(&s.file_id))
                        .map(|s| s.id.clone())
                        .collect::<Vec<_>>(),
                );
                garbage.extend(store.purge(t));
            }
        }
        self.state().shares.retain(|_, s| !gone.contains(&s.source));
        for s in sessions {
            crate::policies::cancel_upload(&self.app, &s).await;
        }
        self.app.collect_garbage(garbage);
    }
}

#[derive(Deserialize)]
pub struct PropertyQuery {
    #[serde(default)]
    trace_root: bool,
    #[serde(default)]
    is_folder: bool,
}

/// `GET /object/property/:id?trace_root=&is_folder=`
pub async fn property(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    Path(id): Path<String>,
    Q3(q): Q3<PropertyQuery>,
) -> R3 {
    let kind = if q.is_folder {
        Kind::Folder
    } else {
        Kind::File
    };
    let raw = v3.app.ids.decode(kind, &id).ok_or_else(|| err(404, ""))?;
    let store = v3.app.store();
    let found = if q.is_folder {
        v3.owned_folder(&store, uid, raw)
    } else {
        v3.owned_file(&store, uid, raw)
    };
    let id = found.ok_or_else(|| err(404, ""))?;
    let n = store.node(id);
    let (folders, files, size) = if n.is_folder() {
        let mut folders = 0;
        let mut files = 0;
        let mut stack = vec![id];
        while let Some(c) = stack.pop() {
            if let Some(ch) = store.children.get(&c) {
                folders += ch.folders.len();
                files += ch.files.len();
                stack.extend(ch.folders.values());
            }
        }
        (folders, files, store.tree_bytes(id))
    } else {
        (0, 0, n.size)
    };
    let path = match (q.trace_root, n.parent) {
        (true, Some(p)) => v3.folder_path(&store, p),
        _ => String::new(),
    };
    let segs = split_path(&v3.folder_path(&store, n.parent.unwrap_or(id))).unwrap_or_default();
    let policy = if n.is_folder() {
        String::new()
    } else {
        v3.policy_for(&store, uid, &segs).name.clone()
    };
    Ok(Success::data(json!({
        "created_at": go_time(n.created_at),
        "updated_at": go_time(n.updated_at),
        "policy": policy,
        "size": size,
        "child_folder_num": folders,
        "child_file_num": files,
        "path": path,
        "query_date": go_time(chrono::Utc::now()),
    })))
}

/// `POST /file/create` `{path}`: an empty file (parent folders are created).
pub async fn create_file(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<PathBody>) -> R3 {
    if b.path.is_empty() {
        return Err(param_err("Path cannot be empty"));
    }
    let (dir, name) = match b.path.rsplit_once('/') {
        Some((d, n)) => (if d.is_empty() { "/" } else { d }, n),
        None => return Err(err(40053, "Root protected")),
    };
    if !legal_name(name) {
        return Err(err(40052, "Invalid object name"));
    }
    let blob = uuid::Uuid::new_v4().simple().to_string();
    v3.app
        .policy
        .driver
        .put(blob.clone(), bytes::Bytes::new())
        .await
        .map_err(|_| err(50004, "Failed to read file data"))?;
    let mut store = v3.app.store();
    let parent = create_directory(&mut store, uid, dir)?;
    if let Some(f) = store.children[&parent].files.get(name) {
        return Err(if is_placeholder(store.node(*f)) {
            err(40054, "Upload session existed")
        } else {
            err(40004, "Object existed")
        });
    }
    let now = chrono::Utc::now();
    let file = store.insert_node(uid, parent, name, NodeKind::File, now);
    let e = store.new_entity(file, 0, blob, None, None, now);
    store.promote_entity(file, e);
    Ok(Success::empty())
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    path: String,
}

fn ext_list(ty: &str) -> Option<&'static [&'static str]> {
    Some(match ty {
        "image" => &[
            ".bmp", ".iff", ".png", ".gif", ".jpg", ".jpeg", ".psd", ".svg", ".webp",
        ],
        "video" => &[
            ".mp4", ".flv", ".avi", ".wmv", ".mkv", ".rm", ".rmvb", ".mov", ".ogv",
        ],
        "audio" => &[
            ".mp3", ".flac", ".ape", ".wav", ".acc", ".ogg", ".midi", ".mid",
        ],
        "doc" => &[
            ".txt", ".md", ".pdf", ".doc", ".docx", ".ppt", ".pptx", ".xls", ".xlsx", ".pub",
        ],
        _ => return None,
    })
}

/// `GET /file/search/:type/:keywords?path=`: files only, each with its folder's path.
pub async fn search(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    Path((ty, keywords)): Path<(String, String)>,
    Q3(q): Q3<SearchQuery>,
) -> R3 {
    let store = v3.app.store();
    let root = if q.path.is_empty() {
        store.users[&uid].root
    } else {
        v3.folder_at(&store, uid, &q.path)
            .ok_or_else(|| err(40016, ""))?
    };
    let kw = keywords.to_lowercase();
    let exts = ext_list(&ty);
    let matches = |name: &str| -> bool {
        let name = name.to_lowercase();
        match ty.as_str() {
            "keywords" => name.contains(&kw),
            _ => exts.is_some_and(|l| l.iter().any(|e| name.ends_with(e))),
        }
    };
    match ty.as_str() {
        "keywords" | "image" | "video" | "audio" | "doc" => {}
        "tag" => return Err(err(404, "")),
        _ => return Err(param_err("Unknown search type")),
    }
    let mut objects = Vec::new();
    let mut stack = vec![root];
    while let Some(f) = stack.pop() {
        let Some(ch) = store.children.get(&f) else {
            continue;
        };
        stack.extend(ch.folders.values());
        let mut parent_path = None;
        for id in ch.files.values() {
            let n = store.node(*id);
            if is_placeholder(n) || !matches(&n.name) {
                continue;
            }
            let p = parent_path.get_or_insert_with(|| v3.folder_path(&store, f));
            objects.push(v3.object_json(n, p));
        }
    }
    Ok(Success::data(json!({"parent": 0, "objects": objects})))
}
