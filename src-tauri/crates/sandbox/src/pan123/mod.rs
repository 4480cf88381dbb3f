//! The 123pan (123云盘) Open Platform API, served over the same stores, blob storage and
//! fault layer as the Cloudreve routes.
//!
//! Two listeners: the **API host** (`/api/v1/...`, `/api/v2/file/list`, `/upload/v1/file/mkdir`,
//! `/upload/v2/file/{create,upload_complete,domain,sha1_reuse}`) and an **upload host**
//! (`/upload/v2/file/slice`, `/upload/v2/file/single/create`) which also plays the CDN that
//! `download_info` URLs point at. Both want `Platform: open_platform` and a bearer token.
//!
//! Every answer is HTTP 200 with the envelope `{code, message, data, x-traceID}`; errors
//! are body codes (1, 401, 429, 5066, 5113, 20103). IDs are int64 numbers, the root is 0.

pub mod files;
pub mod multipart;
pub mod offline;
pub mod share;
pub mod upload;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use chrono::{DateTime, FixedOffset, Utc};
use md5::Digest;
use serde_json::{Value, json};

use crate::app::AppRef;
use crate::faults::FaultTarget;
use crate::store::{Id, Store};

/// `Platform` header value every request must carry.
pub const PLATFORM: &str = "open_platform";
/// Default developer-token lifetime (30 days).
pub const TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
/// Live tokens per client id; issuing one more drops the oldest.
pub const MAX_TOKENS: usize = 3;
/// Slice size handed out by V2 create (16 MiB, as in the documentation's example).
pub const SLICE_SIZE: u64 = 16 * 1024 * 1024;
/// Largest single-step upload (1 GiB).
pub const SINGLE_MAX: u64 = 1 << 30;
/// Largest file of the sliced flows (10 GiB for developers).
pub const CREATE_MAX: u64 = 10 << 30;
/// Lifetime of `download_info` URLs.
pub const DOWNLOAD_TTL: Duration = Duration::from_secs(600);
/// How often `upload_complete` says "not yet" before it finishes.
pub const COMPLETE_POLLS: u32 = 2;

/// Per-endpoint QPS of the developer table (free tier).
pub fn qps_limit(path: &str) -> Option<f64> {
    Some(match path {
        "/api/v1/user/info" => 10.0,
        "/api/v1/file/move" => 3.0,
        "/api/v1/file/delete" => 1.0,
        "/api/v1/file/list" => 0.2,
        "/api/v2/file/list" => 5.0,
        "/upload/v1/file/mkdir" => 5.0,
        "/api/v1/access_token" => 8.0,
        _ => return None,
    })
}

/// A live access token.
#[derive(Debug, Clone)]
pub struct Token {
    pub client_id: String,
    pub user: Id,
    pub expires: DateTime<Utc>,
}

/// A developer application (client credentials).
#[derive(Debug, Clone)]
pub struct Client {
    pub secret: String,
    pub user: Id,
}

/// Counters for tests.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Requests per path (both hosts), counted before auth and rate limiting.
    pub requests: BTreeMap<String, u64>,
    /// Requests answered with code 429, per path.
    pub throttled: BTreeMap<String, u64>,
    /// Slices accepted by the upload host.
    pub slices: u64,
    /// Slices refused (bad MD5, size or number).
    pub slices_rejected: u64,
    /// `upload_complete` answers that were "not yet" (`completed:false` or 20103).
    pub complete_pending: u64,
    /// Instant uploads (`reuse:true`).
    pub reused: u64,
    /// Tokens issued and tokens dropped by the 3-token rule.
    pub tokens_issued: u64,
    pub tokens_evicted: u64,
}

/// Tunables changed at runtime by tests.
#[derive(Debug, Clone)]
pub struct Knobs {
    pub qps_enabled: bool,
    pub token_ttl: Duration,
    pub download_ttl: Duration,
    pub complete_polls: u32,
    pub slice_size: u64,
    /// Daily download traffic per user in bytes (0 = unlimited); beyond it 5113.
    pub traffic_quota: u64,
}

impl Default for Knobs {
    fn default() -> Self {
        Self {
            qps_enabled: true,
            token_ttl: TOKEN_TTL,
            download_ttl: DOWNLOAD_TTL,
            complete_polls: COMPLETE_POLLS,
            slice_size: SLICE_SIZE,
            traffic_quota: 0,
        }
    }
}

