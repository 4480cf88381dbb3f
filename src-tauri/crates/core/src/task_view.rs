//! What to show about a server task beyond its status: the phase, the counters the server
//! reports (items and bytes), a progress ratio and an estimate of the time left; and which
//! watched tasks have just ended (for a notification while the window is hidden).

use std::collections::HashMap;

use crate::provider::{ProgressItem, Task, TaskProgress, TaskStatus};

/// What a counter counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterUnit {
    /// Files or entries.
    Items,
    /// Bytes.
    Bytes,
}

/// One progress counter of a task, as the server named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counter {
    /// The server's name (`archive_count`, `extract_size`, `upload`, …).
    pub name: String,
    /// Done so far.
    pub current: u64,
    /// Out of.
    pub total: u64,
    /// Items or bytes.
    pub unit: CounterUnit,
}

/// The details of a task worth showing next to its status.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TaskDetail {
    /// The server's phase name (`compress_files`, `upload_archive`, `transfer`…), if any.
    pub phase: Option<String>,
    /// Counters with a known total, items first.
    pub counters: Vec<Counter>,
    /// 0..=1 when known.
    pub ratio: Option<f64>,
    /// Seconds left, estimated from the rate so far; only while running.
    pub eta_secs: Option<u64>,
}

/// The unit of a counter, from its name (Cloudreve's progress types, §10.2).
pub fn counter_unit(name: &str) -> CounterUnit {
    if name.ends_with("_count") || matches!(name, "imported" | "indexed") {
        CounterUnit::Items
    } else {
        CounterUnit::Bytes
    }
}

fn counters(progress: &TaskProgress) -> Vec<Counter> {
    let mut out: Vec<Counter> = progress
        .items
        .iter()
        .filter(|p: &&ProgressItem| p.total > 0)
        .map(|p| Counter {
            name: p.name.clone(),
            current: p.current.min(p.total),
            total: p.total,
            unit: counter_unit(&p.name),
        })
        .collect();
    out.sort_by(|a, b| {
        (a.unit == CounterUnit::Bytes, &a.name).cmp(&(b.unit == CounterUnit::Bytes, &b.name))
    });
    out
}

/// Combines a task with its live progress (empty when the server has none).
pub fn detail(task: &Task, progress: &TaskProgress) -> TaskDetail {
    let mut counters = counters(progress);
    // A remote download reports its bytes in the task itself.
    if let Some(d) = &task.download
        && d.total > 0
        && !counters.iter().any(|c| c.name == "download")
    {
        counters.push(Counter {
            name: "download".into(),
            current: d.downloaded.min(d.total),
            total: d.total,
            unit: CounterUnit::Bytes,
        });
    }
    let running = matches!(task.status, TaskStatus::Processing);
    let ratio = if task.status == TaskStatus::Completed {
        Some(1.0)
    } else {
        // Bytes measure the work better than items of unequal size.
        counters
            .iter()
            .find(|c| c.unit == CounterUnit::Bytes)
            .or_else(|| counters.first())
            .map(|c| c.current as f64 / c.total as f64)
    };
    let eta_secs = if !running {
        None
    } else if let Some(d) = task
        .download
        .as_ref()
        .filter(|d| d.speed > 0 && d.total > 0)
    {
        Some(d.total.saturating_sub(d.downloaded).div_ceil(d.speed))
    } else {
        match (ratio, task.duration_ms) {
            (Some(r), Some(ms)) if r > 0.0 && r < 1.0 && ms >= 1000 => {
                Some(((ms as f64 / 1000.0) * (1.0 - r) / r).ceil() as u64)
            }
            _ => None,
        }
    };
    TaskDetail {
        phase: task.phase.clone(),
        counters,
        ratio,
        eta_secs,
    }
}

/// Tasks seen running, so that their end can be noticed (and announced) later.
#[derive(Default, Debug)]
pub struct TaskWatch {
    running: HashMap<(String, String), Task>,
}

impl TaskWatch {
    /// Starts watching a task of `account` (a task just created, or seen running).
    pub fn watch(&mut self, account: &str, task: &Task) {
        if !task.status.is_finished() {
            self.running
                .insert((account.to_string(), task.id.clone()), task.clone());
        }
    }

