//! Offline download: `POST /api/v1/offline/download` starts fetching a URL in the background;
//! `GET /api/v1/offline/download/process?taskID` reports `{process, status}` (0 running,
//! 1 failed, 2 done, 3 retrying).

use std::time::Duration;

use axum::extract::State;
use bytes::Bytes;
use chrono::Utc;
use futures::StreamExt;
use serde_json::json;

use super::files::free_name;
use super::{Auth, P123, Query, R, body_json, general, int, ok, string};
use crate::store::{Id, NodeKind};

/// Folder offline downloads land in without `dirID`.
pub const DEFAULT_DIR: &str = "来自:离线下载";

/// An offline download task.
#[derive(Debug, Clone)]
pub struct Task {
    pub owner: Id,
    pub url: String,
    /// 0–100.
    pub process: u32,
    pub status: u8,
    pub file: Option<Id>,
}

/// `POST /api/v1/offline/download` `{url, fileName?, dirID?, callBackUrl?}` → `{taskID}`.
pub async fn create(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let url = string(&v, "url").unwrap_or_default();
    let parsed = url::Url::parse(&url).map_err(|_| general("url不合法"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(general("仅支持http/https链接"));
    }
    let dir = int(&v, "dirID");
    let (folder, name) = {
        let mut store = p.app.store();
        let folder = match dir {
            Some(0) => return Err(general("不支持离线下载到根目录")),
            Some(d) => p
                .folder(&store, uid, d)
                .ok_or_else(|| general("目录不存在"))?,
            None => {
                let root = p.root(&store, uid);
                match store.child(root, DEFAULT_DIR) {
                    Some(f) if store.node(f).is_folder() => f,
                    _ => store.insert_node(uid, root, DEFAULT_DIR, NodeKind::Folder, Utc::now()),
                }
            }
        };
        let name = string(&v, "fileName")
            .filter(|s| !s.is_empty())
            .or_else(|| {
                parsed
                    .path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_string))
                    .filter(|s| !s.is_empty())
            })
            .unwrap_or_else(|| "download".into());
        super::files::legal_name(&name)?;
        (folder, name)
    };
    let callback = string(&v, "callBackUrl").filter(|s| !s.is_empty());
    let id = {
        let mut st = p.state();
        let id = st.new_id();
        st.offline.insert(
            id,
            Task {
                owner: uid,
                url: url.clone(),
                process: 0,
                status: 0,
                file: None,
            },
        );
        id
    };
    let p2 = p.clone();
    tokio::spawn(async move {
        let r = run(&p2, id, uid, &url, folder, &name).await;
        let (status, reason, file) = match r {
            Ok(f) => (0, String::new(), f),
            Err(e) => (1, e, 0),
        };
        if let Some(t) = p2.state().offline.get_mut(&id) {
            if status == 0 {
                t.status = 2;
                t.process = 100;
                t.file = Some(file);
            } else {
                t.status = 1;
                t.process = 0;
            }
        }
        if let Some(cb) = callback {
            let body = json!({"url": url, "status": status, "failReason": reason, "fileID": file});
            let _ = reqwest::Client::new().post(cb).json(&body).send().await;
        }
    });
    ok(json!({"taskID": id}))
}

async fn run(p: &P123, id: u64, uid: Id, url: &str, folder: Id, name: &str) -> Result<Id, String> {
    let resp = reqwest::get(url).await.map_err(|e| e.to_string())?;
    if !resp.status().is_success() {
        return Err(format!("HTTP {}", resp.status()));
    }
    let total = resp.content_length();
    let mut stream = resp.bytes_stream();
    let mut data = Vec::new();
    let delay = p.app.tasks.step_delay();
    while let Some(c) = stream.next().await {
        data.extend_from_slice(&c.map_err(|e| e.to_string())?);
        if let Some(t) = total.filter(|t| *t > 0) {
            let pct = ((data.len() as u64 * 100 / t) as u32).min(99);
            if let Some(x) = p.state().offline.get_mut(&id) {
                x.process = pct;
            }
        }
        if delay > Duration::ZERO {
            tokio::time::sleep(delay).await;
        }
    }
    if let Some(x) = p.state().offline.get_mut(&id) {
        x.process = x.process.clamp(50, 99);
    }
    if delay > Duration::ZERO {
        tokio::time::sleep(delay).await;
    }
    let blob = uuid::Uuid::new_v4().simple().to_string();
    let size = data.len() as u64;
    p.app
        .policy
        .driver
        .put(blob.clone(), Bytes::from(data.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let mut store = p.app.store();
    if !store.nodes.contains_key(&folder) {
        return Err("目录不存在".into());
    }
    let u = &store.users[&uid];
    if u.used + size > u.quota {
        return Err("空间不足".into());
    }
    let name = free_name(&store, folder, name);
    let file = store.insert_node(uid, folder, &name, NodeKind::File, Utc::now());
    let e = store.new_entity(file, size, blob, None, None, Utc::now());
    store.promote_entity(file, e);
    p.index_content(&mut store, file, &data);
    Ok(file)
}

/// `GET /api/v1/offline/download/process?taskID` → `{process, status}`.
pub async fn process(State(p): State<P123>, Auth(uid): Auth, Query(q): Query) -> R {
    let id = int(&q, "taskID").ok_or_else(|| general("taskID不能为空"))?;
    let st = p.state();
    let t = st
        .offline
        .get(&(id as u64))
        .filter(|t| t.owner == uid)
        .ok_or_else(|| general("任务不存在"))?;
    ok(json!({"process": t.process, "status": t.status}))
}
