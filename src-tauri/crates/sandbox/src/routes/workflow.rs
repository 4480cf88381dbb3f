//! `/workflow` (§10): create archive/extract/remote-download tasks, list them by category,
//! read their progress and cancel downloads.

use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{fs_user, parse_uri};
use crate::app::{App, AppRef};
use crate::auth::Caller;
use crate::binding::{GinJson, GinQuery};
use crate::envelope::{ApiError, ApiResult, Success};
use crate::ids::Kind;
use crate::store::{Id, validate_name};
use crate::tasks::archive::{self, ArchiveJob};
use crate::tasks::download::{self, DownloadJob};
use crate::tasks::extract::{self, ExtractJob};
use crate::tasks::{TaskStatus, TaskType};
use crate::uri::{CrUri, Fs};

/// Body of `POST /workflow/archive` and `/workflow/extract`.
#[derive(Deserialize)]
pub struct ArchiveBody {
    src: Option<Vec<String>>,
    dst: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    encoding: String,
    #[serde(default)]
    #[allow(dead_code)]
    password: String,
    #[serde(default)]
    file_mask: Vec<String>,
}

fn invalid_destination(e: ApiError) -> ApiError {
    ApiError::new(e.code, "Invalid destination")
}

/// `POST /workflow/archive`: zip `src` into the new file `dst`.
pub async fn create_archive(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<ArchiveBody>,
) -> ApiResult {
    let src = b
        .src
        .ok_or_else(|| ApiError::binding("Src cannot be empty"))?;
    let dst_raw = b.dst.filter(|s| !s.is_empty());
    let dst = parse_uri(dst_raw.as_deref(), "Dst")?;
    let uid = caller.require()?;
    // Validated like an upload to `dst`: a new file name in `my` that does not exist yet.
    fs_user(&app, caller, &dst)?;
    if dst.fs != Fs::My {
        return Err(ApiError::not_supported());
    }
    if dst.is_root() {
        return Err(ApiError::object_existed());
    }
    validate_name(dst.name())?;
    {
        let store = app.store();
        let root = store.users[&uid].root;
        if let Ok(p) = store.walk(root, &dst.segments[..dst.segments.len() - 1])
            && store.child(p, dst.name()).is_some()
        {
            return Err(ApiError::object_existed());
        }
    }
    let sources: Vec<CrUri> = src
        .iter()
        .map(|s| CrUri::parse(s))
        .collect::<Result<_, _>>()?;
    let mut props = Map::new();
    props.insert(
        "src_multiple".into(),
        json!(sources.iter().map(|u| u.to_string()).collect::<Vec<_>>()),
    );
    props.insert("dst".into(), json!(dst.to_string()));
    props.insert("failed".into(), json!(0));
    let task = app.new_task(uid, TaskType::CreateArchive, props);
    tokio::spawn(archive::run(
        app.clone(),
        ArchiveJob {
            task,
            owner: uid,
            sources,
            dst,
        },
    ));
    Ok(Success::data(task_json(&app, task)))
}

/// `POST /workflow/extract`: unpack the first `src` into the folder `dst`.
pub async fn create_extract(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<ArchiveBody>,
) -> ApiResult {
    let src = b
        .src
        .ok_or_else(|| ApiError::binding("Src cannot be empty"))?;
    let dst_raw = b.dst.filter(|s| !s.is_empty());
    let dst = parse_uri(dst_raw.as_deref(), "Dst")?;
    let uid = caller.require()?;
    let first = src
        .first()
        .ok_or_else(|| ApiError::param("No source files"))?;
    let src = CrUri::parse(first)?;
    let dst = check_folder(&app, caller, dst)?;
    let mut props = Map::new();
    props.insert("src".into(), json!(src.to_string()));
    props.insert("dst".into(), json!(dst.to_string()));
    let task = app.new_task(uid, TaskType::ExtractArchive, props);
    tokio::spawn(extract::run(
        app.clone(),
        ExtractJob {
            task,
            owner: uid,
            src,
            dst,
            file_mask: b.file_mask,
        },
    ));
    Ok(Success::data(task_json(&app, task)))
}

/// `dst` must be an existing folder of the caller where files can be created.
fn check_folder(app: &App, caller: Caller, dst: CrUri) -> Result<CrUri, ApiError> {
    let uid = fs_user(app, caller, &dst).map_err(invalid_destination)?;
    if dst.fs != Fs::My {
        return Err(invalid_destination(ApiError::not_supported()));
    }
    let store = app.store();
    let id = store
        .resolve(uid, &dst)
        .map_err(invalid_destination)?
        .ok_or_else(|| invalid_destination(ApiError::path_not_exist()))?;
    if !store.node(id).is_folder() {
        return Err(invalid_destination(ApiError::path_not_exist()));
    }
    let mut clean = dst;
    clean.user = None;
    clean.query.clear();
    Ok(clean)
}

/// Body of `POST /workflow/download`.
#[derive(Deserialize)]
pub struct DownloadBody {
    #[serde(default)]
    src: Vec<String>,
    #[serde(default)]
    src_file: String,
    dst: Option<String>,
}

