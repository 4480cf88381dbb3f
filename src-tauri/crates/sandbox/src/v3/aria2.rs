//! Offline downloads (`/aria2/*`): each URL becomes a task fetched in the background (plain
//! HTTP(S), no aria2 daemon) into the destination folder, then listed as finished. Statuses
//! are 3.8.3's: 0 ready, 1 downloading, 3 error, 4 complete, 5 canceled.

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{J3, Login, Q3, R3, V3Ref, err, param_err};
use crate::envelope::Success;
use crate::store::{Id, NodeKind};
use crate::timefmt::go_time;

/// Status codes of `pkg/aria2/common`.
pub const READY: i32 = 0;
pub const DOWNLOADING: i32 = 1;
pub const ERROR: i32 = 3;
pub const COMPLETE: i32 = 4;
pub const CANCELED: i32 = 5;

/// One offline download task.
#[derive(Debug, Clone)]
pub struct Task {
    pub gid: String,
    pub user: Id,
    pub url: String,
    pub dst: String,
    pub name: String,
    pub status: i32,
    pub total: u64,
    pub downloaded: u64,
    pub error: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Offline tasks a user of the default group may run at once (`Aria2BatchSize`).
pub const BATCH: usize = 1;

#[derive(Deserialize)]
pub struct AddBody {
    #[serde(default)]
    url: Option<Vec<String>>,
    #[serde(default)]
    dst: String,
}

fn name_of(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or("");
    let last = path.rsplit('/').next().unwrap_or("");
    let name = percent_encoding::percent_decode_str(last)
        .decode_utf8_lossy()
        .to_string();
    if name.is_empty() || !super::legal_name(&name) {
        "download".to_string()
    } else {
        name
    }
}

/// `POST /aria2/url` `{url: [..], dst}` → one response envelope per URL.
pub async fn add_url(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<AddBody>) -> R3 {
    let Some(urls) = b.url else {
        return Err(param_err("URLs cannot be empty"));
    };
    if b.dst.is_empty() {
        return Err(param_err("Dst cannot be empty"));
    }
    if v3.folder_at(&v3.app.store(), uid, &b.dst).is_none() {
        return Err(err(40016, ""));
    }
    if urls.len() > BATCH {
        return Err(err(40015, ""));
    }
    let mut out = Vec::new();
    for url in urls {
        let now = Utc::now();
        let gid = {
            let mut st = v3.state();
            let active = st
                .aria2
                .values()
                .filter(|t| t.user == uid && matches!(t.status, READY | DOWNLOADING))
                .count();
            if active + 1 > BATCH {
                out.push(json!({"code": 40015, "msg": ""}));
                continue;
            }
            let gid = format!("{:016x}", rand::random::<u64>());
            st.aria2.insert(
                gid.clone(),
                Task {
                    gid: gid.clone(),
                    user: uid,
                    url: url.clone(),
                    dst: b.dst.clone(),
                    name: name_of(&url),
                    status: READY,
                    total: 0,
                    downloaded: 0,
                    error: String::new(),
                    created_at: now,
                    updated_at: now,
                },
            );
            gid
        };
        let v = v3.clone();
        tokio::spawn(async move { run(v, gid).await });
        out.push(json!({"code": 0, "msg": ""}));
    }
    Ok(Success::data(out))
}

async fn run(v3: V3Ref, gid: String) {
    let set = |f: &dyn Fn(&mut Task)| {
        if let Some(t) = v3.state().aria2.get_mut(&gid) {
            f(t);
            t.updated_at = Utc::now();
        }
    };
    let Some(task) = v3.state().aria2.get(&gid).cloned() else {
        return;
    };
    set(&|t| t.status = DOWNLOADING);
    let delay = v3.app.tasks.step_delay();
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let fetched = async {
        let r = v3.app.policies.http.get(&task.url).send().await?;
        let r = r.error_for_status()?;
        r.bytes().await
    }
    .await;
    if v3
        .state()
        .aria2
        .get(&gid)
        .is_none_or(|t| t.status == CANCELED)
    {
        return;
    }
    let data = match fetched {
        Ok(d) => d,
        Err(e) => {
            let msg = e.to_string();
            set(&|t| {
                t.status = ERROR;
                t.error = msg.clone();
            });
            return;
        }
    };
    let len = data.len() as u64;
    set(&|t| {
        t.total = len;
        t.downloaded = len;
    });
    let blob = uuid::Uuid::new_v4().simple().to_string();
    let stored = v3.app.policy.driver.put(blob.clone(), data).await;
    let placed = stored.is_ok() && {
        let mut store = v3.app.store();
        let now = Utc::now();
        match v3.folder_at(&store, task.user, &task.dst) {
            Some(folder) if !store.children[&folder].files.contains_key(&task.name) => {
                let u = &store.users[&task.user];
                if u.quota.saturating_sub(u.used) < len {
                    false
                } else {
                    let f = store.insert_node(task.user, folder, &task.name, NodeKind::File, now);
                    let e = store.new_entity(f, len, blob.clone(), None, None, now);
                    store.promote_entity(f, e);
                    true
                }
            }
            _ => false,
        }
    };
    if placed {
        set(&|t| t.status = COMPLETE);
    } else {
        v3.app.collect_garbage(vec![blob]);
        set(&|t| {
            t.status = ERROR;
            t.error = "Failed to transfer the file".into();
        });
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: u64,
}

fn tasks_of(v3: &V3Ref, uid: Id, statuses: &[i32], page: u64) -> Vec<Task> {
    let mut v: Vec<Task> = v3
        .state()
        .aria2
        .values()
        .filter(|t| t.user == uid && statuses.contains(&t.status))
        .cloned()
        .collect();
    v.sort_by_key(|t| std::cmp::Reverse(t.updated_at));
    v.into_iter()
        .skip((page.saturating_sub(1) * 10) as usize)
        .take(10)
        .collect()
}

fn file_info(t: &Task) -> Value {
    json!([{
        "index": "1",
        "path": format!("/{}", t.name),
        "length": t.total.to_string(),
        "completedLength": t.downloaded.to_string(),
        "selected": "true",
        "uris": [],
    }])
}

/// `GET /aria2/downloading?page=`
pub async fn downloading(State(v3): State<V3Ref>, Login(uid): Login, Q3(q): Q3<PageQuery>) -> R3 {
    let items: Vec<Value> = tasks_of(&v3, uid, &[READY, DOWNLOADING], q.page)
        .iter()
        .map(|t| {
            json!({
                "update": go_time(t.updated_at),
                "interval": 10,
                "name": t.name,
                "status": t.status,
                "dst": t.dst,
                "total": t.total,
                "downloaded": t.downloaded,
                "speed": 0,
                "info": {"gid": t.gid, "status": "active", "files": file_info(t)},
                "node": "Master (Local machine)",
            })
        })
        .collect();
    Ok(Success::data(items))
}

/// `GET /aria2/finished?page=`
pub async fn finished(State(v3): State<V3Ref>, Login(uid): Login, Q3(q): Q3<PageQuery>) -> R3 {
    let items: Vec<Value> = tasks_of(&v3, uid, &[ERROR, COMPLETE, CANCELED], q.page)
        .iter()
        .map(|t| {
            json!({
                "name": t.name,
                "gid": t.gid,
                "status": t.status,
                "dst": t.dst,
                "error": t.error,
                "total": t.total,
                "files": file_info(t),
                "task_status": if t.status == COMPLETE { 3 } else { 0 },
                "task_error": "",
                "create": go_time(t.created_at),
                "update": go_time(t.updated_at),
                "node": "Master (Local machine)",
            })
        })
        .collect();
    Ok(Success::data(items))
}

/// `DELETE /aria2/task/:gid`: cancels a running task, deletes a finished one.
pub async fn cancel(State(v3): State<V3Ref>, Login(uid): Login, Path(gid): Path<String>) -> R3 {
    let mut st = v3.state();
    let Some(t) = st.aria2.get_mut(&gid).filter(|t| t.user == uid) else {
        return Err(err(404, "Download record not found"));
    };
    if matches!(t.status, READY | DOWNLOADING) {
        t.status = CANCELED;
        t.updated_at = Utc::now();
    } else {
        st.aria2.remove(&gid);
    }
    Ok(Success::empty())
}
