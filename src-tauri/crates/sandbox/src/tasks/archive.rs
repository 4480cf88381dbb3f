//! `create_archive`: zip the sources into a new file at `dst` (phases `not_started` →
//! `compress_files` → `upload_archive`).

use std::io::{Cursor, Write};
use std::sync::Arc;

use serde_json::json;
use zip::write::SimpleFileOptions;

use super::{Progress, Stop, TaskStatus};
use crate::app::App;
use crate::store::Id;
use crate::uri::CrUri;

/// What to archive.
pub struct ArchiveJob {
    pub task: Id,
    pub owner: Id,
    pub sources: Vec<CrUri>,
    pub dst: CrUri,
}

enum Entry {
    Folder(String),
    File(String, Id, u64),
}

/// Run the job to completion and record the outcome.
pub async fn run(app: Arc<App>, job: ArchiveJob) {
    let r = run_inner(&app, &job).await;
    app.tasks.finish(job.task, r);
}

/// Files and folders below the sources, with their paths inside the zip.
fn collect(app: &App, job: &ArchiveJob) -> (Vec<Entry>, u64) {
    let store = app.store();
    let mut out = Vec::new();
    let mut failed = 0;
    for src in &job.sources {
        let Ok(Some(id)) = store.resolve(job.owner, src) else {
            failed += 1;
            continue;
        };
        let mut stack = vec![(id, store.display_name(store.node(id)))];
        while let Some((cur, path)) = stack.pop() {
            let n = store.node(cur);
            if n.is_folder() {
                out.push(Entry::Folder(format!("{path}/")));
                if let Some(ch) = store.children.get(&cur) {
                    // Reverse so popping yields name order.
                    for (name, cid) in ch.folders.iter().chain(ch.files.iter()).rev() {
                        stack.push((*cid, format!("{path}/{name}")));
                    }
                }
            } else {
                out.push(Entry::File(path, cur, n.size));
            }
        }
    }
    (out, failed)
}

async fn run_inner(app: &Arc<App>, job: &ArchiveJob) -> Result<(), Stop> {
    let tasks = &app.tasks;
    let id = job.task;
    tasks.step(id).await?;
    tasks.set_phase(id, TaskStatus::Processing, "compress_files");
    let (entries, failed) = collect(app, job);
    tasks.update(id, |t| t.props.insert("failed".into(), json!(failed)));
    let files = entries
        .iter()
        .filter(|e| matches!(e, Entry::File(..)))
        .count();
    let bytes: u64 = entries
        .iter()
        .map(|e| match e {
            Entry::File(_, _, s) => *s,
            Entry::Folder(_) => 0,
        })
        .sum();
    tasks.set_progress(
        id,
        "archive_count",
        Progress {
            total: files as i64,
            ..Progress::default()
        },
    );
    tasks.set_progress(
        id,
        "archive_size",
        Progress {
            total: bytes as i64,
            ..Progress::default()
        },
    );
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for e in &entries {
        match e {
            Entry::Folder(p) => {
                zip.add_directory(p.as_str(), opts)
                    .map_err(|e| format!("failed to add folder: {e}"))?;
            }
            Entry::File(p, file, _) => {
                let data = app.read_file(*file).await?;
                zip.start_file(p.as_str(), opts)
                    .map_err(|e| format!("failed to add file: {e}"))?;
                zip.write_all(&data)
                    .map_err(|e| format!("failed to compress: {e}"))?;
                tasks.advance(id, "archive_count", 1);
                tasks.advance(id, "archive_size", data.len() as i64);
                tasks.step(id).await?;
            }
        }
    }
    let data = zip
        .finish()
        .map_err(|e| format!("failed to finish archive: {e}"))?
        .into_inner();
    tasks.update(id, |t| {
        t.progress.remove("archive_count");
        t.progress.remove("archive_size");
    });
    tasks.set_phase(id, TaskStatus::Processing, "upload_archive");
    let total = data.len() as i64;
    tasks.set_progress(
        id,
        "upload",
        Progress {
            total,
            ..Progress::default()
        },
    );
    tasks.step(id).await?;
    app.write_new_file(job.owner, &job.dst, data).await?;
    tasks.set_progress(
        id,
        "upload",
        Progress {
            total,
            current: total,
            ..Progress::default()
        },
    );
    Ok(())
}