/// `POST /workflow/download`: one remote-download task per URL.
pub async fn create_download(
    State(app): State<AppRef>,
    caller: Caller,
    GinJson(b): GinJson<DownloadBody>,
) -> ApiResult {
    let dst_raw = b.dst.filter(|s| !s.is_empty());
    let dst = parse_uri(dst_raw.as_deref(), "Dst")?;
    let uid = caller.require()?;
    if b.src_file.is_empty() && b.src.is_empty() {
        return Err(ApiError::param("No source files"));
    }
    if !b.src_file.is_empty() && !b.src.is_empty() {
        return Err(ApiError::param("Invalid source files"));
    }
    if !b.src_file.is_empty() {
        // Torrents need a BitTorrent client; the sandbox only fetches http(s) URLs.
        return Err(ApiError::new(40048, "Failed to create task"));
    }
    let dst = check_folder(&app, caller, dst)?;
    let mut out = Vec::new();
    let mut failures = Vec::new();
    for src in b.src.iter().filter(|s| !s.is_empty()) {
        let ok = url::Url::parse(src).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            failures.push((
                src.clone(),
                ApiError::new(40048, "Unsupported download source"),
            ));
            continue;
        }
        let mut props = Map::new();
        props.insert("src_str".into(), json!(src));
        props.insert("src".into(), json!(""));
        props.insert("dst".into(), json!(dst.to_string()));
        props.insert("failed".into(), json!(0));
        props.insert("download".into(), Value::Null);
        let task = app.new_task(uid, TaskType::RemoteDownload, props);
        tokio::spawn(download::run(
            app.clone(),
            DownloadJob {
                task,
                owner: uid,
                url: src.clone(),
                dst: dst.clone(),
            },
        ));
        out.push(task_json(&app, task));
    }
    ApiError::aggregate(failures)?;
    Ok(Success::data(out))
}

fn task_json(app: &App, id: Id) -> Value {
    let m = app.tasks.lock();
    m.get(&id).map(|t| app.task_json(t)).unwrap_or(Value::Null)
}

/// Query of `GET /workflow`.
#[derive(Deserialize)]
pub struct ListQuery {
    page_size: Option<i64>,
    category: Option<String>,
    next_page_token: Option<String>,
}

/// `GET /workflow`: tasks of a category, newest first, cursor-paginated.
pub async fn list(
    State(app): State<AppRef>,
    caller: Caller,
    GinQuery(q): GinQuery<ListQuery>,
) -> ApiResult {
    let page_size = super::share::page_size_10_100(q.page_size)?;
    let category = match q.category.as_deref() {
        None | Some("") => return Err(ApiError::binding("Category cannot be empty")),
        Some(c @ ("general" | "downloading" | "downloaded")) => c.to_string(),
        Some(_) => return Err(ApiError::binding("Invalid parameters.")),
    };
    let uid = caller.require()?;
    let after = match q.next_page_token.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(
            app.ids
                .decode(Kind::Task, t)
                .ok_or_else(|| ApiError::param("Invalid page token"))?,
        ),
    };
    let m = app.tasks.lock();
    let matches = |t: &&crate::tasks::Task| {
        t.owner == uid
            && match category.as_str() {
                "general" => t.kind != TaskType::RemoteDownload,
                "downloading" => t.kind == TaskType::RemoteDownload && !t.status.is_final(),
                _ => t.kind == TaskType::RemoteDownload && t.status.is_final(),
            }
    };
    // "downloading" returns everything regardless of the page size.
    let limit = if category == "downloading" {
        usize::MAX
    } else {
        page_size
    };
    let all: Vec<&crate::tasks::Task> = m
        .values()
        .rev()
        .filter(matches)
        .filter(|t| after.is_none_or(|a| t.id < a))
        .collect();
    let page: Vec<Value> = all.iter().take(limit).map(|t| app.task_json(t)).collect();
    let mut pagination = json!({"page": 0, "page_size": page_size, "is_cursor": true});
    if all.len() > limit
        && let Some(last) = all.get(limit - 1)
    {
        pagination["next_token"] = json!(app.ids.encode(Kind::Task, last.id));
    }
    Ok(Success::data(
        json!({"tasks": page, "pagination": pagination}),
    ))
}

/// `GET /workflow/progress/:id`: live progress counters; `{}` when not running or not owned.
pub async fn progress(
    State(app): State<AppRef>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let tid = app.ids.require(Kind::Task, &id)?;
    let uid = caller.require()?;
    let m = app.tasks.lock();
    let mut out = Map::new();
    if let Some(t) = m.get(&tid).filter(|t| t.owner == uid) {
        for (k, p) in &t.progress {
            out.insert(
                k.clone(),
                json!({"total": p.total, "current": p.current, "identifier": p.identifier}),
            );
        }
    }
    Ok(Success::data(Value::Object(out)))
}

/// `DELETE /workflow/download/:id`: cancel a remote download (404 unless owned).
pub async fn cancel_download(
    State(app): State<AppRef>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult {
    let tid = app.ids.require(Kind::Task, &id)?;
    let uid = caller.require()?;
    let m = app.tasks.lock();
    match m.get(&tid) {
        Some(t) if t.owner == uid => {
            if t.kind == TaskType::RemoteDownload && t.status != TaskStatus::Completed {
                t.cancel.cancel();
            }
            Ok(Success::empty())
        }
        _ => Err(ApiError::new(404, "Task not found")),
    }
}
