//! Shares: `POST /share` returning `<site>/s/<key>`, the expiry that only counts together
//! with a download limit, my shares (pages of 18), edit, delete, info and file downloads.

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::explorer::is_placeholder;
use super::{CurrentUser, J3, Login, Q3, R3, Session, V3, V3Ref, err, param_err};
use crate::envelope::Success;
use crate::ids::Kind;
use crate::store::Id;
use crate::timefmt::go_time;

/// One share link.
#[derive(Debug, Clone)]
pub struct Share {
    pub id: Id,
    pub owner: Id,
    pub source: Id,
    pub is_dir: bool,
    pub password: String,
    pub remain_downloads: i64,
    pub expires: Option<DateTime<Utc>>,
    pub preview: bool,
    pub downloads: i64,
    pub views: i64,
    pub created_at: DateTime<Utc>,
    /// Users (by id) whose download was already counted.
    pub counted: Vec<Id>,
}

impl Share {
    /// `IsAvailable`: downloads left, not expired.
    pub fn available(&self, now: DateTime<Utc>) -> bool {
        self.remain_downloads != 0 && self.expires.is_none_or(|e| now <= e)
    }
}

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(default)]
    id: String,
    #[serde(default)]
    is_dir: bool,
    #[serde(default)]
    password: String,
    #[serde(default)]
    downloads: i64,
    #[serde(default)]
    expire: i64,
    #[serde(default)]
    preview: bool,
}

/// `POST /share` `{id, is_dir, password, downloads, expire, preview}`
pub async fn create(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    headers: HeaderMap,
    J3(b): J3<CreateBody>,
) -> R3 {
    if b.id.is_empty() {
        return Err(param_err("SourceID cannot be empty"));
    }
    if b.password.chars().count() > 255 {
        return Err(param_err("Password too long"));
    }
    let kind = if b.is_dir { Kind::Folder } else { Kind::File };
    let raw = v3.app.ids.decode(kind, &b.id).ok_or_else(|| err(404, ""))?;
    {
        let store = v3.app.store();
        let found = if b.is_dir {
            v3.owned_folder(&store, uid, raw)
        } else {
            v3.owned_file(&store, uid, raw)
        };
        if found.is_none() {
            return Err(err(404, ""));
        }
    }
    let now = Utc::now();
    // The expiry only applies together with a download limit.
    let (remain, expires) = if b.downloads > 0 {
        (b.downloads, Some(now + chrono::Duration::seconds(b.expire)))
    } else {
        (-1, None)
    };
    let id = {
        let mut st = v3.state();
        let id = st.new_id();
        st.shares.insert(
            id,
            Share {
                id,
                owner: uid,
                source: raw,
                is_dir: b.is_dir,
                password: b.password,
                remain_downloads: remain,
                expires,
                preview: b.preview,
                downloads: 0,
                views: 0,
                created_at: now,
                counted: Vec::new(),
            },
        );
        id
    };
    let base = crate::routes::request_base(&headers, v3.app.policies.site_url());
    Ok(Success::data(format!(
        "{base}/s/{}",
        v3.app.ids.encode(Kind::Share, id)
    )))
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    page: u64,
    #[serde(default)]
    order_by: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    keywords: String,
}

impl V3 {
    fn source_json(&self, s: &Share) -> Value {
        let store = self.app.store();
        match store.nodes.get(&s.source) {
            Some(n) if n.is_folder() => json!({"name": n.name, "size": 0}),
            Some(n) => json!({"name": n.name, "size": n.size}),
            None => Value::Null,
        }
    }
}

/// `GET /share?page=&order_by=&order=&keywords=`: 18 per page.
pub async fn list_mine(State(v3): State<V3Ref>, Login(uid): Login, Q3(q): Q3<ListQuery>) -> R3 {
    if q.page < 1 {
        return Err(param_err("Page too short"));
    }
    if !matches!(q.order_by.as_str(), "created_at" | "downloads" | "views") {
        return Err(param_err("Parameter error"));
    }
    if !matches!(q.order.as_str(), "DESC" | "ASC") {
        return Err(param_err("Parameter error"));
    }
    let mut shares: Vec<Share> = v3
        .state()
        .shares
        .values()
        .filter(|s| s.owner == uid)
        .cloned()
        .collect();
    if !q.keywords.is_empty() {
        let store = v3.app.store();
        shares.retain(|s| {
            store
                .nodes
                .get(&s.source)
                .is_some_and(|n| n.name.contains(&q.keywords))
        });
    }
    shares.sort_by_key(|s| match q.order_by.as_str() {
        "downloads" => (s.downloads, s.id),
        "views" => (s.views, s.id),
        _ => (s.created_at.timestamp_nanos_opt().unwrap_or(0), s.id),
    });
    if q.order == "DESC" {
        shares.reverse();
    }
    let total = shares.len();
    let now = Utc::now();
    let items: Vec<Value> = shares
        .iter()
        .skip(((q.page - 1) * 18) as usize)
        .take(18)
        .map(|s| {
            let mut v = json!({
                "key": v3.app.ids.encode(Kind::Share, s.id),
                "is_dir": s.is_dir,
                "password": s.password,
                "create_date": go_time(s.created_at),
                "downloads": s.downloads,
                "remain_downloads": s.remain_downloads,
                "views": s.views,
                "expire": s.expires.map_or(-1, |e| e.timestamp() - now.timestamp()),
                "preview": s.preview,
            });
            let src = v3.source_json(s);
            if !src.is_null() {
                v["source"] = src;
            }
            v
        })
        .collect();
    Ok(Success::data(json!({"total": total, "items": items})))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    #[serde(default)]
    prop: String,
    #[serde(default)]
    value: String,
}

