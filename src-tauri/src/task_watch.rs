//! Announces the end of server tasks while the window is hidden: every few seconds, and only
//! while some task is being watched, the accounts with running tasks are asked for their task
//! lists; a watched task that has finished raises a desktop notification if nobody can see
//! the window (when it is shown, the tasks page says it).

use crate::commands::tasks::{list_all, summary};
use crate::state::{AppState, lock};
use cirrus_core::provider::{Task, TaskCategory, TaskStatus};
use std::time::Duration;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

/// How often watched tasks are checked.
const INTERVAL: Duration = Duration::from_secs(3);

/// Lists the tasks of every account with watched tasks and returns `(account, task)` for each
/// watched task that has ended since the last look. Accounts that cannot be reached keep their
/// tasks watched for the next round.
pub async fn poll(state: &AppState) -> Vec<(String, Task)> {
    let accounts = lock(&state.task_watch).accounts();
    let mut ended = Vec::new();
    for account in accounts {
        let Ok(provider) = state.provider(&account).await else {
            continue;
        };
        let mut tasks = Vec::new();
        let mut complete = true;
        // A finished remote download moves from "downloading" to "downloaded".
        for category in [
            TaskCategory::General,
            TaskCategory::Downloading,
            TaskCategory::Downloaded,
        ] {
            match list_all(provider.as_ref(), category).await {
                Ok(list) => tasks.extend(list),
                Err(_) => complete = false,
            }
        }
        let mut watch = lock(&state.task_watch);
        ended.extend(
            watch
                .observe(&account, &tasks)
                .into_iter()
                .map(|t| (account.clone(), t)),
        );
        if complete {
            let present: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
            watch.forget_missing(&account, &present);
        }
    }
    ended
}

/// The notification's title and body for a task that ended, in the app's language.
pub fn notification_text(task: &Task, zh: bool) -> (String, String) {
    let ok = task.status == TaskStatus::Completed;
    let title = match (ok, zh) {
        (true, false) => "Server task finished",
        (true, true) => "服务器任务已完成",
        (false, false) => "Server task did not finish",
        (false, true) => "服务器任务未完成",
    };
    let mut body = summary(task);
    if let Some(e) = task.error.as_deref().filter(|_| !ok) {
        body = format!("{body}\n{e}");
    }
    (title.to_string(), body)
}

/// Starts the watch for the app's lifetime.
pub fn start<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(INTERVAL).await;
            let state = app.state::<AppState>();
            if lock(&state.task_watch).is_empty() {
                continue;
            }
            let ended = poll(&state).await;
            let hidden = app
                .get_webview_window("main")
                .is_none_or(|w| !w.is_visible().unwrap_or(false));
            if !hidden {
                continue;
            }
            let zh = state.settings().language == cirrus_core::settings::Language::ZhCn;
            for (_, task) in ended {
                let (title, body) = notification_text(&task, zh);
                // Without a notification daemon (headless sessions) this fails quietly.
                if let Err(e) = app.notification().builder().title(title).body(body).show() {
                    tracing::debug!("notification not shown: {e}");
                }
            }
        }
    });
}
