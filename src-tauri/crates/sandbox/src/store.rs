//! In-memory metadata: users, the file tree, entities (blob versions), upload sessions and
//! session bookkeeping. Everything lives behind one lock held only for short, non-blocking
//! sections; blob I/O happens outside it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Bound;

use chrono::{DateTime, Utc};

use crate::crypto::EncryptionKey;
use crate::envelope::ApiError;
use crate::uri::{CrUri, Fs};

/// Numeric object id (shared sequence for all kinds).
pub type Id = u64;

/// Trash retention of the default user group (7 days).
pub const TRASH_RETENTION_SECS: i64 = 604_800;

/// A registered user.
pub struct User {
    pub id: Id,
    pub email: String,
    pub password: String,
    pub nickname: String,
    pub totp_secret: Option<String>,
    pub created_at: DateTime<Utc>,
    /// The user's root folder.
    pub root: Id,
    /// Bytes charged against the quota (stored and reserved entities).
    pub used: u64,
    pub quota: u64,
}

/// File or folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    File,
    Folder,
}

/// A file or folder row.
pub struct Node {
    pub id: Id,
    pub owner: Id,
    /// `None` for a user root and for top-level trash items.
    pub parent: Option<Id>,
    pub name: String,
    pub kind: NodeKind,
    pub size: u64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Public metadata.
    pub metadata: BTreeMap<String, String>,
    /// Current version entity, if any content was ever stored.
    pub primary: Option<Id>,
    /// All entities referenced by this file (current, pending uploads).
    pub entities: Vec<Id>,
    /// True for a top-level item in the trash.
    pub trashed: bool,
}

impl Node {
    /// True for folders.
    pub fn is_folder(&self) -> bool {
        self.kind == NodeKind::Folder
    }
}

/// Children of a folder, indexed by name so listings in name order are range scans.
#[derive(Default)]
pub struct Children {
    pub folders: BTreeMap<String, Id>,
    pub files: BTreeMap<String, Id>,
}

impl Children {
    fn get(&self, name: &str) -> Option<Id> {
        self.folders
            .get(name)
            .or_else(|| self.files.get(name))
            .copied()
    }
    fn len(&self) -> usize {
        self.folders.len() + self.files.len()
    }
}

/// One stored blob version.
pub struct Entity {
    pub id: Id,
    pub size: u64,
    /// Driver key of the blob.
    pub blob: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Id,
    /// Present when the blob is stored encrypted (AES-256-CTR).
    pub key: Option<EncryptionKey>,
    /// Number of files referencing this entity (copies share entities).
    pub refs: u32,
    /// Upload session writing this entity, while pending.
    pub pending_session: Option<String>,
}

/// A live upload session of the local policy.
pub struct UploadSession {
    pub id: String,
    pub owner: Id,
    pub file_id: Id,
    pub entity_id: Id,
    pub size: u64,
    pub chunk_size: u64,
    pub received: BTreeSet<u64>,
    pub expires_at: DateTime<Utc>,
    pub last_modified: Option<DateTime<Utc>>,
    pub metadata: BTreeMap<String, String>,
    /// The placeholder file was created by this session (cancel deletes it).
    pub new_file: bool,
    pub blob: String,
    pub lock_token: String,
    pub callback_secret: String,
}

impl UploadSession {
    /// Number of chunks needed to complete.
    pub fn chunk_count(&self) -> u64 {
        if self.size == 0 || self.chunk_size == 0 {
            1
        } else {
            self.size.div_ceil(self.chunk_size)
        }
    }
}

/// Listing order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    Name,
    Size,
    UpdatedAt,
    CreatedAt,
    Id,
}

impl OrderBy {
    /// Parse `order_by`; anything unknown orders by internal id like Cloudreve.
    pub fn parse(s: Option<&str>) -> OrderBy {
        match s {
            None | Some("") | Some("name") => OrderBy::Name,
            Some("size") => OrderBy::Size,
            Some("updated_at") => OrderBy::UpdatedAt,
            Some("created_at") => OrderBy::CreatedAt,
            Some(_) => OrderBy::Id,
        }
    }
}

/// Value an item is sorted by.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Str(String),
    Int(i64),
}

