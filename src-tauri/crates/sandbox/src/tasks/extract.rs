//! `extract_archive`: unpack a zip from the drive into a folder (zip only; `encoding` and
//! `password` are accepted and ignored).

use std::io::{Cursor, Read};
use std::sync::Arc;

use super::{Progress, Stop, TaskStatus};
use crate::app::App;
use crate::store::Id;
use crate::uri::CrUri;

/// What to extract.
pub struct ExtractJob {
    pub task: Id,
    pub owner: Id,
    pub src: CrUri,
    pub dst: CrUri,
    /// Only entries under one of these paths (all when empty).
    pub file_mask: Vec<String>,
}

/// Run the job to completion and record the outcome.
pub async fn run(app: Arc<App>, job: ExtractJob) {
    let r = run_inner(&app, &job).await;
    app.tasks.finish(job.task, r);
}

fn wanted(mask: &[String], name: &str) -> bool {
    mask.is_empty()
        || mask.iter().any(|m| {
            let m = m.trim_matches('/');
            name == m || name.starts_with(&format!("{m}/"))
        })
}

async fn run_inner(app: &Arc<App>, job: &ExtractJob) -> Result<(), Stop> {
    let tasks = &app.tasks;
    let id = job.task;
    tasks.step(id).await?;
    tasks.set_phase(id, TaskStatus::Processing, "");
    let file = app
        .store()
        .resolve(job.owner, &job.src)
        .ok()
        .flatten()
        .ok_or_else(|| "failed to get archive file: Path not exist".to_string())?;
    let data = app.read_file(file).await?;
    // Unpack in memory first: the zip reader is synchronous and not Send across awaits.
    let entries: Vec<(String, Option<Vec<u8>>)> = {
        let mut z = zip::ZipArchive::new(Cursor::new(data))
            .map_err(|e| format!("failed to open archive: {e}"))?;
        let mut out = Vec::new();
        for i in 0..z.len() {
            let mut f = z.by_index(i).map_err(|e| format!("bad zip entry: {e}"))?;
            // enclosed_name rejects `..` and absolute paths (zip slip).
            let Some(p) = f.enclosed_name() else { continue };
            let name = p.to_string_lossy().replace('\\', "/");
            let name = name.trim_matches('/').to_string();
            if name.is_empty() || !wanted(&job.file_mask, &name) {
                continue;
            }
            if f.is_dir() {
                out.push((name, None));
            } else {
                let mut buf = Vec::with_capacity(f.size() as usize);
                f.read_to_end(&mut buf)
                    .map_err(|e| format!("failed to read {name}: {e}"))?;
                out.push((name, Some(buf)));
            }
        }
        out
    };
    let size: usize = entries
        .iter()
        .filter_map(|(_, d)| d.as_ref().map(Vec::len))
        .sum();
    tasks.set_progress(
        id,
        "extract_count",
        Progress {
            total: entries.len() as i64,
            ..Progress::default()
        },
    );
    tasks.set_progress(
        id,
        "extract_size",
        Progress {
            total: size as i64,
            ..Progress::default()
        },
    );
    for (name, content) in entries {
        let mut dst = job.dst.clone();
        dst.segments.extend(name.split('/').map(str::to_string));
        match content {
            None => {
                let mut store = app.store();
                let root = store.users[&job.owner].root;
                store
                    .ensure_folders(job.owner, root, &dst.segments, chrono::Utc::now())
                    .map_err(|e| format!("failed to create folder {name}: {}", e.msg))?;
            }
            Some(d) => {
                let len = d.len() as i64;
                app.write_new_file(job.owner, &dst, d)
                    .await
                    .map_err(|e| format!("failed to extract {name}: {e}"))?;
                tasks.advance(id, "extract_size", len);
            }
        }
        tasks.advance(id, "extract_count", 1);
        tasks.step(id).await?;
    }
    Ok(())
}
