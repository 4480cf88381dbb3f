//! The Cloudreve 3.8.3 API (`/api/v3`), served over the same stores, storage policies and
//! fault layer as the v4 routes.
//!
//! What differs from v4 lives here: the cookie session `cloudreve-session` (no bearer
//! tokens), the `{code, data?, msg}` envelope without correlation ids, hashids in separate
//! file and folder namespaces, path-addressed listings, the camelCase upload credential,
//! download sessions behind relative signed URLs, and v3's share rules.

pub mod aria2;
pub mod download;
pub mod explorer;
pub mod share;
pub mod thumb;
pub mod upload;
pub mod user;
pub mod webdav;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::app::{App, AppRef};
use crate::binding::{BindError, GinJson, GinQuery};
use crate::envelope::{ApiError, Success};
use crate::faults::FaultTarget;
use crate::store::Id;

/// Version string of `GET /api/v3/site/ping`.
pub const VERSION: &str = "3.8.3";

/// Name of the session cookie.
pub const COOKIE: &str = "cloudreve-session";

/// Lifetime of download sessions (`download_timeout`, seeded as 600 s).
pub const DOWNLOAD_TTL_SECS: i64 = 600;

/// Data kept in one cookie session (server side, keyed by the cookie value).
#[derive(Debug, Clone, Default)]
pub struct SessionData {
    /// Signed-in user.
    pub user_id: Option<Id>,
    /// User who passed the password step and still owes a 2FA code.
    pub two_fa_user: Option<Id>,
    /// Answer of the last captcha shown to this session.
    pub captcha: Option<String>,
    /// Set by `GET /site/config`.
    pub csrf: bool,
    /// Password-protected shares unlocked by this session.
    pub unlocked_shares: Vec<Id>,
    /// Shares an anonymous visitor of this session already downloaded from.
    pub downloaded_shares: Vec<Id>,
}

/// A pending download (`download_<id>` in Cloudreve's cache).
#[derive(Debug, Clone)]
pub struct DownloadSession {
    pub file: Id,
    pub entity: Id,
    pub expires: i64,
}

/// Everything the v3 routes keep beside the shared [`crate::store::Store`].
#[derive(Default)]
pub struct V3State {
    pub sessions: HashMap<String, SessionData>,
    pub downloads: HashMap<String, DownloadSession>,
    /// Shares by numeric id.
    pub shares: BTreeMap<Id, share::Share>,
    /// Offline download tasks by gid.
    pub aria2: BTreeMap<String, aria2::Task>,
    /// WebDAV accounts by id.
    pub webdav: BTreeMap<u64, webdav::Account>,
    pub next_id: u64,
    /// Group option "one-time download": a download session serves one request.
    pub one_time_download: bool,
}

impl V3State {
    /// A fresh id for v3-only records (shares, WebDAV accounts).
    pub fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

/// The v3 server: the shared app plus v3-only state.
pub struct V3 {
    pub app: AppRef,
    state: Mutex<V3State>,
}

/// Handle used as axum state by the v3 routes.
pub type V3Ref = Arc<V3>;

impl V3 {
    /// v3 routes over `app`.
    pub fn new(app: AppRef) -> V3Ref {
        Arc::new(V3 {
            app,
            state: Mutex::new(V3State::default()),
        })
    }

