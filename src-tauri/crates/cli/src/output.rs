//! Printing results: stable JSON on stdout with `--json`, readable text otherwise.

use cirrus_core::Error;
use cirrus_core::provider::{BatchOutcome, Entry, EntryKind, Share, Task};
use serde::Serialize;
use serde_json::{Value, json};

use crate::exit;

/// How to print.
#[derive(Clone, Copy)]
pub struct Out {
    /// JSON mode.
    pub json: bool,
}

impl Out {
    /// Print a result: JSON value, or the human text.
    pub fn print<T: Serialize>(&self, value: &T, human: impl FnOnce() -> String) {
        if self.json {
            // Streamed: a 100 000-entry listing is tens of megabytes of JSON.
            use std::io::Write;
            let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
            // Our types always serialize; an error here is a closed stdout, with no one to tell.
            let _ = serde_json::to_writer_pretty(&mut w, value);
            let _ = w.write_all(b"\n");
            let _ = w.flush();
        } else {
            let text = human();
            if !text.is_empty() {
                println!("{text}");
            }
        }
    }

    /// Print an error and return its exit code.
    pub fn error(&self, e: &Error) -> i32 {
        if self.json {
            let mut v = json!({ "kind": e.kind_str(), "message": e.message() });
            if let Some(c) = e.server_code() {
                v["code"] = json!(c);
            }
            if let Some(c) = e.correlation_id() {
                v["correlationId"] = json!(c);
            }
            println!(
                "{}",
                serde_json::to_string_pretty(&json!({ "error": v })).unwrap_or_default()
            );
        } else {
            eprintln!("cirrus: {e}");
        }
        exit::for_kind(e.kind())
    }

    /// Print a batch outcome; returns the exit code (partial failure → 9).
    pub fn batch(&self, verb: &str, total: usize, out: &BatchOutcome) -> i32 {
        let failed: Vec<Value> = out
            .failed
            .iter()
            .map(|(r, e)| json!({ "remote": r, "kind": e.kind_str(), "message": e.message() }))
            .collect();
        let v = json!({ "done": total - out.failed.len(), "failed": failed });
        self.print(&v, || {
            let mut s = format!("{verb} {} of {total} item(s).", total - out.failed.len());
            for (r, e) in &out.failed {
                s.push_str(&format!("\n  failed: {r}: {}", e.message()));
            }
            s
        });
        if out.failed.is_empty() {
            exit::OK
        } else {
            exit::PARTIAL
        }
    }
}

/// `1.5 MiB` style sizes.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// One line per entry.
pub fn entry_line(e: &Entry) -> String {
    let kind = if e.kind == EntryKind::Folder {
        "d"
    } else {
        "-"
    };
    let size = if e.kind == EntryKind::Folder {
        String::from("-")
    } else {
        human_size(e.size)
    };
    let when = e
        .updated_at
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let up = if e.uploading { " (uploading)" } else { "" };
    format!("{kind} {size:>10}  {when:16}  {}{up}", e.name)
}

/// Human text of a share.
pub fn share_text(s: &Share) -> String {
    let mut t = format!(
        "{}  {}  {}",
        s.id,
        s.name,
        s.link_text().replace('\n', "  ")
    );
    if let Some(e) = s.expires_at {
        t.push_str(&format!("  expires {}", e.format("%Y-%m-%d %H:%M")));
    }
    if let Some(d) = s.remaining_downloads {
        t.push_str(&format!("  {d} download(s) left"));
    }
    if s.expired {
        t.push_str("  [expired]");
    }
    t
}

/// Human text of a task.
pub fn task_text(t: &Task) -> String {
    let mut s = format!("{}  {:<16} {:?}", t.id, t.task_type, t.status);
    if let Some(p) = &t.phase {
        s.push_str(&format!("  phase {p}"));
    }
    if let Some(d) = &t.download {
        s.push_str(&format!(
            "  {} {}/{}",
            d.name,
            human_size(d.downloaded),
            human_size(d.total)
        ));
    }
    if let Some(e) = &t.error {
        s.push_str(&format!("  error: {e}"));
    }
    s
}
