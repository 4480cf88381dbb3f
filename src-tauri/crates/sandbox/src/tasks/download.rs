//! `remote_download`: fetch an `http(s)://` URL into a folder of the drive. Phases follow the
//! aria2-backed task: `""` → `monitor` (suspending while downloading) → `transfer` → `seeding`.

use std::sync::Arc;
use std::time::Instant;

use futures::StreamExt;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use super::{Progress, Stop, TaskStatus};
use crate::app::App;
use crate::store::Id;
use crate::uri::CrUri;

/// What to download.
pub struct DownloadJob {
    pub task: Id,
    pub owner: Id,
    pub url: String,
    pub dst: CrUri,
}

/// Run the job to completion and record the outcome.
pub async fn run(app: Arc<App>, job: DownloadJob) {
    let r = run_inner(&app, &job).await;
    // A cancelled download leaves the last status with state "error" like aria2's removal.
    app.tasks.finish(job.task, r);
}

/// File name the downloader would pick: the last URL path segment.
fn file_name(url: &url::Url) -> String {
    let last = url
        .path_segments()
        .and_then(|mut s| s.next_back())
        .unwrap_or("");
    let name = percent_decode_str(last).decode_utf8_lossy().into_owned();
    if name.is_empty() {
        "index.html".into()
    } else {
        name
    }
}

fn status(name: &str, state: &str, total: u64, done: u64, speed: u64) -> Value {
    let progress = if total > 0 {
        done as f64 / total as f64
    } else {
        0.0
    };
    json!({
        "name": name, "state": state, "total": total, "downloaded": done,
        "download_speed": speed, "uploaded": 0, "upload_speed": 0,
        "files": [{"index": 0, "name": name, "size": total, "progress": progress, "selected": true}],
    })
}

async fn run_inner(app: &Arc<App>, job: &DownloadJob) -> Result<(), Stop> {
    let tasks = &app.tasks;
    let id = job.task;
    let url = url::Url::parse(&job.url).map_err(|e| format!("invalid url: {e}"))?;
    let name = file_name(&url);
    let cancel = tasks
        .update(id, |t| t.cancel.clone())
        .ok_or(Stop::Canceled)?;
    tasks.step(id).await?;
    tasks.set_phase(id, TaskStatus::Processing, "");
    tasks.set_phase(id, TaskStatus::Suspending, "monitor");
    let set_status = |v: Value| {
        tasks.update(id, |t| t.props.insert("download".into(), v));
    };
    let fetch = async {
        let resp = reqwest::Client::new()
            .get(url.clone())
            .send()
            .await
            .map_err(|e| format!("failed to start download: {e}"))?;
        if !resp.status().is_success() {
            set_status(status(&name, "error", 0, 0, 0));
            return Err(format!(
                "download task failed with state \"error\", errorMsg: HTTP {}",
                resp.status()
            ));
        }
        let total = resp.content_length().unwrap_or(0);
        let started = Instant::now();
        let mut data = Vec::with_capacity(total as usize);
        set_status(status(&name, "downloading", total, 0, 0));
        let mut body = resp.bytes_stream();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| format!("download interrupted: {e}"))?;
            data.extend_from_slice(&chunk);
            let secs = started.elapsed().as_secs_f64().max(0.001);
            let speed = (data.len() as f64 / secs) as u64;
            set_status(status(
                &name,
                "downloading",
                total.max(data.len() as u64),
                data.len() as u64,
                speed,
            ));
        }
        let n = data.len() as u64;
        set_status(status(&name, "completed", n, n, 0));
        Ok::<Vec<u8>, String>(data)
    };
    let data = tokio::select! {
        _ = cancel.cancelled() => return Err(Stop::Canceled),
        r = fetch => r?,
    };
    tasks.step(id).await?;
    tasks.set_phase(id, TaskStatus::Processing, "transfer");
    let total = data.len() as i64;
    let dst = job.dst.join(&name);
    tasks.set_progress(
        id,
        "upload_count",
        Progress {
            total: 1,
            ..Progress::default()
        },
    );
    tasks.set_progress(
        id,
        "upload",
        Progress {
            total,
            ..Progress::default()
        },
    );
    tasks.set_progress(
        id,
        "upload_single_0",
        Progress {
            total,
            current: 0,
            identifier: dst.to_string(),
        },
    );
    tasks.step(id).await?;
    if let Err(e) = app.write_new_file(job.owner, &dst, data).await {
        tasks.update(id, |t| t.props.insert("failed".into(), json!(1)));
        return Err(Stop::Failed(format!("failed to transfer {name}: {e}")));
    }
    tasks.advance(id, "upload", total);
    tasks.advance(id, "upload_count", 1);
    tasks.advance(id, "upload_single_0", total);
    tasks.set_phase(id, TaskStatus::Suspending, "seeding");
    tasks.step(id).await?;
    Ok(())
}