/// Position after which the next page starts.
#[derive(Debug, Clone)]
pub struct Cursor {
    pub key: SortKey,
    pub id: Id,
    pub is_file: bool,
}

/// Parsed search parameters (§5.3).
#[derive(Default, Debug)]
pub struct SearchSpec {
    pub names: Vec<String>,
    pub use_or: bool,
    pub case_folding: bool,
    /// `Some(None)` = a `type` value that matches nothing.
    pub kind: Option<Option<NodeKind>>,
    pub size: Option<(u64, u64)>,
    pub meta: Vec<(String, String, bool)>,
    pub created: Option<(i64, i64)>,
    pub updated: Option<(i64, i64)>,
}

/// Validate a new object name (1..255 bytes, no reserved characters, not `.`/`..`).
pub fn validate_name(name: &str) -> Result<(), ApiError> {
    if name.is_empty()
        || name.len() > 255
        || name == "."
        || name == ".."
        || name.contains(['\\', '/', ':', '*', '?', '"', '<', '>', '|'])
    {
        return Err(ApiError::illegal_name());
    }
    Ok(())
}

/// All sandbox metadata.
#[derive(Default)]
pub struct Store {
    /// Versions kept per file (Cloudreve's `version_retention_max`; 0 or 1 = retention off).
    pub max_versions: usize,
    pub users: HashMap<Id, User>,
    pub emails: HashMap<String, Id>,
    pub nodes: HashMap<Id, Node>,
    pub children: HashMap<Id, Children>,
    /// Top-level trash items per user, by internal (UUID) name.
    pub trash: HashMap<Id, BTreeMap<String, Id>>,
    pub entities: HashMap<Id, Entity>,
    pub uploads: HashMap<String, UploadSession>,
    /// Pending 2FA logins: session id → (user, expiry).
    pub two_fa: HashMap<String, (Id, DateTime<Utc>)>,
    /// Revoked refresh-token families (root token ids).
    pub revoked_families: HashSet<String>,
    /// Captcha tickets → answers.
    pub captchas: HashMap<String, String>,
    /// Share links by id.
    pub shares: BTreeMap<Id, crate::routes::share::Share>,
    /// Chunk bytes stored through the chunk endpoint per upload session, re-sends included
    /// and kept after the session ends, so tests can tell how much a client sent twice.
    pub received_chunk_bytes: HashMap<String, u64>,
    next_id: Id,
}

impl Store {
    /// Allocate a fresh id (ids start at 1; 0 means "none" in Cloudreve's encodings).
    pub fn new_id(&mut self) -> Id {
        self.next_id += 1;
        self.next_id
    }

    /// Register a user with an empty root folder.
    pub fn add_user(
        &mut self,
        email: &str,
        password: &str,
        totp: Option<&str>,
        quota: u64,
        now: DateTime<Utc>,
    ) -> Id {
        let email = email.to_lowercase();
        if let Some(id) = self.emails.get(&email) {
            return *id;
        }
        let id = self.new_id();
        let root = self.new_id();
        self.nodes.insert(
            root,
            Node {
                id: root,
                owner: id,
                parent: None,
                name: String::new(),
                kind: NodeKind::Folder,
                size: 0,
                created_at: now,
                updated_at: now,
                metadata: BTreeMap::new(),
                primary: None,
                entities: Vec::new(),
                trashed: false,
            },
        );
        self.children.insert(root, Children::default());
        let nickname = email.split('@').next().unwrap_or("").to_string();
        self.users.insert(
            id,
            User {
                id,
                email: email.clone(),
                password: password.to_string(),
                nickname,
                totp_secret: totp.map(str::to_string),
                created_at: now,
                root,
                used: 0,
                quota,
            },
        );
        self.emails.insert(email, id);
        id
    }

