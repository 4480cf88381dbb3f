//! The rows under a simulated line (`--link-rtt-ms`, `--link-mbit`): every sandbox listener
//! adds the round trip per request and shares one bandwidth budget per direction, so the
//! figures show what the client's parallelism buys on a real line. Each row is compared
//! with the line itself: the link rate (bytes ÷ rate is the floor no client can beat).

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use cirrus_sandbox::faults::LinkProfile;
use cirrus_sandbox::policy::PolicyKind;
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};

use crate::api::Api;
use crate::clients::{CirrusCli, PythonSdk, curl_download, curl_list};
use crate::report::{Row, ratio};
use crate::scenario::Target;
use crate::stats::{mb_per_s, median, per_s};

/// What the link rows need from the command line.
pub struct LinkBench {
    /// The simulated line.
    pub profile: LinkProfile,
    /// The `cirrus` binary.
    pub cli: PathBuf,
    /// The Python SDK.
    pub sdk: PythonSdk,
    /// Scratch directory.
    pub work: PathBuf,
    /// Runs per measurement.
    pub runs: usize,
    /// Chunk size of the sandbox policies in bytes.
    pub chunk_size: u64,
    /// Entries of the listing row.
    pub list_count: usize,
    /// Page size of the listing row.
    pub page_size: u32,
}

/// The line's rate in MB/s (10^6 bytes).
fn link_mb_s(p: &LinkProfile) -> f64 {
    p.bytes_per_sec() as f64 / 1e6
}

impl LinkBench {
    fn label(&self) -> String {
        format!(
            "line {} ms / {} Mbit/s:",
            self.profile.rtt.as_millis(),
            self.profile.bits_per_sec as f64 / 1e6
        )
    }

    /// A sandbox behind the line with `policy` and `chunk_concurrency`, signed in.
    async fn target(
        &self,
        name: &str,
        policy: PolicyKind,
        cc: u32,
    ) -> anyhow::Result<(Sandbox, Target)> {
        let sandbox = Sandbox::start(SandboxConfig {
            data_dir: Some(self.work.join(format!("sandbox-link-{name}"))),
            chunk_size: self.chunk_size,
            chunk_concurrency: cc,
            policy,
            user_quota: 1 << 42,
            link: self.profile,
            ..SandboxConfig::default()
        })
        .await?;
        let base = sandbox.base_url();
        let cli = CirrusCli {
            bin: self.cli.clone(),
            data_dir: self.work.join(format!("cirrus-link-{name}")),
        };
        cli.login(&base, demo::EMAIL, demo::PASSWORD)
            .await
            .context("cirrus login (line)")?;
        let api = Api::login(&base, demo::EMAIL, demo::PASSWORD).await?;
        api.mkdir("/bench").await?;
        Ok((sandbox, Target { base, cli, api }))
    }

    /// Every row under the line, in table order.
    pub async fn rows(
        &self,
        big: &Path,
        small_dir: &Path,
        small: &[PathBuf],
    ) -> anyhow::Result<Vec<Row>> {
        let size = std::fs::metadata(big)?.len();
        let mut rows = Vec::new();

        eprintln!("line: small files, 1 chunk in flight, download, listing");
        let (sb, local) = self.target("local", PolicyKind::Local, 1).await?;
        sb.seed_files(demo::EMAIL, "/list", self.list_count);
        rows.push(self.small_files(&local, small_dir, small).await?);
        let up = self.upload(&local, big, "chunk_concurrency 1").await?;
        rows.push(self.upload_row(&up, size, "local policy, chunk_concurrency 1", 0.9));
        rows.push(self.download(&local, "/bench/up-0/big.bin", size).await?);
        rows.push(self.listing(&local).await?);
        drop(sb);

        eprintln!("line: 4 chunks in flight");
        let (sb, local4) = self.target("local4", PolicyKind::Local, 4).await?;
        let up = self.upload(&local4, big, "chunk_concurrency 4").await?;
        rows.push(self.upload_row(&up, size, "local policy, chunk_concurrency 4", 0.95));
        // Chunks in flight plus the two read ahead, over the process's own baseline.
        let budget = 64.0 + 4.0 * (self.chunk_size >> 20) as f64;
        rows.push(rss_row(&up, budget, "chunk_concurrency 4"));
        drop(sb);

        eprintln!("line: S3 policy");
        let (sb, s3) = self.target("s3", PolicyKind::S3, 1).await?;
        let up = self.upload(&s3, big, "S3").await?;
        rows.push(self.upload_row(&up, size, "S3 policy (4 parts in flight)", 0.95));
        rows.push(rss_row(&up, budget, "S3"));
        drop(sb);

        let label = self.label();
        for r in &mut rows {
            r.what = format!("{label} {}", r.what);
        }
        Ok(rows)
    }

    /// `runs` uploads of `big` by the CLI; the first copy stays (the download source).
    async fn upload(&self, t: &Target, big: &Path, what: &str) -> anyhow::Result<Uploaded> {
        let size = std::fs::metadata(big)?.len();
        let mut u = Uploaded::default();
        for r in 0..self.runs {
            eprintln!("  upload ({what}) run {}/{}", r + 1, self.runs);
            let dest = format!("/bench/up-{r}");
            t.api.mkdir(&dest).await?;
            let m = t.cli.put(big, &dest, 1).await?;
            ensure!(
                t.api.size(&format!("{dest}/big.bin")).await? == size,
                "cirrus upload size ({what})"
            );
            u.speed.push(mb_per_s(size, m.elapsed));
            u.rss.push(m.peak_rss_kib as f64 / 1024.0);
            if r > 0 {
                t.api.delete(&dest).await?;
            }
        }
        Ok(u)
    }