/// Everything 123pan keeps beside the shared [`Store`].
#[derive(Default)]
pub struct State123 {
    pub clients: HashMap<String, Client>,
    pub tokens: HashMap<String, Token>,
    /// Tokens per client id, oldest first.
    pub by_client: HashMap<String, VecDeque<String>>,
    pub buckets: HashMap<(String, String), (f64, Instant)>,
    pub stats: Stats,
    pub knobs: Knobs,
    pub preuploads: HashMap<String, upload::PreUpload>,
    /// `(md5, size)` → file whose entity instant uploads link to.
    pub by_md5: HashMap<(String, u64), Id>,
    /// `(sha1, size)` → file.
    pub by_sha1: HashMap<(String, u64), Id>,
    pub downloads: HashMap<String, files::DownloadLink>,
    /// Download traffic charged per user.
    pub traffic: HashMap<Id, u64>,
    pub shares: BTreeMap<u64, share::Share>,
    pub offline: BTreeMap<u64, offline::Task>,
    pub next_id: u64,
}

impl State123 {
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The 123pan server: the shared app plus 123pan-only state.
pub struct Pan123 {
    pub app: AppRef,
    state: Mutex<State123>,
    /// `http://127.0.0.1:PORT` of the upload host (set once bound).
    upload_host: Mutex<String>,
}

/// Handle used as axum state.
pub type P123 = Arc<Pan123>;

impl Pan123 {
    pub fn new(app: AppRef) -> P123 {
        Arc::new(Pan123 {
            app,
            state: Mutex::new(State123::default()),
            upload_host: Mutex::new(String::new()),
        })
    }

    /// Lock the 123pan state (never held across an await; take it after the store lock).
    pub fn state(&self) -> MutexGuard<'_, State123> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn upload_host(&self) -> String {
        self.upload_host
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_upload_host(&self, url: String) {
        *self.upload_host.lock().unwrap_or_else(|e| e.into_inner()) = url;
    }

    /// Register a developer application for `user`.
    pub fn add_client(&self, id: &str, secret: &str, user: Id) {
        self.state().clients.insert(
            id.to_string(),
            Client {
                secret: secret.to_string(),
                user,
            },
        );
    }

    /// Record the MD5/SHA-1 of a stored file's content (etag, instant-upload index).
    pub fn index_content(&self, store: &mut Store, file: Id, data: &[u8]) {
        let md5 = hex(&md5::Md5::digest(data));
        let sha1 = hex(&sha1::Sha1::digest(data));
        self.index_hashes(store, file, &md5, &sha1);
    }

    /// Record known hashes of a stored file.
    pub fn index_hashes(&self, store: &mut Store, file: Id, md5: &str, sha1: &str) {
        let size = store.node(file).size;
        if let Some(n) = store.nodes.get_mut(&file) {
            n.metadata.insert("p123:md5".into(), md5.to_string());
            n.metadata.insert("p123:sha1".into(), sha1.to_string());
        }
        let mut st = self.state();
        st.by_md5.insert((md5.to_string(), size), file);
        st.by_sha1.insert((sha1.to_string(), size), file);
    }

    /// Hash every file that has no etag yet (seeded content), reading its blob.
    pub async fn index_all(&self) -> anyhow::Result<()> {
        use futures::StreamExt;
        let todo: Vec<(Id, String, u64)> = {
            let store = self.app.store();
            store
                .nodes
                .values()
                .filter(|n| !n.is_folder() && !n.metadata.contains_key("p123:md5"))
                .filter_map(|n| {
                    let e = store.entities.get(&n.primary?)?;
                    Some((n.id, e.blob.clone(), e.size))
                })
                .collect()
        };
        for (file, blob, size) in todo {
            let mut s = self
                .app
                .blob_driver(&blob)
                .read_range(blob.clone(), 0, size)
                .await?;
            let mut data = Vec::with_capacity(size as usize);
            while let Some(c) = s.next().await {
                data.extend_from_slice(&c?);
            }
            let mut store = self.app.store();
            if store.nodes.contains_key(&file) {
                self.index_content(&mut store, file, &data);
            }
        }
        Ok(())
    }

    /// The user's root node.
    pub fn root(&self, store: &Store, uid: Id) -> Id {
        store.users[&uid].root
    }

    /// Public id of a node (the root is 0).
    pub fn pub_id(&self, store: &Store, uid: Id, id: Id) -> i64 {
        if id == self.root(store, uid) {
            0
        } else {
            id as i64
        }
    }

    /// A folder of `uid` by public id (0 = root); trashed folders count as missing.
    pub fn folder(&self, store: &Store, uid: Id, id: i64) -> Option<Id> {
        if id == 0 {
            return Some(self.root(store, uid));
        }
        let n = store.nodes.get(&(u64::try_from(id).ok()?))?;
        (n.owner == uid && n.is_folder() && !n.trashed && n.parent.is_some()).then_some(n.id)
    }

