//! v3 offline downloads (aria2): `POST /aria2/url`, the `downloading` and `finished` lists
//! (pages of 10), `DELETE /aria2/task/{gid}`. v3 answers an added URL without its task id,
//! so the new tasks are the ones the downloading list shows that were not there before.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::provider::*;

use super::CloudreveV3;
use super::api::Body;
use super::codes::code_error;
use super::refs::V3Ref;

/// Tasks per page of the aria2 lists.
const PAGE_SIZE: usize = 10;

#[derive(Debug, Deserialize)]
struct InfoWire {
    #[serde(default)]
    gid: String,
}

/// One entry of `GET /aria2/downloading` or `/aria2/finished`.
#[derive(Debug, Deserialize)]
struct DownloadWire {
    #[serde(default)]
    gid: Option<String>,
    #[serde(default)]
    info: Option<InfoWire>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: i64,
    #[serde(default)]
    dst: String,
    #[serde(default)]
    total: u64,
    #[serde(default)]
    downloaded: Option<u64>,
    #[serde(default)]
    speed: u64,
    #[serde(default)]
    error: String,
    #[serde(default)]
    create: Option<DateTime<Utc>>,
    #[serde(default)]
    update: Option<DateTime<Utc>>,
}

/// aria2 download status of Cloudreve 3 (`models/download.go`).
fn status_of(code: i64) -> (TaskStatus, &'static str) {
    match code {
        0 => (TaskStatus::Queued, "ready"),
        1 => (TaskStatus::Processing, "downloading"),
        2 => (TaskStatus::Suspending, "paused"),
        3 => (TaskStatus::Error, "error"),
        4 => (TaskStatus::Completed, "complete"),
        5 => (TaskStatus::Canceled, "canceled"),
        _ => (TaskStatus::Unknown, "unknown"),
    }
}

fn task_of(w: DownloadWire) -> Task {
    let (status, state) = status_of(w.status);
    let id = w
        .gid
        .filter(|g| !g.is_empty())
        .or(w.info.map(|i| i.gid))
        .unwrap_or_default();
    let downloaded = w.downloaded.unwrap_or(if status == TaskStatus::Completed {
        w.total
    } else {
        0
    });
    Task {
        id,
        task_type: "remote_download".into(),
        status,
        phase: None,
        error: Some(w.error).filter(|e| !e.is_empty()),
        created_at: w.create,
        updated_at: w.update,
        source: None,
        destination: Some(w.dst),
        download: Some(DownloadStatus {
            name: w.name,
            state: state.into(),
            total: w.total,
            downloaded,
            speed: w.speed,
        }),
        // aria2 tasks report neither a run time nor items left out.
        duration_ms: None,
        failed: None,
    }
}

impl CloudreveV3 {
    async fn aria2_page(&self, list: &str, page: u64) -> Result<Vec<Task>> {
        let items: Vec<DownloadWire> = self
            .api
            .call(
                Method::GET,
                &format!("aria2/{list}?page={page}"),
                Body::None,
            )
            .await?;
        Ok(items.into_iter().map(task_of).collect())
    }

    pub(super) async fn list_tasks_impl(
        &self,
        category: TaskCategory,
        cursor: Option<&str>,
    ) -> Result<TaskPage> {
        let list = match category {
            TaskCategory::Downloading => "downloading",
            TaskCategory::Downloaded => "finished",
            // v3 has no archive or extract tasks Cirrus can start.
            TaskCategory::General => {
                return Ok(TaskPage {
                    tasks: vec![],
                    next_cursor: None,
                });
            }
        };
        let page: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(1).max(1);
        let tasks = self.aria2_page(list, page).await?;
        let more = tasks.len() >= PAGE_SIZE;
        Ok(TaskPage {
            tasks,
            next_cursor: more.then(|| (page + 1).to_string()),
        })
    }

    pub(super) async fn remote_download_impl(
        &self,
        urls: &[String],
        dest: &RemoteRef,
    ) -> Result<Vec<Task>> {
        let dst = V3Ref::parse(dest)?;
        let before: Vec<String> = self
            .aria2_page("downloading", 1)
            .await?
            .into_iter()
            .map(|t| t.id)
            .collect();
        let results: serde_json::Value = self
            .api
            .call(
                Method::POST,
                "aria2/url",
                Body::Json(json!({ "url": urls, "dst": dst.path })),
            )
            .await?;
        // 3.8 answers one `{code, msg}` per URL.
        if let Some(list) = results.as_array() {
            let failed: Vec<Error> = list
                .iter()
                .filter_map(|r| {
                    let code = r.get("code")?.as_i64()?;
                    (code != 0).then(|| code_error(code, r["msg"].as_str().unwrap_or("")))
                })
                .collect();
            if failed.len() == list.len()
                && let Some(e) = failed.into_iter().next()
            {
                return Err(e);
            }
        }
        let mut added: Vec<Task> = vec![];
        for list in ["downloading", "finished"] {
            added.extend(
                self.aria2_page(list, 1)
                    .await?
                    .into_iter()
                    .filter(|t| !before.contains(&t.id))
                    .filter(|t| t.destination.as_deref() == Some(dst.path.as_str())),
            );
            if !added.is_empty() {
                break;
            }
        }
        if urls.len() == 1
            && let [t] = added.as_mut_slice()
        {
            t.source = Some(urls[0].clone());
        }
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aria2_entries_decode_from_both_lists() {
        let d: DownloadWire = serde_json::from_value(json!({
            "update": "2023-10-07T12:00:00+08:00", "interval": 10, "name": "a.bin",
            "status": 1, "dst": "/dl", "total": 100, "downloaded": 40, "speed": 5,
            "info": {"gid": "ab12", "status": "active", "files": []}, "node": "Master"
        }))
        .unwrap();
        let t = task_of(d);
        assert_eq!(t.id, "ab12");
        assert_eq!(t.status, TaskStatus::Processing);
        assert_eq!(t.download.as_ref().unwrap().downloaded, 40);
        let f: DownloadWire = serde_json::from_value(json!({
            "name": "a.bin", "gid": "cd34", "status": 4, "dst": "/dl", "error": "",
            "total": 100, "files": [], "task_status": 3, "task_error": "",
            "create": "2023-10-07T12:00:00Z", "update": "2023-10-07T12:00:01Z"
        }))
        .unwrap();
        let t = task_of(f);
        assert_eq!((t.id.as_str(), t.status), ("cd34", TaskStatus::Completed));
        assert_eq!(t.download.unwrap().downloaded, 100);
        assert_eq!(status_of(3).0, TaskStatus::Error);
    }
}