    fn upload_row(&self, u: &Uploaded, size: u64, what: &str, want: f64) -> Row {
        let rate = link_mb_s(&self.profile);
        Row {
            what: format!(
                "{} MiB upload, {what}; line rate {rate:.1} MB/s",
                size >> 20
            ),
            unit: "MB/s",
            targets: vec![("vs line rate".into(), median(&u.speed) / rate, want)],
            cirrus: u.speed.clone(),
            wire: vec![],
            python: vec![],
        }
    }

    /// Many small files: Cirrus (default parallelism) against the SDK and the line's floor.
    async fn small_files(&self, t: &Target, dir: &Path, files: &[PathBuf]) -> anyhow::Result<Row> {
        let n = files.len() as u64;
        let bytes: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).map(|m| m.len()))
            .sum::<std::io::Result<u64>>()?;
        // Files per second if only the bytes counted.
        let floor = per_s(n, self.profile.floor(bytes));
        let (mut c, mut py) = (vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  small files run {}/{}", r + 1, self.runs);
            let dest = format!("/bench/s-c{r}");
            t.api.mkdir(&dest).await?;
            let m = t.cli.put(dir, &dest, 3).await?;
            c.push(per_s(n, m.elapsed));
            t.api.delete(&dest).await?;

            let dest = format!("/bench/s-p{r}");
            t.api.mkdir(&dest).await?;
            let creds = (demo::EMAIL, demo::PASSWORD);
            let took = self.sdk.run(&t.base, creds, "small", dir, &dest).await?;
            py.push(per_s(n, took));
            t.api.delete(&dest).await?;
        }
        Ok(Row {
            what: format!(
                "{n} files × {} KiB upload; line floor {floor:.0} files/s",
                bytes / n.max(1) / 1024
            ),
            unit: "files/s",
            targets: vec![
                ("vs Python".into(), ratio(&c, &py), 10.0),
                ("vs line floor".into(), median(&c) / floor, 0.7),
            ],
            cirrus: c,
            wire: vec![],
            python: py,
        })
    }

    /// The large file back: Cirrus against curl on one connection and the line rate.
    async fn download(&self, t: &Target, remote: &str, size: u64) -> anyhow::Result<Row> {
        let rate = link_mb_s(&self.profile);
        let (mut c, mut w) = (vec![], vec![]);
        let out = self.work.join("dl-link");
        for r in 0..self.runs {
            eprintln!("  download run {}/{}", r + 1, self.runs);
            std::fs::create_dir_all(&out)?;
            let m = t.cli.get(remote, &out).await?;
            ensure!(
                std::fs::metadata(out.join("big.bin"))?.len() == size,
                "cirrus size"
            );
            c.push(mb_per_s(size, m.elapsed));
            std::fs::remove_dir_all(&out)?;

            let url = t.api.download_url(remote).await?;
            let file = self.work.join("dl-link-curl.bin");
            let m = curl_download(&url, &file).await?;
            ensure!(std::fs::metadata(&file)?.len() == size, "curl size");
            w.push(mb_per_s(size, m.elapsed));
            std::fs::remove_file(&file)?;
        }
        Ok(Row {
            what: format!("{} MiB download; line rate {rate:.1} MB/s", size >> 20),
            unit: "MB/s",
            targets: vec![
                ("vs line rate".into(), median(&c) / rate, 0.95),
                ("vs curl".into(), ratio(&c, &w), 1.0),
            ],
            cirrus: c,
            wire: w,
            python: vec![],
        })
    }

    /// The huge folder listed to the end, Cirrus against one curl per page.
    async fn listing(&self, t: &Target) -> anyhow::Result<Row> {
        let (mut c, mut w) = (vec![], vec![]);
        let expect = self.list_count;
        for r in 0..self.runs {
            eprintln!("  listing run {}/{}", r + 1, self.runs);
            let (m, n) = t.cli.ls("/list", self.page_size).await?;
            ensure!(n == expect, "cirrus listed {n} of {expect}");
            c.push(per_s(n as u64, m.elapsed));
            let (took, n) = curl_list(&t.api, "/list", self.page_size).await?;
            ensure!(n == expect, "curl listed {n} of {expect}");
            w.push(per_s(n as u64, took));
        }
        Ok(Row {
            what: format!("list {expect} entries (pages of {})", self.page_size),
            unit: "entries/s",
            targets: vec![("vs raw curl".into(), ratio(&c, &w), 0.9)],
            cirrus: c,
            wire: w,
            python: vec![],
        })
    }
}

/// Samples of one upload scenario.
#[derive(Default)]
struct Uploaded {
    speed: Vec<f64>,
    rss: Vec<f64>,
}

/// Peak RSS of the CLI during an upload against the memory budget.
fn rss_row(u: &Uploaded, budget: f64, what: &str) -> Row {
    let peak = u.rss.iter().cloned().fold(0.0, f64::max);
    Row {
        what: format!("peak RSS of `cirrus put`, {what} (budget {budget:.0} MiB)"),
        unit: "MiB",
        targets: vec![("budget / peak".into(), budget / peak.max(1.0), 1.0)],
        cirrus: u.rss.clone(),
        wire: vec![],
        python: vec![],
    }
}