    /// Any node of `uid` by public id (not the root).
    pub fn node(&self, store: &Store, uid: Id, id: i64) -> Option<Id> {
        let n = store.nodes.get(&(u64::try_from(id).ok()?))?;
        (n.owner == uid && (n.parent.is_some() || n.trashed)).then_some(n.id)
    }
}

/// Lower-case hex of a digest.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// MD5 hex of `data`.
pub fn md5_hex(data: &[u8]) -> String {
    hex(&md5::Md5::digest(data))
}

/// 123pan time format: `2025-02-24 17:57:01`, China time, no zone.
pub fn fmt_time(t: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("offset");
    t.with_timezone(&cst)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// RFC 3339 in China time (`expiredAt`).
pub fn fmt_rfc3339(t: DateTime<Utc>) -> String {
    let cst = FixedOffset::east_opt(8 * 3600).expect("offset");
    t.with_timezone(&cst)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

fn trace_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An error envelope: HTTP 200, `data: null`.
#[derive(Debug, Clone)]
pub struct PErr {
    pub code: i64,
    pub message: String,
}

/// `code` with `message`.
pub fn perr(code: i64, message: impl Into<String>) -> PErr {
    PErr {
        code,
        message: message.into(),
    }
}

/// Code 1 (general error).
pub fn general(message: impl Into<String>) -> PErr {
    perr(1, message)
}

/// 5066: the file does not exist.
pub fn not_found() -> PErr {
    perr(5066, "文件不存在")
}

impl IntoResponse for PErr {
    fn into_response(self) -> Response {
        let body = json!({"code": self.code, "message": self.message, "data": null,
            "x-traceID": trace_id()});
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

/// A success envelope around `data`.
pub struct Ok123(pub Value);

impl IntoResponse for Ok123 {
    fn into_response(self) -> Response {
        let body = json!({"code": 0, "message": "ok", "data": self.0, "x-traceID": trace_id()});
        (StatusCode::OK, axum::Json(body)).into_response()
    }
}

/// Result of a handler.
pub type R = Result<Ok123, PErr>;

/// `Ok123(data)`.
pub fn ok(data: Value) -> R {
    Ok(Ok123(data))
}

/// Parse a JSON body.
pub fn body_json(body: &[u8]) -> Result<Value, PErr> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| general("参数错误: 请求体不是合法的JSON"))?;
    if !v.is_object() {
        return Err(general("参数错误"));
    }
    Ok(v)
}

/// A field by name, matching keys case-insensitively (clients disagree on the casing).
pub fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let o = v.as_object()?;
    o.get(name).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// An integer field; numeric strings are accepted too.
pub fn int(v: &Value, name: &str) -> Option<i64> {
    match field(v, name)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A string field.
pub fn string(v: &Value, name: &str) -> Option<String> {
    match field(v, name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A bool field (`true`/`false`, 0/1, "true").
pub fn boolean(v: &Value, name: &str) -> Option<bool> {
    match field(v, name)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => Some(n.as_i64() != Some(0)),
        Value::String(s) => Some(s == "true" || s == "1"),
        _ => None,
    }
}

/// A list of integer ids.
pub fn int_list(v: &Value, name: &str) -> Option<Vec<i64>> {
    let a = field(v, name)?.as_array()?;
    a.iter()
        .map(|x| match x {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => s.trim().parse().ok(),
            _ => None,
        })
        .collect()
}

/// Query parameters, looked up case-insensitively.
pub struct Query(pub Value);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Query {
    type Rejection = PErr;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, PErr> {
        let q = parts.uri.query().unwrap_or("");
        let map: serde_json::Map<String, Value> = url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        Ok(Query(Value::Object(map)))
    }
}

/// The user behind the request's access token.
#[derive(Debug, Clone, Copy)]
pub struct Auth(pub Id);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Auth {
    type Rejection = PErr;
    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, PErr> {
        parts
            .extensions
            .get::<Auth>()
            .copied()
            .ok_or_else(|| perr(401, "access_token无效"))
    }
}

fn bearer(h: &HeaderMap) -> Option<String> {
    let v = h.get("authorization")?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

/// Platform check, token check, QPS limiter and request counters for both hosts.
async fn gate(State(p): State<P123>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().trim_end_matches('/').to_string();
    if path.starts_with("/download/") {
        return next.run(req).await;
    }
    *p.state().stats.requests.entry(path.clone()).or_default() += 1;
    let platform = req
        .headers()
        .get("platform")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if platform != PLATFORM {
        return perr(401, "Platform header is required: open_platform").into_response();
    }
    let mut client = String::from("-");
    if path != "/api/v1/access_token" {
        let now = Utc::now();
        let tok = bearer(req.headers());
        let found = {
            let mut st = p.state();
            match tok.as_ref().and_then(|t| st.tokens.get(t).cloned()) {
                Some(t) if t.expires > now => Some(t),
                Some(t) => {
                    let k = tok.clone().unwrap_or_default();
                    st.tokens.remove(&k);
                    if let Some(q) = st.by_client.get_mut(&t.client_id) {
                        q.retain(|x| *x != k);
                    }
                    None
                }
                None => None,
            }
        };
        let Some(t) = found else {
            return perr(401, "access_token无效或已过期").into_response();
        };
        if !p.app.store().users.contains_key(&t.user) {
            return perr(401, "access_token无效").into_response();
        }
        client = t.client_id.clone();
        req.extensions_mut().insert(Auth(t.user));
    }
    if let Some(qps) = qps_limit(&path) {
        let mut st = p.state();
        if st.knobs.qps_enabled {
            let cap = qps.max(1.0);
            let now = Instant::now();
            let key = (client, path.clone());
            let b = st.buckets.entry(key).or_insert((cap, now));
            let refill = now.duration_since(b.1).as_secs_f64() * qps;
            b.0 = (b.0 + refill).min(cap);
            b.1 = now;
            if b.0 < 1.0 {
                *st.stats.throttled.entry(path).or_default() += 1;
                drop(st);
                return perr(429, "操作频繁,请稍后再试").into_response();
            }
            b.0 -= 1.0;
        }
    }
    next.run(req).await
}

/// Fault classes: slices are `Chunk`, CDN downloads `Download`, the rest `Other`.
pub fn classify(method: &Method, path: &str) -> FaultTarget {
    if *method == Method::POST && path.starts_with("/upload/v2/file/slice") {
        FaultTarget::Chunk
    } else if path.starts_with("/download/") {
        FaultTarget::Download
    } else {
        FaultTarget::Other
    }
}

/// Unknown routes: HTTP 404 with an envelope, before any header or token check.
async fn fallback() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"code": 404, "message": "not found", "data": null,
            "x-traceID": trace_id()})),
    )
        .into_response()
}

/// Routers of the API host and of the upload host.
pub fn routers(p: P123) -> (Router, Router) {
    let api = Router::new()
        .route("/api/v1/access_token", post(files::access_token))
        .route("/api/v1/user/info", get(files::user_info))
        .route("/api/v2/file/list", get(files::list_v2))
        .route("/api/v1/file/list", get(files::list_v1))
        .route("/api/v1/file/detail", get(files::detail))
        .route("/api/v1/file/infos", post(files::infos))
        .route("/upload/v1/file/mkdir", post(files::mkdir))
        .route("/api/v1/file/name", put(files::rename_one))
        .route("/api/v1/file/rename", post(files::rename_batch))
        .route("/api/v1/file/move", post(files::move_files))
        .route("/api/v1/file/trash", post(files::trash))
        .route("/api/v1/file/recover", post(files::recover))
        .route("/api/v1/file/recover/by_path", post(files::recover_by_path))
        .route("/api/v1/file/delete", post(files::delete))
        .route("/api/v1/file/download_info", get(files::download_info))
        .route("/upload/v2/file/domain", get(upload::domain))
        .route("/upload/v2/file/create", post(upload::create))
        .route("/upload/v2/file/upload_complete", post(upload::complete))
        .route("/upload/v2/file/sha1_reuse", post(upload::sha1_reuse))
        .route("/api/v1/share/create", post(share::create))
        .route("/api/v1/share/list", get(share::list))
        .route("/api/v1/share/list/info", put(share::update))
        .route("/api/v1/offline/download", post(offline::create))
        .route("/api/v1/offline/download/process", get(offline::process))
        .route_layer(from_fn_with_state(p.clone(), gate))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max(1 << 20))
        .with_state(p.clone());
    let up = Router::new()
        .route("/upload/v2/file/slice", post(upload::slice))
        .route("/upload/v2/file/single/create", post(upload::single))
        .route("/download/{token}/{name}", get(files::serve_download))
        .route_layer(from_fn_with_state(p.clone(), gate))
        .fallback(fallback)
        .layer(DefaultBodyLimit::max((SINGLE_MAX + (1 << 20)) as usize))
        .with_state(p);
    (api, up)
}
