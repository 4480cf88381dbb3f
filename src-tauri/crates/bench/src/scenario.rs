//! The measured scenarios, each run `runs` times with the clients interleaved so that noise
//! on the shared machine spreads over all of them alike.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};

use crate::api::Api;
use crate::clients::{CirrusCli, PythonSdk, curl_chunks, curl_download, curl_list, curl_small};
use crate::report::{Row, ratio};
use crate::stats::{mb_per_s, median, per_s};

/// One signed-in sandbox as every client sees it.
pub struct Target {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The CLI's account on it.
    pub cli: CirrusCli,
    /// The harness's own raw client.
    pub api: Api,
}

/// Everything the scenarios share.
pub struct Bench {
    /// Plain local policy.
    pub plain: Target,
    /// Local policy with client-side AES-256-CTR.
    pub enc: Target,
    /// The Python SDK.
    pub sdk: PythonSdk,
    /// Demo credentials (for the SDK, which signs in itself).
    pub creds: (&'static str, &'static str),
    /// Scratch directory.
    pub work: PathBuf,
    /// Runs per measurement.
    pub runs: usize,
    /// Files uploaded at once by the CLI in the small-file test.
    pub small_parallel: usize,
}

/// Samples of the large-upload scenarios.
#[derive(Default)]
pub struct Uploads {
    pub cirrus: Vec<f64>,
    pub wire: Vec<f64>,
    pub python: Vec<f64>,
    pub encrypted: Vec<f64>,
    pub rss_mib: Vec<f64>,
}

impl Bench {
    /// 1, 2 and 5: one large upload by each client, plain and encrypted; Cirrus's peak RSS.
    pub async fn uploads(&self, big: &Path, chunks: &[PathBuf]) -> anyhow::Result<Uploads> {
        let size = std::fs::metadata(big)?.len();
        let mut u = Uploads::default();
        for r in 0..self.runs {
            eprintln!("  upload run {}/{}", r + 1, self.runs);
            let (p, e) = (&self.plain, &self.enc);
            let dest = format!("/bench/up-c{r}");
            p.api.mkdir(&dest).await?;
            let m = p.cli.put(big, &dest, 1).await?;
            ensure!(
                p.api.size(&format!("{dest}/big.bin")).await? == size,
                "cirrus size"
            );
            u.cirrus.push(mb_per_s(size, m.elapsed));
            u.rss_mib.push(m.peak_rss_kib as f64 / 1024.0);
            if r > 0 {
                // Run 0's copy stays as the download source.
                p.api.delete(&dest).await?;
            }

            let path = format!("/bench/up-w{r}.bin");
            let (session, _) = p.api.begin_upload(&path, size).await?;
            let m = curl_chunks(&p.api, &session, chunks).await?;
            ensure!(p.api.size(&path).await? == size, "curl upload incomplete");
            u.wire.push(mb_per_s(size, m.elapsed));
            p.api.delete(&path).await?;

            let path = format!("/bench/up-p{r}.bin");
            let t = self
                .sdk
                .run(&p.base, self.creds, "upload", big, &path)
                .await?;
            ensure!(p.api.size(&path).await? == size, "SDK upload incomplete");
            u.python.push(mb_per_s(size, t));
            p.api.delete(&path).await?;

            let dest = format!("/bench/enc-c{r}");
            e.api.mkdir(&dest).await?;
            let m = e.cli.put(big, &dest, 1).await?;
            u.encrypted.push(mb_per_s(size, m.elapsed));
            e.api.delete(&dest).await?;
        }
        Ok(u)
    }

    /// 3: many small files, files per second.
    pub async fn small_files(&self, dir: &Path, files: &[PathBuf]) -> anyhow::Result<Row> {
        let n = files.len() as u64;
        let p = &self.plain;
        let (mut c, mut w, mut py) = (vec![], vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  small files run {}/{}", r + 1, self.runs);
            let dest = format!("/bench/s-c{r}");
            p.api.mkdir(&dest).await?;
            let m = p.cli.put(dir, &dest, self.small_parallel).await?;
            c.push(per_s(n, m.elapsed));
            p.api.delete(&dest).await?;

            let dest = format!("/bench/s-w{r}");
            p.api.mkdir(&dest).await?;
            w.push(per_s(n, curl_small(&p.api, files, &dest).await?));
            p.api.delete(&dest).await?;

            let dest = format!("/bench/s-p{r}");
            p.api.mkdir(&dest).await?;
            py.push(per_s(
                n,
                self.sdk
                    .run(&p.base, self.creds, "small", dir, &dest)
                    .await?,
            ));
            p.api.delete(&dest).await?;
        }
        Ok(Row {
            what: format!(
                "{n} files × {} KiB upload",
                std::fs::metadata(&files[0])?.len() / 1024
            ),
            unit: "files/s",
            targets: vec![
                ("vs Python".into(), ratio(&c, &py), 5.0),
                ("vs wire (info)".into(), ratio(&c, &w), 0.0),
            ],
            cirrus: c,
            wire: w,
            python: py,
        })
    }

