//! Share and server-task commands.

use std::time::Duration;

use cirrus_core::provider::*;
use cirrus_core::{Cirrus, Error};
use serde_json::json;

use crate::args::{Category, ShareAction, ShareArgs, ShareLimits, TasksAction, TasksArgs};
use crate::drive_cmds::provider;
use crate::exit;
use crate::output::{Out, share_text, task_text};

fn limits(l: &ShareLimits) -> ShareOptions {
    ShareOptions {
        expires_in_secs: l.expires,
        download_limit: l.downloads,
        ..Default::default()
    }
}

/// One of the user's shares, by id.
async fn find_share(p: &dyn Provider, id: &str) -> Result<Share, Error> {
    let mut cursor: Option<String> = None;
    loop {
        let page = p.list_shares(cursor.as_deref()).await?;
        if let Some(s) = page.shares.into_iter().find(|s| s.id == id) {
            return Ok(s);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => {
                return Err(Error::with_message(
                    cirrus_core::ErrorKind::NotFound,
                    format!("No share with id {id}."),
                ));
            }
        }
    }
}

pub async fn share(
    cirrus: &Cirrus,
    account: Option<&str>,
    s: ShareArgs,
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    if !p.capabilities().shares {
        return Err(Error::unsupported("share links"));
    }
    match s.action {
        ShareAction::Create {
            path,
            password,
            random_password,
            limits: l,
        } => {
            let item = p.resolve_path(&path).await?;
            let opts = ShareOptions {
                password: if random_password {
                    Some(String::new())
                } else {
                    password
                },
                ..limits(&l)
            };
            let share = p.create_share(&item, &opts).await?;
            out.print(
                &json!({ "share": share, "linkText": share.link_text() }),
                || share.link_text(),
            );
        }
        ShareAction::List => {
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = p.list_shares(cursor.as_deref()).await?;
                all.extend(page.shares);
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            out.print(&all, || {
                all.iter().map(share_text).collect::<Vec<_>>().join("\n")
            });
        }
        ShareAction::Edit {
            id,
            path,
            limits: l,
        } => {
            let item = p.resolve_path(&path).await?;
            // The server replaces every limit on edit: what was not asked to change is sent
            // again as it is now, so changing one limit never drops the others.
            let current = find_share(p.as_ref(), &id).await?;
            let mut opts = current.options_now(chrono::Utc::now());
            if let Some(e) = l.expires {
                opts.expires_in_secs = Some(e);
            }
            if let Some(d) = l.downloads {
                opts.download_limit = Some(d);
            }
            if l.no_expiry {
                opts.expires_in_secs = None;
            }
            if l.no_download_limit {
                opts.download_limit = None;
            }
            let share = p.edit_share(&id, &item, &opts).await?;
            out.print(&share, || share_text(&share));
        }
        ShareAction::Rm { id } => {
            p.delete_share(&id).await?;
            out.print(&json!({ "deleted": id }), || format!("Deleted share {id}."));
        }
    }
    Ok(exit::OK)
}

pub async fn tasks(
    cirrus: &Cirrus,
    account: Option<&str>,
    t: TasksArgs,
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    match t.action {
        TasksAction::Archive { paths, to, name } => {
            let mut items = Vec::new();
            for path in &paths {
                items.push(p.resolve_path(path).await?);
            }
            let task = p
                .create_archive(&items, &p.resolve_path(&to).await?, &name)
                .await?;
            out.print(&task, || task_text(&task));
        }
        TasksAction::Extract {
            path,
            to,
            password,
            encoding,
        } => {
            let opts = ExtractOptions { password, encoding };
            let task = p
                .extract_archive(
                    &p.resolve_path(&path).await?,
                    &p.resolve_path(&to).await?,
                    &opts,
                )
                .await?;
            out.print(&task, || task_text(&task));
        }
        TasksAction::Download { urls, to } => {
            let tasks = p
                .remote_download(&urls, &p.resolve_path(&to).await?)
                .await?;
            out.print(&tasks, || {
                tasks.iter().map(task_text).collect::<Vec<_>>().join("\n")
            });
        }
        TasksAction::List { category } => {
            let cat = match category {
                Category::General => TaskCategory::General,
                Category::Downloading => TaskCategory::Downloading,
                Category::Downloaded => TaskCategory::Downloaded,
            };
            let mut all = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let page = p.list_tasks(cat, cursor.as_deref()).await?;
                all.extend(page.tasks);
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            out.print(&all, || {
                all.iter().map(task_text).collect::<Vec<_>>().join("\n")
            });
        }
        TasksAction::Watch { id, interval } => return watch(p.as_ref(), &id, interval, out).await,
        TasksAction::Cancel { id } => {
            p.cancel_task(&id).await?;
            out.print(&json!({ "canceled": id }), || {
                format!("Cancelled task {id}.")
            });
        }
    }
    Ok(exit::OK)
}

/// Poll a task until it finishes; with `--json` one JSON line per poll (progress), then the task.
async fn watch(p: &dyn Provider, id: &str, interval: u64, out: Out) -> Result<i32, Error> {
    loop {
        let task = find_task(p, id).await?;
        let progress = p.task_progress(id).await.unwrap_or_default();
        if out.json {
            println!("{}", json!({ "task": task, "progress": progress }));
        } else {
            let mut line = task_text(&task);
            for item in &progress.items {
                line.push_str(&format!("  {} {}/{}", item.name, item.current, item.total));
            }
            eprintln!("{line}");
        }
        if task.status.is_finished() {
            return Ok(if task.status == TaskStatus::Completed {
                exit::OK
            } else {
                exit::SERVER
            });
        }
        tokio::time::sleep(Duration::from_secs(interval.max(1))).await;
    }
}

async fn find_task(p: &dyn Provider, id: &str) -> Result<Task, Error> {
    for cat in [
        TaskCategory::General,
        TaskCategory::Downloading,
        TaskCategory::Downloaded,
    ] {
        let mut cursor: Option<String> = None;
        loop {
            let page = p.list_tasks(cat, cursor.as_deref()).await?;
            if let Some(t) = page.tasks.into_iter().find(|t| t.id == id) {
                return Ok(t);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
    }
    Err(Error::with_message(
        cirrus_core::ErrorKind::NotFound,
        format!("No task {id}."),
    ))
}