    /// Look a user up by e-mail (case-insensitive).
    pub fn user_by_email(&self, email: &str) -> Option<&User> {
        self.emails
            .get(&email.to_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// The node with `id` (must exist).
    pub fn node(&self, id: Id) -> &Node {
        &self.nodes[&id]
    }

    /// Child `name` of folder `parent`.
    pub fn child(&self, parent: Id, name: &str) -> Option<Id> {
        self.children.get(&parent).and_then(|c| c.get(name))
    }

    /// Number of direct children of a folder.
    pub fn child_count(&self, parent: Id) -> usize {
        self.children.get(&parent).map_or(0, Children::len)
    }

    /// Walk `segments` from folder `from`; every missing step or a file in the middle is
    /// "Path not exist".
    pub fn walk(&self, from: Id, segments: &[String]) -> Result<Id, ApiError> {
        let mut cur = from;
        for seg in segments {
            if !self.node(cur).is_folder() {
                return Err(ApiError::path_not_exist());
            }
            cur = self.child(cur, seg).ok_or_else(ApiError::path_not_exist)?;
        }
        Ok(cur)
    }

    /// Resolve a `my`/`trash` URI for `user` to a node. The trash root has no node (`None`).
    pub fn resolve(&self, user: Id, uri: &CrUri) -> Result<Option<Id>, ApiError> {
        match uri.fs {
            Fs::My => {
                let root = self.users[&user].root;
                self.walk(root, &uri.segments).map(Some)
            }
            Fs::Trash => {
                if uri.segments.is_empty() {
                    return Ok(None);
                }
                if uri.segments.len() > 1 {
                    return Err(ApiError::path_not_exist());
                }
                self.trash
                    .get(&user)
                    .and_then(|t| t.get(&uri.segments[0]))
                    .copied()
                    .map(Some)
                    .ok_or_else(ApiError::path_not_exist)
            }
            _ => Err(ApiError::path_not_exist()),
        }
    }

    /// The owner-view URI of a node (`cloudreve://my/...` or `cloudreve://trash/<uuid>/...`).
    pub fn uri_of(&self, id: Id) -> CrUri {
        let mut segs = Vec::new();
        let mut cur = self.node(id);
        loop {
            match cur.parent {
                Some(p) => {
                    segs.push(cur.name.clone());
                    cur = self.node(p);
                }
                None => {
                    if cur.trashed {
                        segs.push(cur.name.clone());
                        segs.reverse();
                        return CrUri::new(Fs::Trash, segs);
                    }
                    segs.reverse();
                    return CrUri::new(Fs::My, segs);
                }
            }
        }
    }

    /// True when `maybe_desc` is `ancestor` or below it.
    pub fn is_within(&self, maybe_desc: Id, ancestor: Id) -> bool {
        let mut cur = Some(maybe_desc);
        while let Some(c) = cur {
            if c == ancestor {
                return true;
            }
            cur = self.node(c).parent;
        }
        false
    }

    fn index_child(&mut self, parent: Id, id: Id) {
        let n = &self.nodes[&id];
        let (name, folder) = (n.name.clone(), n.is_folder());
        let ch = self.children.entry(parent).or_default();
        if folder {
            ch.folders.insert(name, id);
        } else {
            ch.files.insert(name, id);
        }
    }

    fn unindex_child(&mut self, id: Id) {
        let n = &self.nodes[&id];
        let (name, folder, parent, owner, trashed) =
            (n.name.clone(), n.is_folder(), n.parent, n.owner, n.trashed);
        if let Some(p) = parent {
            if let Some(ch) = self.children.get_mut(&p) {
                if folder {
                    ch.folders.remove(&name);
                } else {
                    ch.files.remove(&name);
                }
            }
        } else if trashed && let Some(t) = self.trash.get_mut(&owner) {
            t.remove(&name);
        }
    }

    /// Insert a new node under `parent` (caller checked the name is free).
    pub fn insert_node(
        &mut self,
        owner: Id,
        parent: Id,
        name: &str,
        kind: NodeKind,
        now: DateTime<Utc>,
    ) -> Id {
        let id = self.new_id();
        self.nodes.insert(
            id,
            Node {
                id,
                owner,
                parent: Some(parent),
                name: name.to_string(),
                kind,
                size: 0,
                created_at: now,
                updated_at: now,
                metadata: BTreeMap::new(),
                primary: None,
                entities: Vec::new(),
                trashed: false,
            },
        );
        if kind == NodeKind::Folder {
            self.children.insert(id, Children::default());
        }
        self.index_child(parent, id);
        id
    }

    /// Walk `segments` from `from`, creating missing folders.
    pub fn ensure_folders(
        &mut self,
        owner: Id,
        from: Id,
        segments: &[String],
        now: DateTime<Utc>,
    ) -> Result<Id, ApiError> {
        let mut cur = from;
        for seg in segments {
            cur = match self.child(cur, seg) {
                Some(c) if self.node(c).is_folder() => c,
                Some(_) => return Err(ApiError::object_existed()),
                None => {
                    validate_name(seg)?;
                    self.insert_node(owner, cur, seg, NodeKind::Folder, now)
                }
            };
        }
        Ok(cur)
    }

    /// Rename in place (caller validated).
    pub fn rename(&mut self, id: Id, new_name: &str) {
        self.unindex_child(id);
        let n = self.nodes.get_mut(&id).expect("node");
        n.name = new_name.to_string();
        let (parent, trashed, owner) = (n.parent, n.trashed, n.owner);
        if let Some(p) = parent {
            self.index_child(p, id);
        } else if trashed {
            self.trash
                .entry(owner)
                .or_default()
                .insert(new_name.to_string(), id);
        }
    }

    /// Move a node under another folder, optionally renaming it.
    pub fn reparent(&mut self, id: Id, new_parent: Id, new_name: Option<&str>) {
        self.unindex_child(id);
        let n = self.nodes.get_mut(&id).expect("node");
        n.parent = Some(new_parent);
        n.trashed = false;
        if let Some(nm) = new_name {
            n.name = nm.to_string();
        }
        self.index_child(new_parent, id);
    }

    /// Soft-delete: rename to a UUID, detach into the owner's trash, record how to restore.
    pub fn soft_delete(&mut self, id: Id, now: DateTime<Utc>) {
        let restore_uri = self.uri_of(id).to_string();
        self.unindex_child(id);
        let uuid = uuid::Uuid::new_v4().to_string();
        let n = self.nodes.get_mut(&id).expect("node");
        n.parent = None;
        n.trashed = true;
        n.name = uuid.clone();
        n.metadata.insert("sys:restore_uri".into(), restore_uri);
        n.metadata.insert(
            "sys:expected_collect_time".into(),
            (now.timestamp() + TRASH_RETENTION_SECS).to_string(),
        );
        let owner = n.owner;
        self.trash.entry(owner).or_default().insert(uuid, id);
    }

    /// Display name of a node (trash items show their original name).
    pub fn display_name(&self, n: &Node) -> String {
        if n.trashed
            && let Some(r) = n.metadata.get("sys:restore_uri")
            && let Ok(u) = CrUri::parse(r)
        {
            return u.name().to_string();
        }
        n.name.clone()
    }

    /// Charge `bytes` to a user; false (and nothing charged) when over quota.
    pub fn charge(&mut self, user: Id, bytes: u64) -> bool {
        let u = self.users.get_mut(&user).expect("user");
        if u.used.saturating_add(bytes) > u.quota {
            return false;
        }
        u.used += bytes;
        true
    }

    fn refund(&mut self, user: Id, bytes: u64) {
        if let Some(u) = self.users.get_mut(&user) {
            u.used = u.used.saturating_sub(bytes);
        }
    }

    /// Create an entity owned by `file` and charge it (caller checked quota).
    pub fn new_entity(
        &mut self,
        file: Id,
        size: u64,
        blob: String,
        key: Option<EncryptionKey>,
        pending: Option<String>,
        now: DateTime<Utc>,
    ) -> Id {
        let id = self.new_id();
        let owner = self.node(file).owner;
        self.entities.insert(
            id,
            Entity {
                id,
                size,
                blob,
                created_at: now,
                created_by: owner,
                key,
                refs: 1,
                pending_session: pending,
            },
        );
        self.nodes.get_mut(&file).expect("file").entities.push(id);
        if let Some(u) = self.users.get_mut(&owner) {
            u.used += size;
        }
        id
    }

    /// Drop one reference of `file` to `entity`; returns the blob key when it became unused.
    pub fn release_entity(&mut self, file: Id, entity: Id) -> Option<String> {
        let owner = {
            let n = self.nodes.get_mut(&file)?;
            n.entities.retain(|e| *e != entity);
            if n.primary == Some(entity) {
                n.primary = None;
            }
            n.owner
        };
        let e = self.entities.get_mut(&entity)?;
        e.refs = e.refs.saturating_sub(1);
        let size = e.size;
        let gone = e.refs == 0;
        self.refund(owner, size);
        if gone {
            return self.entities.remove(&entity).map(|e| e.blob);
        }
        None
    }

    /// Make the new `entity` the current version of `file`, dropping the oldest stored
    /// versions beyond [`Store::max_versions`] (by default only one is kept). Returns blobs
    /// to delete.
    pub fn promote_entity(&mut self, file: Id, entity: Id) -> Vec<String> {
        let mut others: Vec<Id> = self
            .node(file)
            .entities
            .iter()
            .copied()
            .filter(|e| {
                *e != entity
                    && self
                        .entities
                        .get(e)
                        .is_some_and(|x| x.pending_session.is_none())
            })
            .collect();
        // Entity ids grow with time: the newest older versions survive.
        others.sort_unstable_by(|a, b| b.cmp(a));
        let keep = self.max_versions.max(1) - 1;
        let mut garbage = Vec::new();
        for e in others.into_iter().skip(keep) {
            garbage.extend(self.release_entity(file, e));
        }
        let size = self.entities.get_mut(&entity).map_or(0, |e| {
            e.pending_session = None;
            e.size
        });
        let n = self.nodes.get_mut(&file).expect("file");
        n.primary = Some(entity);
        n.size = size;
        garbage
    }

    /// Permanently delete a node and everything below it; returns blobs to delete.
    pub fn purge(&mut self, id: Id) -> Vec<String> {
        let mut garbage = Vec::new();
        self.unindex_child(id);
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            if let Some(ch) = self.children.remove(&cur) {
                stack.extend(ch.folders.values().copied());
                stack.extend(ch.files.values().copied());
            }
            let ents = self
                .nodes
                .get(&cur)
                .map(|n| n.entities.clone())
                .unwrap_or_default();
            for e in ents {
                garbage.extend(self.release_entity(cur, e));
            }
            self.uploads.retain(|_, s| s.file_id != cur);
            self.nodes.remove(&cur);
        }
        garbage
    }

    /// Deep-copy `src` under `dst` (entities are shared, the copy is charged to quota).
    pub fn copy_tree(&mut self, src: Id, dst: Id, now: DateTime<Utc>) -> Result<Id, ApiError> {
        let (owner, name, kind, size, created, updated, meta, primary, ents) = {
            let n = self.node(src);
            let ents: Vec<Id> = n
                .entities
                .iter()
                .copied()
                .filter(|e| {
                    self.entities
                        .get(e)
                        .is_some_and(|x| x.pending_session.is_none())
                })
                .collect();
            (
                n.owner,
                self.display_name(n),
                n.kind,
                n.size,
                n.created_at,
                n.updated_at,
                n.metadata.clone(),
                n.primary,
                ents,
            )
        };
        let bytes: u64 = ents.iter().map(|e| self.entities[e].size).sum();
        if !self.charge(owner, bytes) {
            return Err(ApiError::insufficient_capacity());
        }
        let id = self.insert_node(owner, dst, &name, kind, now);
        {
            let n = self.nodes.get_mut(&id).expect("copy");
            n.size = size;
            n.created_at = created;
            n.updated_at = updated;
            n.metadata = meta;
            n.metadata.remove("sys:upload_session_id");
            n.primary = primary;
            n.entities = ents.clone();
        }
        for e in ents {
            if let Some(x) = self.entities.get_mut(&e) {
                x.refs += 1;
            }
        }
        if kind == NodeKind::Folder {
            let kids: Vec<Id> = self.children[&src]
                .folders
                .values()
                .chain(self.children[&src].files.values())
                .copied()
                .collect();
            for k in kids {
                self.copy_tree(k, id, now)?;
            }
        }
        Ok(id)
    }

    /// Total bytes of stored entities below (and including) a node.
    pub fn tree_bytes(&self, id: Id) -> u64 {
        let mut total = 0;
        let mut stack = vec![id];
        while let Some(cur) = stack.pop() {
            if let Some(ch) = self.children.get(&cur) {
                stack.extend(ch.folders.values().copied());
                stack.extend(ch.files.values().copied());
            }
            if let Some(n) = self.nodes.get(&cur) {
                total += n
                    .entities
                    .iter()
                    .filter_map(|e| self.entities.get(e))
                    .filter(|e| e.pending_session.is_none())
                    .map(|e| e.size)
                    .sum::<u64>();
            }
        }
        total
    }

    /// Active (unexpired) upload session holding a lock on `file`.
    pub fn lock_of(&self, file: Id, now: DateTime<Utc>) -> Option<&UploadSession> {
        self.uploads
            .values()
            .find(|s| s.file_id == file && s.expires_at > now)
    }

    /// Drop expired upload sessions (their placeholders stay, like the real server's).
    pub fn sweep_uploads(&mut self, now: DateTime<Utc>) {
        self.uploads.retain(|_, s| s.expires_at > now);
    }

    fn sort_key(&self, n: &Node, ob: OrderBy) -> SortKey {
        match ob {
            OrderBy::Name => SortKey::Str(self.display_name(n)),
            OrderBy::Size => SortKey::Int(n.size as i64),
            OrderBy::UpdatedAt => SortKey::Int(n.updated_at.timestamp_nanos_opt().unwrap_or(0)),
            OrderBy::CreatedAt => SortKey::Int(n.created_at.timestamp_nanos_opt().unwrap_or(0)),
            OrderBy::Id => SortKey::Int(0),
        }
    }

    /// The sort key of `id` under `ob` (for building cursors).
    pub fn key_of(&self, id: Id, ob: OrderBy) -> SortKey {
        self.sort_key(self.node(id), ob)
    }

    fn take_group(
        &self,
        map: &BTreeMap<String, Id>,
        ob: OrderBy,
        desc: bool,
        after: Option<&Cursor>,
        n: usize,
        out: &mut Vec<Id>,
    ) {
        if n == 0 {
            return;
        }
        if ob == OrderBy::Name && !map.values().next().is_some_and(|id| self.node(*id).trashed) {
            // Names are unique per folder, so the name index is the order.
            let after_name = match after {
                Some(Cursor {
                    key: SortKey::Str(s),
                    ..
                }) => Some(s.as_str()),
                _ => None,
            };
            let range = match (after_name, desc) {
                (None, _) => map.range::<str, _>((Bound::Unbounded, Bound::Unbounded)),
                (Some(s), false) => map.range::<str, _>((Bound::Excluded(s), Bound::Unbounded)),
                (Some(s), true) => map.range::<str, _>((Bound::Unbounded, Bound::Excluded(s))),
            };
            if desc {
                out.extend(range.rev().take(n).map(|(_, id)| *id));
            } else {
                out.extend(range.take(n).map(|(_, id)| *id));
            }
            return;
        }
        let mut items: Vec<(SortKey, Id)> = map
            .values()
            .map(|id| (self.sort_key(self.node(*id), ob), *id))
            .collect();
        items.sort();
        if desc {
            items.reverse();
        }
        let start = match after {
            None => 0,
            Some(c) => {
                let pivot = (c.key.clone(), c.id);
                items.partition_point(|it| if desc { *it >= pivot } else { *it <= pivot })
            }
        };
        out.extend(items[start..].iter().take(n).map(|(_, id)| *id));
    }

    /// One page of a folder listing (folders first, then files). Returns the page and
    /// whether more items follow.
    pub fn list_page(
        &self,
        folders: &BTreeMap<String, Id>,
        files: &BTreeMap<String, Id>,
        ob: OrderBy,
        desc: bool,
        page_size: usize,
        cursor: Option<&Cursor>,
    ) -> (Vec<Id>, bool) {
        let want = page_size + 1;
        let mut out = Vec::with_capacity(want.min(4096));
        match cursor {
            Some(c) if c.is_file => self.take_group(files, ob, desc, Some(c), want, &mut out),
            c => {
                self.take_group(folders, ob, desc, c, want, &mut out);
                let rest = want - out.len();
                self.take_group(files, ob, desc, None, rest, &mut out);
            }
        }
        let more = out.len() > page_size;
        out.truncate(page_size);
        (out, more)
    }

    /// Folder and file name indexes of a user's trash.
    pub fn trash_groups(&self, user: Id) -> (BTreeMap<String, Id>, BTreeMap<String, Id>) {
        let mut folders = BTreeMap::new();
        let mut files = BTreeMap::new();
        if let Some(t) = self.trash.get(&user) {
            for (name, id) in t {
                if self.node(*id).is_folder() {
                    folders.insert(name.clone(), *id);
                } else {
                    files.insert(name.clone(), *id);
                }
            }
        }
        (folders, files)
    }

    /// Does a node satisfy the search spec?
    pub fn matches(&self, n: &Node, spec: &SearchSpec) -> bool {
        if let Some(k) = spec.kind
            && k != Some(n.kind)
        {
            return false;
        }
        if !spec.names.is_empty() {
            let name = self.display_name(n);
            let mut hits = spec
                .names
                .iter()
                .map(|t| name_term_matches(&name, t, spec.case_folding));
            let ok = if spec.use_or {
                hits.any(|b| b)
            } else {
                hits.all(|b| b)
            };
            if !ok {
                return false;
            }
        }
        if let Some((gte, lte)) = spec.size
            && (n.size < gte || n.size > lte)
        {
            return false;
        }
        if let Some((gte, lte)) = spec.created
            && !(gte..=lte).contains(&n.created_at.timestamp())
        {
            return false;
        }
        if let Some((gte, lte)) = spec.updated
            && !(gte..=lte).contains(&n.updated_at.timestamp())
        {
            return false;
        }
        for (k, v, exact) in &spec.meta {
            match n.metadata.get(k) {
                None => return false,
                Some(val) => {
                    let ok = if *exact {
                        val == v
                    } else {
                        v.is_empty() || val.to_lowercase().contains(&v.to_lowercase())
                    };
                    if !ok {
                        return false;
                    }
                }
            }
        }
        true
    }

    /// Breadth-first recursive search under `folder`: `(level, id)` of every match, in
    /// (level, id) order, and whether the folder budget ran out.
    pub fn search(
        &self,
        folder: Id,
        spec: &SearchSpec,
        max_folders: usize,
    ) -> (Vec<(u32, Id)>, bool) {
        let mut out = Vec::new();
        let mut level_nodes = vec![folder];
        let mut level = 0u32;
        let mut walked = 0usize;
        let mut limited = false;
        while !level_nodes.is_empty() {
            let mut next = Vec::new();
            let mut hits = Vec::new();
            for f in &level_nodes {
                walked += 1;
                if walked > max_folders {
                    limited = true;
                    break;
                }
                if let Some(ch) = self.children.get(f) {
                    for id in ch.folders.values().chain(ch.files.values()) {
                        let n = self.node(*id);
                        if self.matches(n, spec) {
                            hits.push(*id);
                        }
                        if n.is_folder() {
                            next.push(*id);
                        }
                    }
                }
            }
            hits.sort_unstable();
            out.extend(hits.into_iter().map(|id| (level, id)));
            if limited {
                break;
            }
            level_nodes = next;
            level += 1;
        }
        (out, limited)
    }
}

/// One `name` search term against a name (§5.3 semantics).
pub fn name_term_matches(name: &str, term: &str, case_folding: bool) -> bool {
    if term.len() >= 2 && term.starts_with('"') && term.ends_with('"') {
        let inner = &term[1..term.len() - 1];
        return contains(name, inner, case_folding);
    }
    if term.contains('*') {
        let mut pat = term.replace('*', "%");
        if !pat.starts_with('%') && !pat.ends_with('%') {
            pat = format!("%{pat}%");
        }
        // SQLite's LIKE is case-insensitive for ASCII.
        return like(&name.to_lowercase(), &pat.to_lowercase());
    }
    contains(name, term, case_folding)
}

fn contains(hay: &str, needle: &str, fold: bool) -> bool {
    if fold {
        hay.to_lowercase().contains(&needle.to_lowercase())
    } else {
        hay.contains(needle)
    }
}

/// SQL LIKE with `%` and `_`.
fn like(s: &str, p: &str) -> bool {
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = p.chars().collect();
    let (mut si, mut pi) = (0usize, 0usize);
    let (mut star, mut mark) = (None::<usize>, 0usize);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '_' || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '%' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '%' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns() {
        assert!(name_term_matches("photo.JPG", "*.jpg", false));
        assert!(!name_term_matches("photo.png", "*.jpg", false));
        assert!(name_term_matches("My Report", "report", true));
        assert!(!name_term_matches("My Report", "report", false));
        assert!(name_term_matches("x-quoted-y", "\"quoted\"", false));
    }
}
