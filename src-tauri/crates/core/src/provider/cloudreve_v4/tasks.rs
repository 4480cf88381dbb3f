//! Server workflows (§10): archive, extract, remote download, list, progress, cancel.

use reqwest::Method;
use serde_json::json;
use std::collections::BTreeMap;

use crate::error::Result;
use crate::provider::model::*;

use super::CloudreveV4;
use super::api::Body;
use super::wire::{ProgressWire, TaskListWire, TaskWire};

impl CloudreveV4 {
    pub(super) async fn archive_impl(
        &self,
        items: &[RemoteRef],
        dst_file: &RemoteRef,
    ) -> Result<Task> {
        let src: Vec<&str> = items.iter().map(RemoteRef::as_str).collect();
        let body = json!({ "src": src, "dst": dst_file.as_str() });
        let t: TaskWire = self
            .api
            .call(Method::POST, "workflow/archive", &[], Body::Json(body))
            .await?;
        Ok(t.into_task())
    }

    pub(super) async fn extract_impl(
        &self,
        archive: &RemoteRef,
        dest: &RemoteRef,
        opts: &ExtractOptions,
    ) -> Result<Task> {
        let mut body = json!({ "src": [archive.as_str()], "dst": dest.as_str() });
        if let Some(e) = &opts.encoding {
            body["encoding"] = json!(e);
        }
        if let Some(p) = &opts.password {
            body["password"] = json!(p);
        }
        let t: TaskWire = self
            .api
            .call(Method::POST, "workflow/extract", &[], Body::Json(body))
            .await?;
        Ok(t.into_task())
    }

    pub(super) async fn remote_download_impl(
        &self,
        urls: &[String],
        dest: &RemoteRef,
    ) -> Result<Vec<Task>> {
        let body = json!({ "src": urls, "dst": dest.as_str() });
        let t: Vec<TaskWire> = self
            .api
            .call(Method::POST, "workflow/download", &[], Body::Json(body))
            .await?;
        Ok(t.into_iter().map(TaskWire::into_task).collect())
    }

    pub(super) async fn cancel_task_impl(&self, id: &str) -> Result<()> {
        self.api
            .call_unit(
                Method::DELETE,
                &format!("workflow/download/{id}"),
                &[],
                Body::None,
            )
            .await
    }

    pub(super) async fn list_tasks_impl(
        &self,
        category: TaskCategory,
        cursor: Option<&str>,
    ) -> Result<TaskPage> {
        let cat = match category {
            TaskCategory::General => "general",
            TaskCategory::Downloading => "downloading",
            TaskCategory::Downloaded => "downloaded",
        };
        let mut q: Vec<(&str, String)> =
            vec![("page_size", "100".into()), ("category", cat.into())];
        if let Some(c) = cursor {
            q.push(("next_page_token", c.to_string()));
        }
        let l: TaskListWire = self
            .api
            .call(Method::GET, "workflow", &q, Body::None)
            .await?;
        Ok(TaskPage {
            tasks: l.tasks.into_iter().map(TaskWire::into_task).collect(),
            next_cursor: l.pagination.next_token.filter(|t| !t.is_empty()),
        })
    }

    pub(super) async fn task_progress_impl(&self, id: &str) -> Result<TaskProgress> {
        let m: Option<BTreeMap<String, ProgressWire>> = self
            .api
            .call(
                Method::GET,
                &format!("workflow/progress/{id}"),
                &[],
                Body::None,
            )
            .await?;
        let items = m
            .unwrap_or_default()
            .into_iter()
            .map(|(name, p)| ProgressItem {
                name,
                current: p.current.max(0) as u64,
                total: p.total.max(0) as u64,
                identifier: p.identifier,
            })
            .collect();
        Ok(TaskProgress { items })
    }
}
