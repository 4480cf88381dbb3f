//! Offline downloads: 123pan fetches an http(s) URL into a folder. The API starts a task and
//! reports one task's progress (`process` 0–100 and a status); it cannot list tasks, so the
//! tasks view shows those started from this Cirrus session.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::*;

use super::Pan123;

/// A task started here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Started {
    id: i64,
    url: String,
    name: String,
    folder: i64,
    destination: String,
    created_at: DateTime<Utc>,
}

#[derive(Debug, Deserialize)]
struct CreatedWire {
    #[serde(rename = "taskID", alias = "taskId")]
    task_id: i64,
}

#[derive(Debug, Deserialize)]
struct ProcessWire {
    #[serde(default)]
    process: f64,
    #[serde(default)]
    status: i64,
}

/// 0 running, 1 failed, 2 done, 3 retrying (not final).
fn status_of(code: i64) -> (TaskStatus, &'static str) {
    match code {
        0 => (TaskStatus::Processing, "downloading"),
        1 => (TaskStatus::Error, "failed"),
        2 => (TaskStatus::Completed, "complete"),
        3 => (TaskStatus::Processing, "retrying"),
        _ => (TaskStatus::Unknown, "unknown"),
    }
}

/// The file name a URL's last path segment gives (decoded), if any.
fn name_from_url(url: &url::Url) -> Option<String> {
    let seg = url.path_segments()?.next_back()?;
    let name = percent_encoding::percent_decode_str(seg)
        .decode_utf8_lossy()
        .to_string();
    (!name.is_empty() && super::files::check_name(&name).is_ok()).then_some(name)
}

fn task_of(s: &Started, p: Option<&ProcessWire>) -> Task {
    let (status, state) = p.map_or((TaskStatus::Queued, "queued"), |p| status_of(p.status));
    Task {
        id: s.id.to_string(),
        task_type: "remote_download".into(),
        status,
        phase: p.map(|p| format!("{}%", p.process.round())),
        error: (status == TaskStatus::Error).then(|| "123pan could not download the URL.".into()),
        created_at: Some(s.created_at),
        updated_at: None,
        source: Some(s.url.clone()),
        destination: Some(s.destination.clone()),
        // 123pan reports a percentage, not bytes.
        download: Some(DownloadStatus {
            name: s.name.clone(),
            state: state.into(),
            total: 0,
            downloaded: 0,
            speed: 0,
        }),
        duration_ms: None,
        failed: None,
    }
}

impl Pan123 {
    pub(super) async fn remote_download_impl(
        &self,
        urls: &[String],
        dest: &RemoteRef,
    ) -> Result<Vec<Task>> {
        let (folder, destination) = self.folder_id(dest).await?;
        if folder == 0 {
            return Err(Error::invalid(
                "123pan cannot download into the root folder; choose a folder.",
            ));
        }
        let mut parsed = vec![];
        for u in urls {
            match url::Url::parse(u.trim()) {
                Ok(p) if p.scheme() == "http" || p.scheme() == "https" => parsed.push(p),
                _ => {
                    return Err(Error::invalid(format!(
                        "123pan downloads http(s) links only: {u}"
                    )));
                }
            }
        }
        let mut out = vec![];
        for url in parsed {
            let name = name_from_url(&url);
            let mut body = json!({ "url": url.as_str(), "dirID": folder });
            if let Some(n) = &name {
                body["fileName"] = json!(n);
            }
            let w: CreatedWire = self.api.post("/api/v1/offline/download", &body).await?;
            let s = Started {
                id: w.task_id,
                url: url.to_string(),
                name: name.unwrap_or_default(),
                folder,
                destination: destination.clone(),
                created_at: Utc::now(),
            };
            out.push(task_of(&s, None));
            self.remember_state(|r| {
                r.tasks.push(s);
                let extra = r.tasks.len().saturating_sub(super::state::MAX_TASKS);
                r.tasks.drain(..extra);
                true
            });
        }
        Ok(out)
    }

    async fn process(&self, id: i64) -> Result<ProcessWire> {
        self.api
            .get(
                "/api/v1/offline/download/process",
                &[("taskID", id.to_string())],
            )
            .await
    }

    fn started(&self) -> Vec<Started> {
        self.remembered().tasks
    }

    pub(super) async fn list_tasks_impl(&self, category: TaskCategory) -> Result<TaskPage> {
        if category == TaskCategory::General {
            // No archive or extract tasks on 123pan.
            return Ok(TaskPage {
                tasks: vec![],
                next_cursor: None,
            });
        }
        let mut tasks = vec![];
        for s in self.started().iter().rev() {
            let p = self.process(s.id).await?;
            let t = task_of(s, Some(&p));
            if t.status == TaskStatus::Completed {
                // A new file arrived in the folder behind the cache's back.
                self.cache.stale(s.folder);
            }
            let finished = t.status.is_finished();
            if finished == (category == TaskCategory::Downloaded) {
                tasks.push(t);
            }
        }
        Ok(TaskPage {
            tasks,
            next_cursor: None,
        })
    }

    pub(super) async fn task_progress_impl(&self, id: &str) -> Result<TaskProgress> {
        let s = self
            .started()
            .into_iter()
            .find(|s| s.id.to_string() == id)
            .ok_or_else(|| Error::with_message(ErrorKind::NotFound, "No such task."))?;
        let p = self.process(s.id).await?;
        Ok(TaskProgress {
            items: vec![ProgressItem {
                name: "download".into(),
                current: p.process.clamp(0.0, 100.0) as u64,
                total: 100,
                identifier: s.url,
            }],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_names() {
        assert_eq!(status_of(2).0, TaskStatus::Completed);
        assert_eq!(status_of(3).0, TaskStatus::Processing);
        assert!(status_of(1).0.is_finished());
        let u = url::Url::parse("http://h/files/data%20set.bin").unwrap();
        assert_eq!(name_from_url(&u).as_deref(), Some("data set.bin"));
        assert_eq!(name_from_url(&url::Url::parse("http://h/").unwrap()), None);
    }
}
