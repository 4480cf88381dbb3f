//! Runs one measured child process: wall time, peak RSS (VmHWM sampled from /proc while it
//! runs) and captured stdout, with a hard time limit so a hung client cannot stall the run.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::AsyncReadExt;
use tokio::process::Command;

/// The outcome of one measured process.
pub struct Measured {
    /// Wall time from spawn to exit.
    pub elapsed: Duration,
    /// Highest resident set size seen, in KiB (0 when /proc is unavailable).
    pub peak_rss_kib: u64,
    /// Everything the process wrote to stdout.
    pub stdout: Vec<u8>,
}

/// `VmHWM` (the kernel's own peak-RSS high-water mark) of `pid`, in KiB.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `cmd` to completion within `limit`; a non-zero exit is an error carrying stderr.
pub async fn measure(mut cmd: Command, limit: Duration) -> anyhow::Result<Measured> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let start = Instant::now();
    let mut child = cmd.spawn().context("spawning a measured process")?;
    let pid = child.id().unwrap_or(0);
    let mut out = child.stdout.take().context("stdout")?;
    let mut err = child.stderr.take().context("stderr")?;
    let reader = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = out.read_to_end(&mut buf).await;
        buf
    });
    let err_reader = tokio::spawn(async move {
        let mut buf = Vec::new();
        let _ = err.read_to_end(&mut buf).await;
        buf
    });
    let mut peak = 0;
    let status = loop {
        // VmHWM only grows, so the last sample before exit is within one period of the peak.
        if let Some(k) = vm_hwm_kib(pid) {
            peak = peak.max(k);
        }
        tokio::select! {
            s = child.wait() => break s?,
            _ = tokio::time::sleep(Duration::from_millis(10)) => {}
        }
        if start.elapsed() > limit {
            let _ = child.kill().await;
            bail!("gave up after {limit:?}");
        }
    };
    let elapsed = start.elapsed();
    let stdout = reader.await.unwrap_or_default();
    let stderr = err_reader.await.unwrap_or_default();
    if !status.success() {
        bail!(
            "exit {status}: {}",
            String::from_utf8_lossy(&stderr[stderr.len().saturating_sub(2000)..])
        );
    }
    Ok(Measured {
        elapsed,
        peak_rss_kib: peak,
        stdout,
    })
}