    /// Takes a fresh list of `account`'s tasks: starts watching the running ones and returns
    /// the watched ones that have finished since (each once).
    pub fn observe(&mut self, account: &str, tasks: &[Task]) -> Vec<Task> {
        let mut ended = Vec::new();
        for t in tasks {
            let key = (account.to_string(), t.id.clone());
            if t.status.is_finished() {
                if self.running.remove(&key).is_some() {
                    ended.push(t.clone());
                }
            } else {
                self.running.insert(key, t.clone());
            }
        }
        ended
    }

    /// Stops watching tasks of `account` that a complete listing no longer has.
    pub fn forget_missing(&mut self, account: &str, present: &[&str]) {
        self.running
            .retain(|(a, id), _| a != account || present.contains(&id.as_str()));
    }

    /// Accounts with tasks being watched.
    pub fn accounts(&self) -> Vec<String> {
        let mut v: Vec<String> = self.running.keys().map(|(a, _)| a.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Whether nothing is being watched.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::DownloadStatus;

    fn task(status: TaskStatus) -> Task {
        Task {
            id: "t1".into(),
            task_type: "create_archive".into(),
            status,
            phase: Some("compress_files".into()),
            error: None,
            created_at: None,
            updated_at: None,
            source: None,
            destination: None,
            download: None,
            duration_ms: Some(4_000),
            failed: None,
        }
    }

    fn item(name: &str, current: u64, total: u64) -> ProgressItem {
        ProgressItem {
            name: name.into(),
            current,
            total,
            identifier: String::new(),
        }
    }

    #[test]
    fn counters_ratio_and_estimate_of_a_running_archive() {
        let p = TaskProgress {
            items: vec![
                item("archive_size", 250, 1000),
                item("archive_count", 1, 4),
                item("upload", 0, 0),
            ],
        };
        let d = detail(&task(TaskStatus::Processing), &p);
        assert_eq!(d.phase.as_deref(), Some("compress_files"));
        let names: Vec<&str> = d.counters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            ["archive_count", "archive_size"],
            "items first, empty totals dropped"
        );
        assert_eq!(d.counters[0].unit, CounterUnit::Items);
        assert_eq!(d.ratio, Some(0.25), "bytes decide the ratio");
        // A quarter in 4 s: 12 s to go.
        assert_eq!(d.eta_secs, Some(12));
    }

    #[test]
    fn no_estimate_when_not_running_or_nothing_measured() {
        let p = TaskProgress {
            items: vec![item("extract_count", 2, 4)],
        };
        assert_eq!(detail(&task(TaskStatus::Queued), &p).eta_secs, None);
        let done = detail(&task(TaskStatus::Completed), &TaskProgress::default());
        assert_eq!((done.ratio, done.eta_secs), (Some(1.0), None));
        let mut fresh = task(TaskStatus::Processing);
        fresh.duration_ms = Some(200);
        assert_eq!(detail(&fresh, &p).eta_secs, None, "too early to tell");
        assert_eq!(
            detail(&task(TaskStatus::Processing), &TaskProgress::default()).ratio,
            None
        );
    }

    #[test]
    fn a_remote_download_estimates_from_its_speed() {
        let mut t = task(TaskStatus::Processing);
        t.download = Some(DownloadStatus {
            name: "x.iso".into(),
            state: "downloading".into(),
            total: 1000,
            downloaded: 400,
            speed: 100,
        });
        let d = detail(&t, &TaskProgress::default());
        assert_eq!(d.counters.len(), 1);
        assert_eq!(d.ratio, Some(0.4));
        assert_eq!(d.eta_secs, Some(6));
    }

    #[test]
    fn the_watch_reports_each_end_once() {
        let mut w = TaskWatch::default();
        assert!(w.is_empty());
        w.watch("a", &task(TaskStatus::Queued));
        assert_eq!(w.accounts(), ["a"]);
        assert!(w.observe("a", &[task(TaskStatus::Processing)]).is_empty());
        let ended = w.observe("a", &[task(TaskStatus::Completed)]);
        assert_eq!(ended.len(), 1);
        assert!(w.observe("a", &[task(TaskStatus::Completed)]).is_empty());
        assert!(w.is_empty());
        // A task that was never seen running is not news.
        assert!(w.observe("b", &[task(TaskStatus::Error)]).is_empty());
        w.watch("a", &task(TaskStatus::Processing));
        w.forget_missing("a", &[]);
        assert!(w.is_empty());
    }
}