    /// Lock the v3-only state (never held across an await, never while taking the store
    /// lock first).
    pub fn state(&self) -> MutexGuard<'_, V3State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A v3 error envelope: `{code, data?, msg}`, HTTP 200, no correlation id.
#[derive(Debug, Clone)]
pub struct E3(pub ApiError);

impl From<ApiError> for E3 {
    fn from(mut e: ApiError) -> Self {
        e.with_correlation = false;
        e.aggregated = None;
        E3(e)
    }
}

impl From<BindError> for E3 {
    fn from(e: BindError) -> Self {
        // v3's `ErrorResponse` words the generic case differently from v4.
        let msg = match &e {
            BindError::Malformed(_) | BindError::Invalid(_) => "Parameter error".to_string(),
            _ => e.message(),
        };
        err(40001, msg)
    }
}

/// A JSON body bound like Gin's `ShouldBindJSON`, failing with v3's wording.
pub struct J3<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for J3<T> {
    type Rejection = E3;
    async fn from_request(req: Request, state: &S) -> Result<Self, E3> {
        GinJson::<T>::from_request(req, state)
            .await
            .map(|GinJson(t)| J3(t))
            .map_err(E3::from)
    }
}

/// A query string bound like Gin's `ShouldBindQuery`, failing with v3's wording.
pub struct Q3<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for Q3<T> {
    type Rejection = E3;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, E3> {
        GinQuery::<T>::from_request_parts(parts, state)
            .await
            .map(|GinQuery(t)| Q3(t))
            .map_err(E3::from)
    }
}

impl IntoResponse for E3 {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

/// Result of a v3 JSON handler.
pub type R3 = Result<Success, E3>;

/// A v3 error with `code` and `msg`.
pub fn err(code: i32, msg: impl Into<String>) -> E3 {
    E3::from(ApiError::new(code, msg))
}

/// 40001 with `msg`.
pub fn param_err(msg: impl Into<String>) -> E3 {
    err(40001, msg)
}

/// `Path not exist` (40016).
pub fn path_not_exist() -> E3 {
    err(40016, "Path not exist")
}

/// `Object not exist` (40016).
pub fn object_not_exist() -> E3 {
    err(40016, "Object not exist")
}

/// The request's cookie session; handlers change it through [`Session::update`], and the
/// session layer stores it and sets the cookie afterwards.
#[derive(Clone)]
pub struct Session(Arc<Mutex<SessionCtx>>);

struct SessionCtx {
    sid: Option<String>,
    data: SessionData,
    dirty: bool,
}

impl Session {
    fn lock(&self) -> MutexGuard<'_, SessionCtx> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
    /// A copy of the session data.
    pub fn get(&self) -> SessionData {
        self.lock().data.clone()
    }
    /// Change the session data (saved when the handler returns).
    pub fn update(&self, f: impl FnOnce(&mut SessionData)) {
        let mut c = self.lock();
        f(&mut c.data);
        c.dirty = true;
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = E3;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, E3> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or_else(|| err(-1, "no session"))
    }
}

/// The signed-in user, or body code 401 (`AuthRequired`).
#[derive(Debug, Clone, Copy)]
pub struct Login(pub Id);

/// The user of the session, if any (`CurrentUser`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CurrentUser(pub Option<Id>);

impl<S: Send + Sync> FromRequestParts<S> for Login {
    type Rejection = E3;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, E3> {
        parts
            .extensions
            .get::<CurrentUser>()
            .and_then(|c| c.0)
            .map(Login)
            .ok_or_else(|| err(401, "Login required"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = E3;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, E3> {
        Ok(parts
            .extensions
            .get::<CurrentUser>()
            .copied()
            .unwrap_or_default())
    }
}

/// The value of cookie `name`.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A random alphanumeric string (`util.RandStringRunes`).
pub fn rand_string(n: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(n)
        .map(char::from)
        .collect()
}

/// `Session` + `CurrentUser` + `CacheControl` middleware of the `/api/v3` group.
async fn session_layer(State(v3): State<V3Ref>, mut req: Request, next: Next) -> Response {
    let sid = cookie(req.headers(), COOKIE);
    let found = sid
        .as_ref()
        .and_then(|s| v3.state().sessions.get(s).cloned());
    let (sid, data) = match found {
        Some(d) => (sid, d),
        None => (None, SessionData::default()),
    };
    let uid = data
        .user_id
        .filter(|u| v3.app.store().users.contains_key(u));
    let session = Session(Arc::new(Mutex::new(SessionCtx {
        sid,
        data,
        dirty: false,
    })));
    req.extensions_mut().insert(session.clone());
    req.extensions_mut().insert(CurrentUser(uid));
    let mut resp = next.run(req).await;
    let c = session.lock();
    if c.dirty {
        let sid = c.sid.clone().unwrap_or_else(|| rand_string(32));
        v3.state().sessions.insert(sid.clone(), c.data.clone());
        let value = format!("{COOKIE}={sid}; Path=/; Max-Age=5184000; HttpOnly");
        if let Ok(v) = HeaderValue::from_str(&value) {
            resp.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    resp.headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("private, no-cache"));
    resp
}

/// Fault classes of the v3 routes.
pub fn classify(method: &Method, path: &str) -> FaultTarget {
    let p = path.trim_end_matches('/');
    let read = *method == Method::GET || *method == Method::HEAD;
    if let Some(rest) = p.strip_prefix("/api/v3/file/upload/") {
        if *method == Method::POST && rest.split('/').count() == 2 {
            return FaultTarget::Chunk;
        }
    } else if p.starts_with("/api/v3/callback/") {
        return FaultTarget::Callback;
    } else if read && (p.starts_with("/api/v3/file/download/") || p.starts_with("/f/")) {
        return FaultTarget::Download;
    }
    crate::faults::classify_api(method, path)
}

/// The `/api/v3` router (plus `/f/:id/:name` source links and `/s/:key` share links).
pub fn router(app: AppRef) -> (Router, V3Ref) {
    let v3 = V3::new(app);
    let api = Router::new()
        .route("/site/ping", get(user::ping))
        .route("/site/config", get(user::site_config))
        .route("/site/captcha", get(user::captcha))
        .route("/user/session", post(user::login).delete(user::sign_out))
        .route("/user/2fa", post(user::login_2fa))
        .route("/user/me", get(user::me))
        .route("/user/storage", get(user::storage))
        .route("/user/setting/tasks", get(user::tasks))
        .route("/directory", put(explorer::mkdir).get(explorer::list_root))
        .route("/directory/", get(explorer::list_root))
        .route("/directory/{*path}", get(explorer::list))
        .route(
            "/object",
            delete(explorer::delete).patch(explorer::move_objects),
        )
        .route("/object/copy", post(explorer::copy))
        .route("/object/rename", post(explorer::rename))
        .route("/object/property/{id}", get(explorer::property))
        .route("/file/create", post(explorer::create_file))
        .route("/file/update/{id}", put(upload::update_content))
        .route(
            "/file/upload",
            put(upload::create).delete(upload::cancel_all),
        )
        .route("/file/upload/{session}/{index}", post(upload::chunk))
        .route("/file/upload/{session}", delete(upload::cancel))
        .route(
            "/file/download/{id}",
            put(download::create).get(download::serve),
        )
        .route("/file/source", post(download::source))
        .route("/file/search/{ty}/{keywords}", get(explorer::search))
        .route("/file/thumb/{id}", get(thumb::thumb))
        .route(
            "/callback/onedrive/finish/{session}",
            post(upload::callback_onedrive),
        )
        .route("/callback/s3/{session}", get(upload::callback_s3))
        .route("/callback/cos/{session}", get(upload::callback_cos))
        .route("/share", post(share::create).get(share::list_mine))
        .route("/share/{id}", patch(share::update).delete(share::delete))
        .route("/share/info/{id}", get(share::info))
        .route("/share/download/{id}", put(share::download))
        .route("/aria2/url", post(aria2::add_url))
        .route("/aria2/downloading", get(aria2::downloading))
        .route("/aria2/finished", get(aria2::finished))
        .route("/aria2/task/{gid}", delete(aria2::cancel))
        .route(
            "/webdav/accounts",
            get(webdav::list).post(webdav::create).patch(webdav::update),
        )
        .route("/webdav/accounts/{id}", delete(webdav::delete))
        .layer(from_fn_with_state(v3.clone(), session_layer))
        .layer(DefaultBodyLimit::disable())
        .with_state(v3.clone());
    // Storage services and the slave node call the master back on the callback paths the
    // shared policy stores were built with; those handlers complete the same sessions.
    let server_callbacks = Router::new()
        .route(
            "/callback/remote/{session}/{key}",
            post(crate::routes::callback::remote),
        )
        .route(
            "/callback/oss/{session}/{key}",
            post(crate::routes::callback::oss),
        )
        .route(
            "/callback/qiniu/{session}/{key}",
            post(crate::routes::callback::qiniu),
        )
        .route(
            "/callback/upyun/{session}/{key}",
            post(crate::routes::callback::upyun),
        )
        .route(
            "/callback/{ty}/{session}/{key}",
            post(crate::routes::callback::object_post),
        )
        .with_state(v3.app.clone());
    let r = Router::new()
        .nest("/api/v3", api)
        .nest("/api/v4", server_callbacks)
        .route(
            "/f/{id}/{name}",
            get(download::source_link).with_state(v3.clone()),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(not_found);
    (r, v3)
}

/// gin's default answer for unknown routes.
async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "404 page not found")
}

/// Split a v3 virtual path (`/a/b`) into segments; `None` when it does not start with `/`
/// (`util.SplitPath` yields nothing, so the path never exists).
pub fn split_path(p: &str) -> Option<Vec<String>> {
    if !p.starts_with('/') {
        return None;
    }
    Some(
        p.split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

impl V3 {
    /// The folder at virtual path `p` of `uid`.
    pub fn folder_at(&self, store: &crate::store::Store, uid: Id, p: &str) -> Option<Id> {
        let segs = split_path(p)?;
        let root = store.users.get(&uid)?.root;
        let mut cur = root;
        for s in &segs {
            cur = store.children.get(&cur)?.folders.get(s).copied()?;
        }
        Some(cur)
    }

    /// Virtual path of folder `id` (`/` for the root).
    pub fn folder_path(&self, store: &crate::store::Store, id: Id) -> String {
        let mut segs = Vec::new();
        let mut cur = store.node(id);
        while let Some(p) = cur.parent {
            segs.push(cur.name.clone());
            cur = store.node(p);
        }
        segs.reverse();
        format!("/{}", segs.join("/"))
    }

    /// Shared app.
    pub fn app(&self) -> &App {
        &self.app
    }
}

/// v3's name rule (`ValidateLegalName`).
pub fn legal_name(name: &str) -> bool {
    !(name.is_empty()
        || name.len() >= 256
        || name.ends_with(' ')
        || name.contains(['\\', '?', '*', '<', '"', ':', '>', '/', '|']))
}
