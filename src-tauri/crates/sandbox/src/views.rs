//! JSON shapes of users and files as Cloudreve serialises them.

use serde_json::{Map, Value, json};

use crate::app::App;
use crate::ids::Kind;
use crate::store::{Id, Node, Store};
use crate::timefmt::{ZERO_TIME, go_time};
use crate::uri::{CrUri, Fs};

/// Navigator capability bitsets (§6.3).
pub const CAP_MY: &str = "w8edAQ==";
/// Trash navigator capabilities.
pub const CAP_TRASH: &str = "AMIK";
/// `shared_with_me` navigator capabilities.
pub const CAP_SHARED_WITH_ME: &str = "gAKA";

/// Permission bitset of the demo users' group: the default "User" group's bits 2 (share),
/// 7 (share_download) and 11 (redirected_source), plus 5 (archive_task) and 9
/// (remote_download), which the sandbox's task routes honour, so clients offer those actions.
const GROUP_USER_PERMISSION: &str = "pAo=";

impl App {
    /// Full `User` object of `/user/me` and login responses.
    pub fn user_json(&self, store: &Store, uid: Id) -> Value {
        let u = &store.users[&uid];
        json!({
            "id": self.ids.encode(Kind::User, u.id),
            "email": u.email,
            "nickname": u.nickname,
            "status": "active",
            "created_at": go_time(u.created_at),
            "language": "en-US",
            "group": {
                "id": self.ids.encode(Kind::Group, 2),
                "name": "User",
                "permission": GROUP_USER_PERMISSION,
                "direct_link_batch_size": 10,
                "trash_retention": crate::store::TRASH_RETENTION_SECS,
            },
        })
    }

    /// The anonymous user as shown in `/site/config/basic`.
    pub fn anonymous_user_json(&self) -> Value {
        json!({
            "id": "",
            "nickname": "",
            "created_at": ZERO_TIME,
            "anonymous": true,
            "group": {
                "id": self.ids.encode(Kind::Group, 3),
                "name": "Anonymous",
                "permission": "gg==",
            },
        })
    }

    /// A `FileResponse` for `n`, located at `path`. `with_metadata` mirrors whether the real
    /// endpoint eager-loads metadata (`{}` when empty) or not (`null`).
    pub fn file_json(&self, store: &Store, n: &Node, path: &CrUri, with_metadata: bool) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!(if n.is_folder() { 1 } else { 0 }));
        m.insert("id".into(), json!(self.ids.encode(Kind::File, n.id)));
        m.insert("name".into(), json!(store.display_name(n)));
        m.insert("created_at".into(), json!(go_time(n.created_at)));
        m.insert("updated_at".into(), json!(go_time(n.updated_at)));
        m.insert("size".into(), json!(n.size));
        m.insert(
            "metadata".into(),
            if with_metadata {
                json!(n.metadata)
            } else {
                Value::Null
            },
        );
        m.insert("path".into(), json!(path.to_string()));
        let cap = match path.fs {
            Fs::Trash => CAP_TRASH,
            Fs::SharedWithMe => CAP_SHARED_WITH_ME,
            _ => CAP_MY,
        };
        m.insert("capability".into(), json!(cap));
        m.insert("owned".into(), json!(true));
        m.insert(
            "primary_entity".into(),
            json!(self.ids.encode(Kind::Entity, n.primary.unwrap_or(0))),
        );
        Value::Object(m)
    }

    /// `FileResponse` at the node's own owner-view URI.
    pub fn file_json_at_home(&self, store: &Store, id: Id, with_metadata: bool) -> Value {
        let uri = store.uri_of(id);
        self.file_json(store, store.node(id), &uri, with_metadata)
    }

    /// The `StoragePolicy`-less extended info of a file.
    pub fn extended_info_json(&self, store: &Store, n: &Node) -> Value {
        let mut ents: Vec<&crate::store::Entity> = n
            .entities
            .iter()
            .filter_map(|e| store.entities.get(e))
            .collect();
        ents.sort_by_key(|e| std::cmp::Reverse(e.id));
        let entities: Vec<Value> = ents
            .iter()
            .map(|e| {
                let mut v = json!({
                    "id": self.ids.encode(Kind::Entity, e.id),
                    "size": e.size,
                    "type": 0,
                    "created_at": go_time(e.created_at),
                    "storage_policy": self.policy_json(),
                });
                if e.key.is_some() {
                    v["encrypted_with"] = json!("aes-256-ctr");
                }
                v
            })
            .collect();
        let used = store.tree_bytes(n.id);
        json!({
            "storage_policy": self.policy_json(),
            "storage_used": used,
            "entities": entities,
        })
    }
}
