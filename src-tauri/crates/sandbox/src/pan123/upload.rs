//! Uploads: `domain`, V2 `create` (instant upload on a known MD5 + size), slices on the
//! upload host, `upload_complete` polling, single-step upload and SHA-1 reuse.

use std::collections::BTreeSet;

use axum::extract::State;
use axum::http::HeaderMap;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use md5::Digest;
use serde_json::{Value, json};

use super::files::{free_name, legal_name};
use super::multipart;
use super::{
    Auth, CREATE_MAX, P123, PErr, Pan123, R, SINGLE_MAX, body_json, boolean, general, hex, int,
    md5_hex, ok, perr, string,
};
use crate::store::{Id, NodeKind, Store};

/// A V2 upload between `create` and a finished `upload_complete`.
#[derive(Debug, Clone)]
pub struct PreUpload {
    pub owner: Id,
    pub folder: Id,
    pub name: String,
    /// File replaced on completion (`duplicate: 2`).
    pub overwrite: Option<Id>,
    pub md5: String,
    pub size: u64,
    pub slice_size: u64,
    pub blob: String,
    pub received: BTreeSet<u64>,
    pub polls_left: u32,
    /// An `upload_complete` is checking the file right now; others asking meanwhile hear
    /// "still verifying" (one `preuploadID` makes one file, however often it is asked).
    pub verifying: bool,
    pub done: Option<Id>,
    pub expires: DateTime<Utc>,
}

impl PreUpload {
    fn slices(&self) -> u64 {
        self.size.div_ceil(self.slice_size)
    }
}

/// Where a new file goes, resolved from the common create fields.
pub struct Target {
    pub folder: Id,
    pub name: String,
    pub overwrite: Option<Id>,
}

/// Resolve `parentFileID` + `filename` (+ `containDir`) + `duplicate` to a target.
fn target(
    p: &Pan123,
    store: &mut Store,
    uid: Id,
    parent: i64,
    filename: &str,
    contain_dir: bool,
    duplicate: i64,
) -> Result<Target, PErr> {
    let mut folder = p
        .folder(store, uid, parent)
        .ok_or_else(|| general("父级目录不存在"))?;
    let name = if contain_dir {
        let segs: Vec<String> = filename
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let (name, dirs) = segs
            .split_last()
            .ok_or_else(|| general("filename不能为空"))?;
        for d in dirs {
            legal_name(d)?;
        }
        legal_name(name)?;
        folder = store
            .ensure_folders(uid, folder, dirs, Utc::now())
            .map_err(|_| general("路径中存在同名文件"))?;
        name.clone()
    } else {
        legal_name(filename)?;
        filename.to_string()
    };
    match store.child(folder, &name) {
        None => Ok(Target {
            folder,
            name,
            overwrite: None,
        }),
        Some(existing) => match duplicate {
            1 => Ok(Target {
                folder,
                name: free_name(store, folder, &name),
                overwrite: None,
            }),
            2 if !store.node(existing).is_folder() => Ok(Target {
                folder,
                name,
                overwrite: Some(existing),
            }),
            2 => Err(general("当前目录有同名文件夹")),
            _ => Err(general("当前目录有重名文件,请设置duplicate")),
        },
    }
}

/// Where the new file's bytes come from.
enum Source {
    /// Instant upload: share the entity of this file.
    Link(Id),
    /// A fresh blob of `size` bytes.
    Blob(String, u64),
}

/// Create the file node at `t` (dropping the overwritten file); returns its id and blobs to
/// delete.
fn finish(store: &mut Store, uid: Id, t: &Target, src: Source) -> Result<(Id, Vec<String>), PErr> {
    let now = Utc::now();
    let size = match &src {
        Source::Link(f) => store.node(*f).size,
        Source::Blob(_, s) => *s,
    };
    let old_bytes = t
        .overwrite
        .filter(|o| store.nodes.contains_key(o))
        .map_or(0, |o| store.node(o).size);
    {
        let u = &store.users[&uid];
        if u.used.saturating_sub(old_bytes) + size > u.quota {
            return Err(general("空间不足"));
        }
    }
    // Take the linked entity's reference before the overwritten file (which may be the very
    // source of an instant upload) is purged.
    let linked = match &src {
        Source::Link(f) => {
            let n = store.node(*f);
            let md5 = n.metadata.get("p123:md5").cloned();
            let sha1 = n.metadata.get("p123:sha1").cloned();
            let e = n.primary;
            if let Some(x) = e.and_then(|e| store.entities.get_mut(&e)) {
                x.refs += 1;
            }
            Some((e, md5, sha1))
        }
        Source::Blob(..) => None,
    };
    let mut garbage = Vec::new();
    if let Some(o) = t.overwrite
        && store.nodes.contains_key(&o)
        && store.node(o).parent == Some(t.folder)
    {
        garbage.extend(store.purge(o));
    }
    let name = free_name(store, t.folder, &t.name);
    let file = store.insert_node(uid, t.folder, &name, NodeKind::File, now);
    match src {
        Source::Link(_) => {
            let (entity, md5, sha1) = linked.expect("linked source");
            if let Some(e) = entity {
                store.charge(uid, size);
                let n = store.nodes.get_mut(&file).expect("new file");
                n.entities.push(e);
                n.primary = Some(e);
                n.size = size;
                if let Some(m) = md5 {
                    n.metadata.insert("p123:md5".into(), m);
                }
                if let Some(s) = sha1 {
                    n.metadata.insert("p123:sha1".into(), s);
                }
            }
        }
        Source::Blob(blob, size) => {
            let e = store.new_entity(file, size, blob, None, None, now);
            garbage.extend(store.promote_entity(file, e));
        }
    }
    Ok((file, garbage))
}