    /// 4: the large file back, Cirrus vs curl.
    pub async fn download(&self, remote: &str, size: u64) -> anyhow::Result<Row> {
        let p = &self.plain;
        let (mut c, mut w) = (vec![], vec![]);
        let out = self.work.join("dl");
        for r in 0..self.runs {
            eprintln!("  download run {}/{}", r + 1, self.runs);
            std::fs::create_dir_all(&out)?;
            let m = p.cli.get(remote, &out).await?;
            ensure!(
                std::fs::metadata(out.join("big.bin"))?.len() == size,
                "cirrus size"
            );
            c.push(mb_per_s(size, m.elapsed));
            std::fs::remove_dir_all(&out)?;

            let url = p.api.download_url(remote).await?;
            let file = self.work.join("dl-curl.bin");
            let m = curl_download(&url, &file).await?;
            ensure!(std::fs::metadata(&file)?.len() == size, "curl size");
            w.push(mb_per_s(size, m.elapsed));
            std::fs::remove_file(&file)?;
        }
        Ok(Row {
            what: format!("{} MiB download", size >> 20),
            unit: "MB/s",
            targets: vec![("vs curl".into(), ratio(&c, &w), 0.95)],
            cirrus: c,
            wire: w,
            python: vec![],
        })
    }

    /// 6: a huge folder listed to the end, Cirrus vs one curl per page.
    pub async fn listing(&self, path: &str, expect: usize, page: u32) -> anyhow::Result<Row> {
        let p = &self.plain;
        let (mut c, mut w) = (vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  listing run {}/{}", r + 1, self.runs);
            let (m, n) = p.cli.ls(path, page).await?;
            ensure!(n == expect, "cirrus listed {n} of {expect}");
            c.push(per_s(n as u64, m.elapsed));
            let (t, n) = curl_list(&p.api, path, page).await?;
            ensure!(n == expect, "curl listed {n} of {expect}");
            w.push(per_s(n as u64, t));
        }
        Ok(Row {
            what: format!("list {expect} entries (pages of {page})"),
            unit: "entries/s",
            targets: vec![("vs raw curl".into(), ratio(&c, &w), 0.9)],
            cirrus: c,
            wire: w,
            python: vec![],
        })
    }
}

impl Uploads {
    /// Rows 1, 2 and 5 of the table.
    pub fn rows(self, size: u64, budget_mib: f64) -> Vec<Row> {
        let mib = size >> 20;
        let rss = median(&self.rss_mib);
        let max_rss = self.rss_mib.iter().cloned().fold(0.0, f64::max);
        vec![
            Row {
                what: format!("{mib} MiB upload, local policy"),
                unit: "MB/s",
                targets: vec![
                    ("vs wire".into(), ratio(&self.cirrus, &self.wire), 0.95),
                    ("vs Python".into(), ratio(&self.cirrus, &self.python), 3.0),
                ],
                cirrus: self.cirrus.clone(),
                wire: self.wire,
                python: self.python,
            },
            Row {
                what: format!("{mib} MiB upload, AES-256-CTR"),
                unit: "MB/s",
                targets: vec![("vs plain".into(), ratio(&self.encrypted, &self.cirrus), 0.9)],
                cirrus: self.encrypted,
                wire: vec![],
                python: vec![],
            },
            Row {
                what: format!("peak RSS of `cirrus put` (max {max_rss:.0})"),
                unit: "MiB",
                targets: vec![(
                    format!("budget {budget_mib:.0} / peak"),
                    budget_mib / rss.max(1.0),
                    1.0,
                )],
                cirrus: self.rss_mib,
                wire: vec![],
                python: vec![],
            },
        ]
    }
}

/// 7: AES-CTR throughput of the core from criterion's estimates (median), in MB/s.
pub fn criterion_row(dir: &Path) -> anyhow::Result<Row> {
    let f = dir.join("aes_ctr_apply_at/1MiB/new/estimates.json");
    let v: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&f)
            .with_context(|| format!("{} (run cargo bench first)", f.display()))?,
    )?;
    let ns = v["median"]["point_estimate"].as_f64().context("median")?;
    let mbps = (1u64 << 20) as f64 / 1e6 / (ns / 1e9);
    Ok(Row {
        what: "AES-256-CTR, core alone (criterion, 1 MiB buffers)".into(),
        unit: "MB/s",
        cirrus: vec![mbps],
        wire: vec![],
        python: vec![],
        targets: vec![],
    })
}