/// `PATCH /share/:id` `{prop: password|preview_enabled, value}`
pub async fn update(
    State(v3): State<V3Ref>,
    Login(uid): Login,
    Path(key): Path<String>,
    J3(b): J3<UpdateBody>,
) -> R3 {
    let now = Utc::now();
    let id = v3.app.ids.decode(Kind::Share, &key);
    {
        let st = v3.state();
        match id.and_then(|i| st.shares.get(&i)) {
            Some(s) if s.available(now) && s.owner == uid => {}
            _ => return Err(err(40058, "")),
        }
    }
    if b.prop.is_empty() {
        return Err(param_err("Prop cannot be empty"));
    }
    if !matches!(b.prop.as_str(), "password" | "preview_enabled") || b.value.len() > 255 {
        return Err(param_err("Parameter error"));
    }
    let mut st = v3.state();
    let s = st
        .shares
        .get_mut(&id.unwrap_or(0))
        .ok_or_else(|| err(40058, ""))?;
    if b.prop == "password" {
        s.password = b.value.clone();
        Ok(Success::data(b.value))
    } else {
        s.preview = b.value == "true";
        Ok(Success::data(s.preview))
    }
}

/// `DELETE /share/:id`
pub async fn delete(State(v3): State<V3Ref>, Login(uid): Login, Path(key): Path<String>) -> R3 {
    let id = v3.app.ids.decode(Kind::Share, &key).unwrap_or(0);
    let mut st = v3.state();
    match st.shares.get(&id) {
        Some(s) if s.owner == uid => {
            st.shares.remove(&id);
            Ok(Success::empty())
        }
        _ => Err(err(40058, "")),
    }
}

/// The available share behind `key`, or 40058.
fn available(v3: &V3, key: &str) -> Result<Share, super::E3> {
    let now = Utc::now();
    let id = v3.app.ids.decode(Kind::Share, key).unwrap_or(0);
    let s = v3
        .state()
        .shares
        .get(&id)
        .filter(|s| s.available(now))
        .cloned()
        .ok_or_else(|| err(40058, ""))?;
    let exists = v3.app.store().nodes.contains_key(&s.source);
    if !exists {
        return Err(err(40058, ""));
    }
    Ok(s)
}

#[derive(Deserialize)]
pub struct InfoQuery {
    #[serde(default)]
    password: String,
}

/// `GET /share/info/:id?password=`: unlocks a protected share for this session.
pub async fn info(
    State(v3): State<V3Ref>,
    session: Session,
    Path(key): Path<String>,
    Q3(q): Q3<InfoQuery>,
) -> R3 {
    let s = available(&v3, &key)?;
    let mut unlocked = s.password.is_empty() || session.get().unlocked_shares.contains(&s.id);
    if !unlocked && !q.password.is_empty() && q.password == s.password {
        unlocked = true;
        session.update(|d| d.unlocked_shares.push(s.id));
    }
    let (creator, nick) = {
        let store = v3.app.store();
        let u = &store.users[&s.owner];
        (v3.app.ids.encode(Kind::User, u.id), u.nickname.clone())
    };
    let mut v = json!({
        "key": key,
        "locked": !unlocked,
        "is_dir": false,
        "create_date": go_time(s.created_at),
        "downloads": 0,
        "views": 0,
        "expire": 0,
        "preview": false,
        "creator": {"key": creator, "nick": nick, "group_name": "User"},
    });
    if unlocked {
        let views = {
            let mut st = v3.state();
            st.shares.get_mut(&s.id).map_or(s.views, |x| {
                x.views += 1;
                x.views
            })
        };
        v["is_dir"] = json!(s.is_dir);
        v["downloads"] = json!(s.downloads);
        v["views"] = json!(views);
        v["preview"] = json!(s.preview);
        if let Some(e) = s.expires {
            v["expire"] = json!(e.timestamp() - Utc::now().timestamp());
        }
        v["source"] = v3.source_json(&s);
    }
    Ok(Success::data(v))
}

/// `PUT /share/download/:id`: a download URL of a shared file; counts one download per user.
pub async fn download(
    State(v3): State<V3Ref>,
    session: Session,
    user: CurrentUser,
    Path(key): Path<String>,
) -> R3 {
    let s = available(&v3, &key)?;
    if !s.password.is_empty() && !session.get().unlocked_shares.contains(&s.id) {
        return Err(err(403, "Share is locked"));
    }
    if s.is_dir {
        return Err(err(40016, "Object not exist"));
    }
    {
        let store = v3.app.store();
        if store.nodes.get(&s.source).is_none_or(is_placeholder) {
            return Err(err(40044, ""));
        }
    }
    // Each signed-in user counts once; anonymous visitors once per session.
    let who = user.0.unwrap_or(0);
    let first = if who == 0 {
        let seen = session.get().downloaded_shares.contains(&s.id);
        if !seen {
            session.update(|d| d.downloaded_shares.push(s.id));
        }
        !seen
    } else {
        !s.counted.contains(&who)
    };
    if first {
        let mut st = v3.state();
        if let Some(x) = st.shares.get_mut(&s.id) {
            x.downloads += 1;
            if x.remain_downloads > 0 {
                x.remain_downloads -= 1;
            }
            if who != 0 {
                x.counted.push(who);
            }
        }
    }
    Ok(Success::data(v3.download_url(s.source)?))
}
