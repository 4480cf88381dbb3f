//! Reacts to transfer events app-wide: keeps the tray current (at most a few times a second),
//! refreshes listings when uploads land, and notifies when a transfer finishes or fails.

use crate::state::AppState;
use cirrus_core::settings::Language;
use cirrus_core::transfer::{Direction, ItemState, TransferEvent};
use std::time::{Duration, Instant};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt;

/// Minimum time between two tray updates.
const TRAY_INTERVAL: Duration = Duration::from_millis(500);

/// Starts the watcher task for the app's lifetime.
pub fn start<R: Runtime>(app: AppHandle<R>) {
    let mut rx = app.state::<AppState>().hub.subscribe();
    tauri::async_runtime::spawn(async move {
        use tokio::sync::broadcast::error::RecvError;
        let mut last_tray = Instant::now() - TRAY_INTERVAL;
        let mut batch = NotificationBatch::default();
        let mut flush_at: Option<tokio::time::Instant> = None;
        loop {
            let due = async {
                match flush_at {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            };
            let hub_event = tokio::select! {
                r = rx.recv() => match r {
                    Ok(e) => e,
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => break,
                },
                () = due => {
                    flush_at = None;
                    let zh = app.state::<AppState>().settings().language == Language::ZhCn;
                    if let Some((title, body)) = batch.take(zh) {
                        notify(&app, title, body);
                    }
                    continue;
                }
            };
            let Some(e) = hub_event.event.item() else {
                // Many items paused or resumed at once: nothing to notify, and the tray must
                // show it even if it was refreshed a moment ago (no event may follow).
                last_tray = Instant::now();
                crate::tray::refresh(&app);
                continue;
            };
            let finished = matches!(e.state, ItemState::Completed | ItemState::Failed);
            if finished && e.direction == Direction::Upload {
                app.state::<AppState>()
                    .invalidate(&hub_event.account_id)
                    .await;
            }
            if batch.push(e) {
                let now = tokio::time::Instant::now();
                flush_at = Some(batch.flush_at(now));
            }
            if finished || last_tray.elapsed() >= TRAY_INTERVAL {
                last_tray = Instant::now();
                crate::tray::refresh(&app);
            }
        }
    });
}

/// A finished transfer is announced once nothing else finished for this long...
const NOTIFY_QUIET: Duration = Duration::from_secs(2);
/// ...or at the latest this long after the first one waiting, so a long run still says
/// something now and then instead of once per file.
const NOTIFY_MAX_WAIT: Duration = Duration::from_secs(60);

/// Finished top-level transfers waiting to be announced together: a drop of 10 000 files
/// gives a handful of notifications, not 10 000.
#[derive(Default)]
pub struct NotificationBatch {
    first: Option<TransferEvent>,
    done: usize,
    failed: usize,
    first_failure: Option<TransferEvent>,
    since: Option<tokio::time::Instant>,
}

impl NotificationBatch {
    /// Counts `e` if it deserves a notification (see [`transfer_notification`]).
    pub fn push(&mut self, e: &TransferEvent) -> bool {
        if transfer_notification(e, false).is_none() {
            return false;
        }
        if self.first.is_none() {
            self.first = Some(e.clone());
        }
        if e.state == ItemState::Completed {
            self.done += 1;
        } else {
            self.failed += 1;
            self.first_failure.get_or_insert_with(|| e.clone());
        }
        true
    }

    /// When to announce what is waiting, given that the last push was at `now`.
    pub fn flush_at(&mut self, now: tokio::time::Instant) -> tokio::time::Instant {
        let since = *self.since.get_or_insert(now);
        (now + NOTIFY_QUIET).min(since + NOTIFY_MAX_WAIT)
    }

    /// The one notification for everything waiting (and forgets it), or `None` if nothing is.
    pub fn take(&mut self, zh: bool) -> Option<(String, String)> {
        let batch = std::mem::take(self);
        let first = batch.first?;
        if batch.done + batch.failed == 1 {
            return transfer_notification(&first, zh);
        }
        let title = match (batch.failed, zh) {
            (0, false) => format!("{} transfers finished", batch.done),
            (0, true) => format!("{} 个传输已完成", batch.done),
            (f, false) => format!("{} transfers finished, {f} failed", batch.done),
            (f, true) => format!("{} 个传输已完成，{f} 个失败", batch.done),
        };
        let body = match batch.first_failure {
            Some(failure) => transfer_notification(&failure, zh)
                .map(|(_, b)| b)
                .unwrap_or_default(),
            None if zh => format!("{} 等", first.name),
            None => format!("{} and others", first.name),
        };
        Some((title, body))
    }
}

/// The desktop notification for a transfer event, if it deserves one: a whole batch (a
/// top-level item: one file, or a folder with everything in it) finished or failed. The
/// files inside a folder do not notify one by one.
pub fn transfer_notification(e: &TransferEvent, zh: bool) -> Option<(String, String)> {
    if !matches!(e.state, ItemState::Completed | ItemState::Failed) || e.parent_id.is_some() {
        return None;
    }
    let name = e.name.as_str();
    let error = e.error.as_deref();
    Some(match (e.state, zh) {
        (ItemState::Completed, false) => ("Transfer finished".to_string(), name.to_string()),
        (ItemState::Completed, true) => ("传输完成".to_string(), name.to_string()),
        (_, false) => (
            "Transfer failed".to_string(),
            format!("{name}: {}", error.unwrap_or("unknown error")),
        ),
        (_, true) => (
            "传输失败".to_string(),
            format!("{name}：{}", error.unwrap_or("未知错误")),
        ),
    })
}

fn notify<R: Runtime>(app: &AppHandle<R>, title: String, body: String) {
    // Without a notification daemon (headless sessions) this fails; the transfer list still shows it.
    if let Err(e) = app.notification().builder().title(title).body(body).show() {
        tracing::debug!("notification not shown: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cirrus_core::transfer::{Progress, TransferPhase};

    fn finished(id: i64, name: &str, state: ItemState, parent: Option<i64>) -> TransferEvent {
        TransferEvent {
            id,
            parent_id: parent,
            direction: Direction::Upload,
            name: name.to_string(),
            state,
            progress: Progress::default(),
            error: (state == ItemState::Failed).then(|| "disk full".to_string()),
            phase: TransferPhase::default(),
            checked_bytes: 0,
        }
    }

    #[test]
    fn one_finished_transfer_reads_as_before() {
        let mut b = NotificationBatch::default();
        assert!(b.push(&finished(1, "a.txt", ItemState::Completed, None)));
        assert_eq!(
            b.take(false),
            Some(("Transfer finished".to_string(), "a.txt".to_string()))
        );
        assert_eq!(b.take(false), None, "taken once");
    }

    #[test]
    fn many_finished_transfers_make_one_notification() {
        let mut b = NotificationBatch::default();
        for i in 0..10_000 {
            b.push(&finished(i, &format!("f{i}"), ItemState::Completed, None));
        }
        // Files inside a folder and running items are not counted.
        assert!(!b.push(&finished(20_000, "inner", ItemState::Completed, Some(1))));
        assert!(!b.push(&finished(20_001, "busy", ItemState::Running, None)));
        b.push(&finished(20_002, "big.iso", ItemState::Failed, None));
        assert_eq!(
            b.take(false),
            Some((
                "10000 transfers finished, 1 failed".to_string(),
                "big.iso: disk full".to_string()
            ))
        );
        for i in 0..3 {
            b.push(&finished(i, &format!("g{i}"), ItemState::Completed, None));
        }
        assert_eq!(
            b.take(true),
            Some(("3 个传输已完成".to_string(), "g0 等".to_string()))
        );
    }

    #[test]
    fn a_steady_stream_is_announced_at_most_once_a_minute() {
        let mut b = NotificationBatch::default();
        let t0 = tokio::time::Instant::now();
        assert_eq!(b.flush_at(t0), t0 + NOTIFY_QUIET);
        // Pushed every second for two minutes: the deadline never passes first + the cap.
        let late = b.flush_at(t0 + Duration::from_secs(120));
        assert_eq!(late, t0 + NOTIFY_MAX_WAIT);
        b.push(&finished(1, "a", ItemState::Completed, None));
        b.take(false);
        let t1 = t0 + Duration::from_secs(200);
        assert_eq!(
            b.flush_at(t1),
            t1 + NOTIFY_QUIET,
            "a new batch starts its own clock"
        );
    }
}
