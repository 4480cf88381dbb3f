//! v3 WebDAV accounts (`/webdav/accounts`): Go's default field names (`ID`, `Name`, …) in
//! the list, `{id, password, created_at}` for a new one.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::provider::*;

use super::CloudreveV3;
use super::api::Body;
use super::refs::V3Ref;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AccountWire {
    #[serde(rename = "ID")]
    id: serde_json::Value,
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    root: String,
    #[serde(default)]
    readonly: bool,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize)]
struct ListWire {
    #[serde(default)]
    accounts: Vec<AccountWire>,
}

#[derive(Debug, Deserialize)]
struct CreatedWire {
    id: serde_json::Value,
    #[serde(default)]
    password: String,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
}

/// Go ids are numbers; keep them as text.
fn id_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl From<AccountWire> for WebDavAccount {
    fn from(w: AccountWire) -> Self {
        WebDavAccount {
            id: id_text(&w.id),
            name: w.name,
            password: w.password,
            root: w.root,
            readonly: w.readonly,
            created_at: w.created_at,
        }
    }
}

impl CloudreveV3 {
    pub(super) async fn list_webdav_impl(&self) -> Result<Vec<WebDavAccount>> {
        let l: ListWire = self
            .api
            .call(Method::GET, "webdav/accounts", Body::None)
            .await?;
        Ok(l.accounts.into_iter().map(Into::into).collect())
    }

    pub(super) async fn create_webdav_impl(
        &self,
        name: &str,
        root: &RemoteRef,
    ) -> Result<WebDavAccount> {
        if name.trim().is_empty() {
            return Err(Error::invalid("A WebDAV account needs a name."));
        }
        let r = V3Ref::parse(root)?;
        if r.kind == Some(EntryKind::File) {
            return Err(Error::invalid("A WebDAV account's root must be a folder."));
        }
        let c: CreatedWire = self
            .api
            .call(
                Method::POST,
                "webdav/accounts",
                Body::Json(json!({ "path": r.path, "name": name })),
            )
            .await?;
        Ok(WebDavAccount {
            id: id_text(&c.id),
            name: name.to_string(),
            password: c.password,
            root: r.path,
            readonly: false,
            created_at: c.created_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_decode_with_go_field_names() {
        let l: ListWire = serde_json::from_value(json!({"accounts": [{
            "ID": 3, "CreatedAt": "2023-10-07T12:00:00+08:00", "UpdatedAt": "2023-10-07T12:00:00+08:00",
            "DeletedAt": null, "Name": "phone", "Password": "pw", "UserID": 1, "Root": "/Photos",
            "Readonly": true, "UseProxy": false
        }], "folders": []}))
        .unwrap();
        let a: WebDavAccount = l.accounts.into_iter().next().unwrap().into();
        assert_eq!(
            (a.id.as_str(), a.name.as_str(), a.root.as_str()),
            ("3", "phone", "/Photos")
        );
        assert!(a.readonly);
        assert!(a.created_at.is_some());
    }
}
