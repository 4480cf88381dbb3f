//! WebDAV accounts (`/webdav/accounts`): CRUD of the app passwords the `/dav` endpoint would
//! take. The records serialise like the gorm model (PascalCase keys, no JSON tags).

use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{J3, Login, R3, V3Ref, err, param_err, rand_string};
use crate::envelope::Success;
use crate::store::Id;
use crate::timefmt::go_time;

/// One WebDAV account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: u64,
    pub user: Id,
    pub name: String,
    pub password: String,
    pub root: String,
    pub readonly: bool,
    pub use_proxy: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Account {
    fn to_json(&self) -> Value {
        json!({
            "ID": self.id,
            "CreatedAt": go_time(self.created_at),
            "UpdatedAt": go_time(self.updated_at),
            "DeletedAt": null,
            "Name": self.name,
            "Password": self.password,
            "UserID": self.user,
            "Root": self.root,
            "Readonly": self.readonly,
            "UseProxy": self.use_proxy,
        })
    }
}

/// `GET /webdav/accounts`
pub async fn list(State(v3): State<V3Ref>, Login(uid): Login) -> R3 {
    let accounts: Vec<Value> = v3
        .state()
        .webdav
        .values()
        .filter(|a| a.user == uid)
        .map(Account::to_json)
        .collect();
    Ok(Success::data(json!({"accounts": accounts})))
}

#[derive(Deserialize)]
pub struct CreateBody {
    #[serde(default)]
    path: String,
    #[serde(default)]
    name: String,
}

/// `POST /webdav/accounts` `{path, name}` → `{id, password, created_at}`
pub async fn create(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<CreateBody>) -> R3 {
    if b.path.is_empty() {
        return Err(param_err("Path cannot be empty"));
    }
    if b.name.is_empty() {
        return Err(param_err("Name cannot be empty"));
    }
    if b.name.chars().count() > 255 {
        return Err(param_err("Name too long"));
    }
    let now = Utc::now();
    let mut st = v3.state();
    let id = st.new_id();
    let password = rand_string(32);
    st.webdav.insert(
        id,
        Account {
            id,
            user: uid,
            name: b.name,
            password: password.clone(),
            root: b.path,
            readonly: false,
            use_proxy: false,
            created_at: now,
            updated_at: now,
        },
    );
    Ok(Success::data(
        json!({"id": id, "password": password, "created_at": go_time(now)}),
    ))
}

#[derive(Deserialize)]
pub struct UpdateBody {
    #[serde(default)]
    id: u64,
    #[serde(default)]
    readonly: Option<bool>,
    #[serde(default)]
    use_proxy: Option<bool>,
}

/// `PATCH /webdav/accounts` `{id, readonly?, use_proxy?}` → the applied updates.
pub async fn update(State(v3): State<V3Ref>, Login(uid): Login, J3(b): J3<UpdateBody>) -> R3 {
    if b.id == 0 {
        return Err(param_err("ID cannot be empty"));
    }
    if b.readonly.is_none() && b.use_proxy.is_none() {
        return Err(param_err("Parameter error"));
    }
    let mut updates = Map::new();
    let mut st = v3.state();
    let acc = st.webdav.get_mut(&b.id).filter(|a| a.user == uid);
    if let Some(r) = b.readonly {
        updates.insert("readonly".into(), json!(r));
    }
    if let Some(p) = b.use_proxy {
        updates.insert("use_proxy".into(), json!(p));
    }
    // Unknown ids update nothing, silently.
    if let Some(a) = acc {
        a.readonly = b.readonly.unwrap_or(a.readonly);
        a.use_proxy = b.use_proxy.unwrap_or(a.use_proxy);
        a.updated_at = Utc::now();
    }
    Ok(Success::data(Value::Object(updates)))
}

/// `DELETE /webdav/accounts/:id`
pub async fn delete(State(v3): State<V3Ref>, Login(uid): Login, Path(id): Path<String>) -> R3 {
    let id: u64 = id.parse().map_err(|_| param_err("Parameter error"))?;
    if id == 0 {
        return Err(err(40001, "ID too short"));
    }
    let mut st = v3.state();
    if st.webdav.get(&id).is_some_and(|a| a.user == uid) {
        st.webdav.remove(&id);
    }
    Ok(Success::empty())
}