/// A file of the instant-upload index with this MD5 and size, if still stored.
fn known(p: &Pan123, store: &Store, md5: &str, size: u64) -> Option<Id> {
    let md5 = md5.to_ascii_lowercase();
    let usable = |n: &crate::store::Node| {
        n.primary.is_some()
            && n.size == size
            && n.metadata.get("p123:md5").map(String::as_str) == Some(md5.as_str())
    };
    let hit = p.state().by_md5.get(&(md5.clone(), size)).copied();
    if let Some(n) = hit.and_then(|f| store.nodes.get(&f)).filter(|n| usable(n)) {
        return Some(n.id);
    }
    // The indexed file is gone; any other stored copy will do.
    let f = store.nodes.values().find(|n| usable(n))?.id;
    p.state().by_md5.insert((md5, size), f);
    Some(f)
}

/// `GET /upload/v2/file/domain` → `[upload host]`.
pub async fn domain(State(p): State<P123>, Auth(_): Auth) -> R {
    ok(json!([p.upload_host()]))
}

fn is_md5(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST /upload/v2/file/create` → `{fileID, reuse, preuploadID, sliceSize, servers}`.
pub async fn create(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let parent = int(&v, "parentFileID").ok_or_else(|| general("parentFileID不能为空"))?;
    let filename = string(&v, "filename").unwrap_or_default();
    let etag = string(&v, "etag").unwrap_or_default().to_ascii_lowercase();
    if !is_md5(&etag) {
        return Err(general("etag必须是文件的MD5"));
    }
    let size = int(&v, "size").ok_or_else(|| general("size不能为空"))?;
    let size = u64::try_from(size).map_err(|_| general("size不合法"))?;
    if size > CREATE_MAX {
        return Err(general("文件大小超过10GB"));
    }
    let duplicate = int(&v, "duplicate").unwrap_or(0);
    let contain_dir = boolean(&v, "containDir").unwrap_or(false);
    let (resp, garbage, blob) = {
        let mut store = p.app.store();
        let t = target(
            &p,
            &mut store,
            uid,
            parent,
            &filename,
            contain_dir,
            duplicate,
        )?;
        if let Some(src) = known(&p, &store, &etag, size) {
            let (file, garbage) = finish(&mut store, uid, &t, Source::Link(src))?;
            p.state().stats.reused += 1;
            (
                json!({"fileID": file, "reuse": true, "preuploadID": "", "sliceSize": 0,
                    "servers": []}),
                garbage,
                None,
            )
        } else {
            let u = &store.users[&uid];
            if u.used + size > u.quota {
                return Err(general("空间不足"));
            }
            let mut st = p.state();
            let slice_size = st.knobs.slice_size;
            let polls_left = st.knobs.complete_polls;
            let id = format!("{}", uuid::Uuid::new_v4().simple());
            let blob = uuid::Uuid::new_v4().simple().to_string();
            st.preuploads.insert(
                id.clone(),
                PreUpload {
                    owner: uid,
                    folder: t.folder,
                    name: t.name,
                    overwrite: t.overwrite,
                    md5: etag,
                    size,
                    slice_size,
                    blob: blob.clone(),
                    received: BTreeSet::new(),
                    polls_left,
                    verifying: false,
                    done: None,
                    expires: Utc::now() + chrono::Duration::days(1),
                },
            );
            (
                json!({"fileID": 0, "reuse": false, "preuploadID": id, "sliceSize": slice_size,
                    "servers": [p.upload_host()]}),
                Vec::new(),
                Some(blob),
            )
        }
    };
    p.app.collect_garbage(garbage);
    if let Some(b) = blob {
        p.app
            .policy
            .driver
            .prepare(b, size)
            .await
            .map_err(|e| general(format!("内部错误: {e}")))?;
    }
    ok(resp)
}

/// `POST {upload host}/upload/v2/file/slice` (multipart: `preuploadID`, `sliceNo`,
/// `sliceMD5`, file part `slice`).
pub async fn slice(State(p): State<P123>, Auth(uid): Auth, headers: HeaderMap, body: Bytes) -> R {
    let form = multipart::parse(&headers, &body)
        .ok_or_else(|| general("请求必须是multipart/form-data"))?;
    let reject = |p: &Pan123, e: PErr| {
        p.state().stats.slices_rejected += 1;
        e
    };
    let id = form.field("preuploadID").unwrap_or_default().to_string();
    let no: u64 = form
        .field("sliceNo")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| reject(&p, general("sliceNo不合法")))?;
    let want_md5 = form
        .field("sliceMD5")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let data = form
        .files
        .get("slice")
        .cloned()
        .ok_or_else(|| reject(&p, general("slice不能为空")))?;
    let (offset, blob) = {
        let st = p.state();
        let u = st
            .preuploads
            .get(&id)
            .filter(|u| u.owner == uid && u.done.is_none())
            .ok_or_else(|| general("preuploadID不存在"))?;
        let n = u.slices();
        let expected = if no == n {
            u.size - (n - 1) * u.slice_size
        } else {
            u.slice_size
        };
        drop(st);
        if no == 0 || no > n {
            return Err(reject(&p, general("sliceNo超出范围(从1开始)")));
        }
        if data.len() as u64 != expected {
            return Err(reject(
                &p,
                general(format!("分片大小错误,应为{expected}字节")),
            ));
        }
        if md5_hex(&data) != want_md5 {
            return Err(reject(&p, general("分片MD5校验失败")));
        }
        let st = p.state();
        let u = &st.preuploads[&id];
        ((no - 1) * u.slice_size, u.blob.clone())
    };
    p.app
        .policy
        .driver
        .write_at(blob, offset, data)
        .await
        .map_err(|e| general(format!("内部错误: {e}")))?;
    let mut st = p.state();
    st.stats.slices += 1;
    if let Some(u) = st.preuploads.get_mut(&id) {
        u.received.insert(no);
    }
    ok(Value::Null)
}

async fn read_all(p: &Pan123, blob: &str, size: u64) -> std::io::Result<Vec<u8>> {
    let mut s = p
        .app
        .policy
        .driver
        .read_range(blob.to_string(), 0, size)
        .await?;
    let mut out = Vec::with_capacity(size as usize);
    while let Some(c) = s.next().await {
        out.extend_from_slice(&c?);
    }
    Ok(out)
}

/// `POST /upload/v2/file/upload_complete` `{preuploadID}` → `{completed, fileID}`; answers
/// "not yet" (alternately `completed:false` and code 20103) a few times first.
pub async fn complete(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let id = string(&v, "preuploadID").unwrap_or_default();
    let u = {
        let mut st = p.state();
        let u = st
            .preuploads
            .get_mut(&id)
            .filter(|u| u.owner == uid)
            .ok_or_else(|| general("preuploadID不存在"))?;
        if let Some(f) = u.done {
            return ok(json!({"completed": true, "fileID": f}));
        }
        let n = u.slices();
        if (1..=n).any(|i| !u.received.contains(&i)) {
            return Err(general("分片未全部上传"));
        }
        if u.polls_left > 0 {
            u.polls_left -= 1;
            let odd = u.polls_left % 2 == 1;
            st.stats.complete_pending += 1;
            return if odd {
                ok(json!({"completed": false, "fileID": 0}))
            } else {
                Err(perr(20103, "文件正在校验中,请间隔1秒后再试"))
            };
        }
        if u.verifying {
            st.stats.complete_pending += 1;
            return Err(perr(20103, "文件正在校验中,请间隔1秒后再试"));
        }
        u.verifying = true;
        u.clone()
    };
    let result = verify_and_finish(&p, uid, &id, &u).await;
    if result.is_err()
        && let Some(x) = p.state().preuploads.get_mut(&id)
    {
        x.verifying = false;
    }
    result
}

/// Checks the assembled slices against the MD5 given at create and makes the file.
async fn verify_and_finish(p: &P123, uid: Id, id: &str, u: &PreUpload) -> R {
    let data = read_all(p, &u.blob, u.size)
        .await
        .map_err(|e| general(format!("内部错误: {e}")))?;
    if md5_hex(&data) != u.md5 {
        p.state().preuploads.remove(id);
        p.app.collect_garbage(vec![u.blob.clone()]);
        return Err(general("文件MD5校验失败,请重新上传"));
    }
    let sha1 = hex(&sha1::Sha1::digest(&data));
    let (file, garbage) = {
        let mut store = p.app.store();
        if !store.nodes.contains_key(&u.folder) || p.in_trash(&store, u.folder) {
            return Err(general("父级目录不存在"));
        }
        let t = Target {
            folder: u.folder,
            name: u.name.clone(),
            overwrite: u.overwrite,
        };
        let (file, garbage) = finish(&mut store, uid, &t, Source::Blob(u.blob.clone(), u.size))?;
        p.index_hashes(&mut store, file, &u.md5, &sha1);
        if let Some(x) = p.state().preuploads.get_mut(id) {
            x.done = Some(file);
            x.verifying = false;
        }
        (file, garbage)
    };
    p.app.collect_garbage(garbage);
    ok(json!({"completed": true, "fileID": file}))
}

/// `POST {upload host}/upload/v2/file/single/create` (multipart: the create fields plus the
/// file part `file`) → `{fileID, completed}`.
pub async fn single(State(p): State<P123>, Auth(uid): Auth, headers: HeaderMap, body: Bytes) -> R {
    let form = multipart::parse(&headers, &body)
        .ok_or_else(|| general("请求必须是multipart/form-data"))?;
    let parent: i64 = form
        .field("parentFileID")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| general("parentFileID不能为空"))?;
    let filename = form.field("filename").unwrap_or_default().to_string();
    let etag = form.field("etag").unwrap_or_default().to_ascii_lowercase();
    if !is_md5(&etag) {
        return Err(general("etag必须是文件的MD5"));
    }
    let size: u64 = form
        .field("size")
        .and_then(|s| s.trim().parse().ok())
        .ok_or_else(|| general("size不能为空"))?;
    if size > SINGLE_MAX {
        return Err(general("单步上传文件大小不能超过1GB"));
    }
    let duplicate: i64 = form
        .field("duplicate")
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0);
    let contain_dir = form
        .field("containDir")
        .is_some_and(|s| s == "true" || s == "1");
    let data = form
        .files
        .get("file")
        .cloned()
        .ok_or_else(|| general("file不能为空"))?;
    let reused = {
        let mut store = p.app.store();
        let t = target(
            &p,
            &mut store,
            uid,
            parent,
            &filename,
            contain_dir,
            duplicate,
        )?;
        match known(&p, &store, &etag, size) {
            Some(src) => {
                let (file, garbage) = finish(&mut store, uid, &t, Source::Link(src))?;
                p.state().stats.reused += 1;
                Some((file, garbage))
            }
            None => None,
        }
    };
    if let Some((file, garbage)) = reused {
        p.app.collect_garbage(garbage);
        return ok(json!({"fileID": file, "completed": true}));
    }
    if data.len() as u64 != size {
        return Err(general("文件大小与size不一致"));
    }
    if md5_hex(&data) != etag {
        return Err(general("文件MD5校验失败"));
    }
    let sha1 = hex(&sha1::Sha1::digest(&data));
    let blob = uuid::Uuid::new_v4().simple().to_string();
    p.app
        .policy
        .driver
        .put(blob.clone(), data)
        .await
        .map_err(|e| general(format!("内部错误: {e}")))?;
    let (file, garbage) = {
        let mut store = p.app.store();
        let t = target(
            &p,
            &mut store,
            uid,
            parent,
            &filename,
            contain_dir,
            duplicate,
        )?;
        let (file, garbage) = finish(&mut store, uid, &t, Source::Blob(blob, size))?;
        p.index_hashes(&mut store, file, &etag, &sha1);
        (file, garbage)
    };
    p.app.collect_garbage(garbage);
    ok(json!({"fileID": file, "completed": true}))
}

/// `POST /upload/v2/file/sha1_reuse` `{parentFileID, filename, sha1, size, duplicate}` →
/// `{fileID, reuse}`.
pub async fn sha1_reuse(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let parent = int(&v, "parentFileID").ok_or_else(|| general("parentFileID不能为空"))?;
    let filename = string(&v, "filename").unwrap_or_default();
    let sha1 = string(&v, "sha1").unwrap_or_default().to_ascii_lowercase();
    let size = int(&v, "size")
        .and_then(|s| u64::try_from(s).ok())
        .ok_or_else(|| general("size不能为空"))?;
    let duplicate = int(&v, "duplicate").unwrap_or(0);
    let (file, garbage) = {
        let mut store = p.app.store();
        let src = p.state().by_sha1.get(&(sha1.clone(), size)).copied();
        let src = src.filter(|f| {
            store
                .nodes
                .get(f)
                .is_some_and(|n| n.primary.is_some() && n.metadata.get("p123:sha1") == Some(&sha1))
        });
        let Some(src) = src else {
            return ok(json!({"fileID": 0, "reuse": false}));
        };
        let t = target(&p, &mut store, uid, parent, &filename, false, duplicate)?;
        let r = finish(&mut store, uid, &t, Source::Link(src))?;
        p.state().stats.reused += 1;
        r
    };
    p.app.collect_garbage(garbage);
    ok(json!({"fileID": file, "reuse": true}))
}
