//! Shares: create (expiry 1/7/30 days or 0 = permanent, `fileIDList` as a comma-separated
//! string), list with `lastShareId` paging, and traffic-setting updates.

use axum::extract::State;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    Auth, P123, Query, R, body_json, field, fmt_time, general, int, int_list, not_found, ok, string,
};
use crate::store::Id;

/// A share link.
#[derive(Debug, Clone)]
pub struct Share {
    pub id: u64,
    pub owner: Id,
    pub key: String,
    pub name: String,
    /// `None` = permanent.
    pub expiration: Option<DateTime<Utc>>,
    pub pwd: String,
    pub traffic_switch: i64,
    pub traffic_limit_switch: i64,
    pub traffic_limit: i64,
    pub files: Vec<Id>,
}

/// Expiry choices of `shareExpire` (days; 0 = permanent).
pub const EXPIRE_CHOICES: [i64; 4] = [1, 7, 30, 0];

/// `POST /api/v1/share/create` → `{shareID, shareKey}`.
pub async fn create(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let name = string(&v, "shareName").unwrap_or_default();
    if name.trim().is_empty() {
        return Err(general("shareName不能为空"));
    }
    let expire = int(&v, "shareExpire").ok_or_else(|| general("shareExpire不能为空"))?;
    if !EXPIRE_CHOICES.contains(&expire) {
        return Err(general("shareExpire只能是1、7、30或0(永久)"));
    }
    let list = match field(&v, "fileIDList") {
        Some(Value::String(s)) => s
            .split(',')
            .filter(|x| !x.trim().is_empty())
            .map(|x| {
                x.trim()
                    .parse::<i64>()
                    .map_err(|_| general("fileIDList格式错误"))
            })
            .collect::<Result<Vec<_>, _>>()?,
        _ => return Err(general("fileIDList必须是以逗号分隔的字符串")),
    };
    if list.is_empty() || list.len() > 100 {
        return Err(general("fileIDList为1到100个文件ID"));
    }
    let files = {
        let store = p.app.store();
        list.iter()
            .map(|i| {
                p.node(&store, uid, *i)
                    .filter(|n| !p.in_trash(&store, *n))
                    .ok_or_else(not_found)
            })
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut st = p.state();
    let id = st.new_id();
    let key = format!(
        "{}-{}",
        super::files::rand_key(5),
        super::files::rand_key(5)
    );
    let s = Share {
        id,
        owner: uid,
        key: key.clone(),
        name,
        expiration: (expire > 0).then(|| Utc::now() + chrono::Duration::days(expire)),
        pwd: string(&v, "sharePwd").unwrap_or_default(),
        traffic_switch: int(&v, "trafficSwitch").unwrap_or(1),
        traffic_limit_switch: int(&v, "trafficLimitSwitch").unwrap_or(1),
        traffic_limit: int(&v, "trafficLimit").unwrap_or(0),
        files,
    };
    st.shares.insert(id, s);
    ok(json!({"shareID": id, "shareKey": key}))
}

/// `GET /api/v1/share/list?limit&lastShareId` → `{lastShareId, shareList}`.
pub async fn list(State(p): State<P123>, Auth(uid): Auth, Query(q): Query) -> R {
    let limit = int(&q, "limit").ok_or_else(|| general("limit不能为空"))?;
    if !(1..=100).contains(&limit) {
        return Err(general("limit最大不能超过100"));
    }
    let last = int(&q, "lastShareId").unwrap_or(0).max(0) as u64;
    let st = p.state();
    let now = Utc::now();
    let rest: Vec<&Share> = st
        .shares
        .values()
        .filter(|s| s.owner == uid && s.id > last)
        .collect();
    let page: Vec<&Share> = rest.iter().take(limit as usize).copied().collect();
    let last_id = if rest.len() > page.len() {
        page.last().map_or(-1, |s| s.id as i64)
    } else {
        -1
    };
    let list: Vec<Value> = page
        .iter()
        .map(|s| {
            json!({
                "shareId": s.id,
                "shareKey": s.key,
                "shareName": s.name,
                "expiration": s.expiration.map_or("2099-12-12 08:00:00".to_string(), fmt_time),
                "expired": if s.expiration.is_some_and(|e| e <= now) { 1 } else { 0 },
                "sharePwd": s.pwd,
                "trafficSwitch": s.traffic_switch,
                "trafficLimitSwitch": s.traffic_limit_switch,
                "trafficLimit": s.traffic_limit,
                "bytesCharge": 0,
                "previewCount": 0,
                "downloadCount": 0,
                "saveCount": 0,
            })
        })
        .collect();
    ok(json!({"lastShareId": last_id, "shareList": list}))
}

/// `PUT /api/v1/share/list/info` `{shareIdList, trafficSwitch?, trafficLimitSwitch?,
/// trafficLimit?}`: only the traffic settings can change.
pub async fn update(State(p): State<P123>, Auth(uid): Auth, body: Bytes) -> R {
    let v = body_json(&body)?;
    let ids = int_list(&v, "shareIdList").ok_or_else(|| general("shareIdList不能为空"))?;
    let mut st = p.state();
    for id in ids {
        if let Some(s) = st.shares.get_mut(&(id as u64)).filter(|s| s.owner == uid) {
            if let Some(x) = int(&v, "trafficSwitch") {
                s.traffic_switch = x;
            }
            if let Some(x) = int(&v, "trafficLimitSwitch") {
                s.traffic_limit_switch = x;
            }
            if let Some(x) = int(&v, "trafficLimit") {
                s.traffic_limit = x;
            }
        }
    }
    ok(Value::Null)
}
