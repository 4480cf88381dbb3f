//! 123pan rows on a `--api pan123` sandbox: an instant upload (秒传) counted in requests on the
//! server side, the large upload against curl speaking the same V2 protocol (create → slices
//! in parallel → upload_complete), many small files (create → single-step each), and the
//! speed of Cirrus's MD5 "checking" pass against `md5sum` on the same file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use cirrus_sandbox::Sandbox;
use serde_json::{Value, json};
use tokio::process::Command;

use crate::clients::{CirrusCli, LIMIT};
use crate::process::{Measured, measure};
use crate::report::{Row, ratio};
use crate::stats::{mb_per_s, per_s};

/// The header every Open Platform request carries.
const PLATFORM: &str = "Platform: open_platform";
/// Slices curl sends at once: the same as Cirrus (`SLICE_CONCURRENCY` of the provider).
const CURL_SLICES_IN_FLIGHT: usize = 3;
/// Paths of the upload flow; every other request of a `cirrus put` is path resolution.
const UPLOAD_PATHS: [&str; 4] = [
    "/upload/v2/file/create",
    "/upload/v2/file/slice",
    "/upload/v2/file/single/create",
    "/upload/v2/file/upload_complete",
];

/// A raw Open Platform client with its own access token.
pub struct P123Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl P123Api {
    /// Takes an access token with the client credentials.
    pub async fn login(base: &str, client_id: &str, secret: &str) -> anyhow::Result<P123Api> {
        let http = reqwest::Client::new();
        let v: Value = http
            .post(format!("{base}/api/v1/access_token"))
            .header("Platform", "open_platform")
            .json(&json!({"clientID": client_id, "clientSecret": secret}))
            .send()
            .await?
            .json()
            .await?;
        let token = v["data"]["accessToken"]
            .as_str()
            .with_context(|| format!("access_token failed: {v}"))?
            .to_string();
        Ok(P123Api {
            http,
            base: base.to_string(),
            token,
        })
    }

    /// One call; waits and asks again while the endpoint's QPS limit answers 429.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Value,
    ) -> anyhow::Result<Value> {
        for _ in 0..30 {
            let mut req = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(&self.token)
                .header("Platform", "open_platform");
            req = if method == reqwest::Method::GET {
                req.query(&body.as_object().cloned().unwrap_or_default())
            } else {
                req.json(&body)
            };
            let v: Value = req.send().await?.json().await?;
            match v["code"].as_i64() {
                Some(0) => return Ok(v["data"].clone()),
                Some(429) => tokio::time::sleep(Duration::from_millis(600)).await,
                _ => bail!("{path}: server said {v}"),
            }
        }
        bail!("{path}: still rate-limited")
    }

    /// Creates folder `name` in folder `parent` (0 = root); returns its id.
    pub async fn mkdir(&self, parent: i64, name: &str) -> anyhow::Result<i64> {
        let d = self
            .call(
                reqwest::Method::POST,
                "/upload/v1/file/mkdir",
                json!({"name": name, "parentID": parent}),
            )
            .await?;
        d["dirID"].as_i64().context("no dirID")
    }

    /// Every item of folder `parent` (v2 list, paged by `lastFileId`), trashed ones left out.
    pub async fn list(&self, parent: i64) -> anyhow::Result<Vec<Value>> {
        let mut out = Vec::new();
        let mut last = 0i64;
        loop {
            let d = self
                .call(
                    reqwest::Method::GET,
                    "/api/v2/file/list",
                    json!({"parentFileId": parent, "limit": 100, "lastFileId": last}),
                )
                .await?;
            let items = d["fileList"].as_array().cloned().unwrap_or_default();
            out.extend(
                items
                    .into_iter()
                    .filter(|i| i["trashed"].as_i64() != Some(1)),
            );
            last = d["lastFileId"].as_i64().unwrap_or(-1);
            if last == -1 {
                return Ok(out);
            }
        }
    }

    /// Moves an item to the trash and deletes it for good, so its content is no longer
    /// known to the instant-upload index (the next run must send its bytes again).
    pub async fn destroy(&self, id: i64) -> anyhow::Result<()> {
        let ids = json!({"fileIDs": [id]});
        self.call(reqwest::Method::POST, "/api/v1/file/trash", ids.clone())
            .await?;
        self.call(reqwest::Method::POST, "/api/v1/file/delete", ids)
            .await
            .map(|_| ())
    }

    /// The upload host (`/upload/v2/file/domain`).
    pub async fn upload_host(&self) -> anyhow::Result<String> {
        let d = self
            .call(reqwest::Method::GET, "/upload/v2/file/domain", json!({}))
            .await?;
        d[0].as_str().context("no upload host").map(str::to_string)
    }

    fn curl(&self) -> Command {
        let mut c = Command::new("curl");
        c.args(["--silent", "--show-error", "--fail"]);
        self.headers(&mut c);
        c
    }

    fn headers(&self, c: &mut Command) {
        c.arg("-H")
            .arg(format!("Authorization: Bearer {}", self.token));
        c.args(["-H", PLATFORM]);
    }
}

/// Lower-case hex MD5 of each file, by one `md5sum` process (timed with the baseline: any
/// client must hash before create).
async fn md5sums(files: &[PathBuf]) -> anyhow::Result<(Vec<String>, Duration)> {
    let mut c = Command::new("md5sum");
    c.args(files);
    let m = measure(c, LIMIT).await?;
    let sums: Vec<String> = String::from_utf8(m.stdout)?
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    ensure!(
        sums.len() == files.len(),
        "md5sum printed {} sums",
        sums.len()
    );
    Ok((sums, m.elapsed))
}

/// Every JSON envelope curl printed, in order; each must be code 0.
fn envelopes(stdout: &[u8]) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for v in serde_json::Deserializer::from_slice(stdout).into_iter::<Value>() {
        let v = v?;
        ensure!(v["code"].as_i64() == Some(0), "server said {v}");
        out.push(v["data"].clone());
    }
    Ok(out)
}

/// The wire baseline of a large upload: `md5sum` of the file and its slices, curl `create`,
/// the slices by [`CURL_SLICES_IN_FLIGHT`] curl processes at once (one connection each),
/// then `upload_complete` until it says done. Returns the time and the parts' times.
async fn curl_sliced(
    api: &P123Api,
    host: &str,
    parent: i64,
    name: &str,
    big: &Path,
    slices: &[PathBuf],
) -> anyhow::Result<(Duration, String)> {
    let t = Instant::now();
    let size = std::fs::metadata(big)?.len();
    let (whole, _) = md5sums(&[big.to_path_buf()]).await?;
    let (slice_md5, _) = md5sums(slices).await?;
    let hashed = t.elapsed();
    let mut c = api.curl();
    c.args([
        "-X",
        "POST",
        "-H",
        "Content-Type: application/json",
        "--data",
    ]);
    c.arg(
        json!({"parentFileID": parent, "filename": name, "etag": whole[0], "size": size,
               "duplicate": 1})
        .to_string(),
    );
    c.arg(format!("{}/upload/v2/file/create", api.base));
    let created = measure(c, LIMIT).await?;
    let d = envelopes(&created.stdout)?.remove(0);
    ensure!(d["reuse"] != true, "the server already had it: {d}");
    let pre = d["preuploadID"]
        .as_str()
        .context("preuploadID")?
        .to_string();
    let mut procs = Vec::new();
    for lane in 0..CURL_SLICES_IN_FLIGHT {
        let mut c = api.curl();
        let mut any = false;
        for (i, (f, m)) in slices.iter().zip(&slice_md5).enumerate() {
            if i % CURL_SLICES_IN_FLIGHT != lane {
                continue;
            }
            if any {
                c.arg("--next");
                c.args(["--silent", "--show-error", "--fail"]);
                api.headers(&mut c);
            }
            any = true;
            c.arg("-F").arg(format!("preuploadID={pre}"));
            c.arg("-F").arg(format!("sliceNo={}", i + 1));
            c.arg("-F").arg(format!("sliceMD5={m}"));
            c.arg("-F").arg(format!("slice=@{}", f.display()));
            c.arg(format!("{host}/upload/v2/file/slice"));
        }
        if any {
            procs.push(tokio::spawn(measure(c, LIMIT)));
        }
    }
    let sent_from = Instant::now();
    for p in procs {
        envelopes(&p.await??.stdout)?;
    }
    let sent = sent_from.elapsed();
    let done_from = Instant::now();
    let mut polls = 0;
    loop {
        polls += 1;
        ensure!(polls < 600, "upload_complete never finished");
        let mut c = api.curl();
        c.args([
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data",
        ]);
        c.arg(json!({"preuploadID": pre}).to_string());
        c.arg(format!("{}/upload/v2/file/upload_complete", api.base));
        let v: Value = serde_json::from_slice(&measure(c, LIMIT).await?.stdout)?;
        if v["code"] == 0 && v["data"]["completed"] == true {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let parts = format!(
        "md5sum {:.2} s, create {:.2} s, slices {:.2} s, complete {:.2} s ({polls} ask(s))",
        hashed.as_secs_f64(),
        created.elapsed.as_secs_f64(),
        sent.as_secs_f64(),
        done_from.elapsed().as_secs_f64()
    );
    Ok((t.elapsed(), parts))
}

/// The small-file wire baseline: `md5sum` of all files, one curl process sending every
/// `create`, a second sending every file by single-step upload (the same two requests per
/// file Cirrus makes).
async fn curl_small(
    api: &P123Api,
    host: &str,
    parent: i64,
    files: &[PathBuf],
) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let (sums, _) = md5sums(files).await?;
    let mut create = api.curl();
    let mut single = api.curl();
    for (i, (f, m)) in files.iter().zip(&sums).enumerate() {
        if i > 0 {
            for c in [&mut create, &mut single] {
                c.arg("--next");
                c.args(["--silent", "--show-error", "--fail"]);
                api.headers(c);
            }
        }
        let name = f.file_name().and_then(|n| n.to_str()).context("name")?;
        let size = std::fs::metadata(f)?.len();
        create.args([
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data",
        ]);
        create.arg(
            json!({"parentFileID": parent, "filename": name, "etag": m, "size": size,
                   "duplicate": 1})
            .to_string(),
        );
        create.arg(format!("{}/upload/v2/file/create", api.base));
        for (k, v) in [
            ("parentFileID", parent.to_string()),
            ("filename", name.to_string()),
            ("etag", m.clone()),
            ("size", size.to_string()),
            ("duplicate", "2".into()),
        ] {
            single.arg("-F").arg(format!("{k}={v}"));
        }
        single.arg("-F").arg(format!("file=@{}", f.display()));
        single.arg(format!("{host}/upload/v2/file/single/create"));
    }
    let created = envelopes(&measure(create, LIMIT).await?.stdout)?;
    ensure!(created.len() == files.len(), "{} creates", created.len());
    ensure!(
        created.iter().all(|d| d["reuse"] != true),
        "the server already had some files"
    );
    let sent = envelopes(&measure(single, LIMIT).await?.stdout)?;
    ensure!(sent.len() == files.len(), "{} single uploads", sent.len());
    Ok(t.elapsed())
}

/// Cuts `big` into `slice`-sized files under `dir` (what curl posts as slices).
pub fn split(big: &Path, slice: u64, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    use std::io::Read;
    std::fs::create_dir_all(dir)?;
    let mut f = std::fs::File::open(big)?;
    let mut buf = vec![0u8; slice as usize];
    let mut out = Vec::new();
    loop {
        let mut n = 0;
        while n < buf.len() {
            let r = f.read(&mut buf[n..])?;
            if r == 0 {
                break;
            }
            n += r;
        }
        if n == 0 {
            return Ok(out);
        }
        let p = dir.join(format!("slice-{:05}", out.len() + 1));
        std::fs::write(&p, &buf[..n])?;
        out.push(p);
    }
}

/// The MD5 of `path` by Cirrus's own hashing pass (the code an upload's "checking" phase
/// runs), on a blocking thread.
async fn cirrus_md5(path: &Path) -> anyhow::Result<(String, Duration)> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let fp = cirrus_core::transfer::item::Fingerprint::of(&std::fs::metadata(&path)?);
        let cancel = tokio_util::sync::CancellationToken::new();
        let t = Instant::now();
        let md5 =
            cirrus_core::transfer::hashing::md5_file_blocking(&path, fp, &cancel, &mut |_| {})
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok((md5, t.elapsed()))
    })
    .await?
}

/// One 123pan sandbox as every client sees it.
pub struct P123Bench {
    /// The sandbox itself (its request counters are read).
    pub sandbox: Sandbox,
    /// The CLI's account on it.
    pub cli: CirrusCli,
    /// The harness's raw client.
    pub api: P123Api,
    /// The upload host.
    pub host: String,
    /// Id of `/bench`.
    pub bench_dir: i64,
    /// `sliceSize` the sandbox hands out.
    pub slice: u64,
    /// Runs per measurement.
    pub runs: usize,
    /// Files uploaded at once by the CLI in the small-file test.
    pub small_parallel: usize,
}

impl P123Bench {
    fn requests(&self) -> BTreeMap<String, u64> {
        self.sandbox.pan123_stats().requests
    }

    /// The id of `name` in folder `parent` as listed.
    async fn find(&self, parent: i64, name: &str) -> anyhow::Result<Value> {
        self.api
            .list(parent)
            .await?
            .into_iter()
            .find(|i| i["filename"] == name)
            .with_context(|| format!("{name} is not listed"))
    }

    /// Checks that folder `dir` holds `name` with `size` bytes and the MD5 `md5`.
    async fn check(&self, dir: i64, name: &str, size: u64, md5: &str) -> anyhow::Result<i64> {
        let e = self.find(dir, name).await?;
        ensure!(e["size"].as_u64() == Some(size), "wrong size: {e}");
        ensure!(e["etag"] == md5, "wrong MD5: {e} (want {md5})");
        e["fileId"].as_i64().context("fileId")
    }

    /// The large upload by Cirrus and by curl (the server forgets the content after each),
    /// then an instant upload of the same file counted in requests. Returns both rows.
    pub async fn upload(&self, big: &Path, slices_dir: &Path) -> anyhow::Result<Vec<Row>> {
        let size = std::fs::metadata(big)?.len();
        let slices = split(big, self.slice, slices_dir)?;
        let (md5, _) = cirrus_md5(big).await?;
        let name = big.file_name().and_then(|n| n.to_str()).context("name")?;
        let (mut c, mut w) = (vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  123pan upload run {}/{}", r + 1, self.runs);
            let dest = format!("p-c{r}");
            let dir = self.api.mkdir(self.bench_dir, &dest).await?;
            let m = self.cli.put(big, &format!("/bench/{dest}"), 1).await?;
            self.check(dir, name, size, &md5).await?;
            c.push(mb_per_s(size, m.elapsed));
            self.api.destroy(dir).await?;

            let dir = self.api.mkdir(self.bench_dir, &format!("p-w{r}")).await?;
            let (t, parts) = curl_sliced(&self.api, &self.host, dir, name, big, &slices).await?;
            eprintln!("    curl: {parts}");
            self.check(dir, name, size, &md5).await?;
            w.push(mb_per_s(size, t));
            self.api.destroy(dir).await?;
        }
        let _ = std::fs::remove_dir_all(slices_dir);
        let up = Row {
            what: format!(
                "{} MiB upload, 123pan ({} MiB slices, 3 in flight; MD5 pass included on both \
                 sides)",
                size >> 20,
                self.slice >> 20
            ),
            unit: "MB/s",
            targets: vec![("vs wire".into(), ratio(&c, &w), 0.9)],
            cirrus: c,
            wire: w,
            python: vec![],
        };

        // Instant upload: the content is on the server (a copy elsewhere), the CLI uploads
        // it again; the sandbox counts what reaches it.
        let src = self.api.mkdir(self.bench_dir, "p-known").await?;
        self.cli.put(big, "/bench/p-known", 1).await?;
        self.check(src, name, size, &md5).await?;
        let stats = self.sandbox.pan123_stats();
        let (reused, slices_before) = (stats.reused, stats.slices);
        let mut counts = vec![];
        let mut times = vec![];
        let mut detail = String::new();
        for r in 0..self.runs {
            let dest = format!("p-i{r}");
            let dir = self.api.mkdir(self.bench_dir, &dest).await?;
            let before = self.requests();
            let m = self.cli.put(big, &format!("/bench/{dest}"), 1).await?;
            let after = self.requests();
            self.check(dir, name, size, &md5).await?;
            let made: BTreeMap<&str, u64> = after
                .iter()
                .map(|(p, n)| (p.as_str(), n - before.get(p).copied().unwrap_or(0)))
                .filter(|(_, n)| *n > 0)
                .collect();
            let upload: u64 = UPLOAD_PATHS.iter().filter_map(|p| made.get(p)).sum();
            eprintln!("    instant upload requests: {made:?}");
            detail = made
                .iter()
                .map(|(p, n)| format!("{}×{n}", p.rsplit('/').next().unwrap_or(p)))
                .collect::<Vec<_>>()
                .join(", ");
            counts.push(upload as f64);
            times.push(m.elapsed.as_secs_f64() * 1000.0);
        }
        let stats = self.sandbox.pan123_stats();
        ensure!(
            stats.reused - reused == self.runs as u64 && stats.slices == slices_before,
            "the instant uploads sent bytes"
        );
        let worst = counts.iter().copied().fold(0.0, f64::max);
        let instant = Row {
            what: format!(
                "instant upload (秒传) of the {} MiB file: upload requests after the MD5 pass \
                 (whole `cirrus put`: {detail}; {:.0} ms)",
                size >> 20,
                crate::stats::median(&times)
            ),
            unit: "requests",
            targets: vec![("2 ÷ requests".into(), 2.0 / worst.max(1.0), 1.0)],
            cirrus: counts,
            wire: vec![1.0],
            python: vec![],
        };
        Ok(vec![instant, up])
    }

    /// Many small files, files per second (the server forgets them after each client).
    pub async fn small_files(&self, dir: &Path, files: &[PathBuf]) -> anyhow::Result<Row> {
        let n = files.len() as u64;
        let (mut c, mut w) = (vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  123pan small files run {}/{}", r + 1, self.runs);
            let dest = format!("ps-c{r}");
            let id = self.api.mkdir(self.bench_dir, &dest).await?;
            let before = self.requests();
            let m = self
                .cli
                .put(dir, &format!("/bench/{dest}"), self.small_parallel)
                .await?;
            let after = self.requests();
            let uploads: u64 = UPLOAD_PATHS
                .iter()
                .map(|p| {
                    let p = p.to_string();
                    after.get(&p).copied().unwrap_or(0) - before.get(&p).copied().unwrap_or(0)
                })
                .sum();
            eprintln!("    cirrus: {uploads} upload requests for {n} files");
            c.push(per_s(n, m.elapsed));
            self.api.destroy(id).await?;

            let id = self.api.mkdir(self.bench_dir, &format!("ps-w{r}")).await?;
            w.push(per_s(
                n,
                curl_small(&self.api, &self.host, id, files).await?,
            ));
            let listed = self.api.list(id).await?;
            ensure!(listed.len() == files.len(), "{} files listed", listed.len());
            self.api.destroy(id).await?;
        }
        Ok(Row {
            what: format!(
                "{n} files × {} KiB upload, 123pan (create + single-step each)",
                std::fs::metadata(&files[0])?.len() / 1024
            ),
            unit: "files/s",
            targets: vec![("vs wire (info)".into(), ratio(&c, &w), 0.0)],
            cirrus: c,
            wire: w,
            python: vec![],
        })
    }

    /// MD5 speed of Cirrus's checking pass against `md5sum`, both on the same (cached) file.
    pub async fn hashing(&self, big: &Path) -> anyhow::Result<Row> {
        let size = std::fs::metadata(big)?.len();
        // Both read from the page cache: warm it once first.
        let (want, _) = md5sums(&[big.to_path_buf()]).await?;
        let (mut c, mut w) = (vec![], vec![]);
        for r in 0..self.runs.max(3) {
            eprintln!("  MD5 run {}", r + 1);
            let (got, t) = cirrus_md5(big).await?;
            ensure!(got == want[0], "MD5 differs: {got} vs {}", want[0]);
            c.push(mb_per_s(size, t));
            let mut m = Command::new("md5sum");
            m.arg(big);
            let Measured { elapsed, .. } = measure(m, LIMIT).await?;
            w.push(mb_per_s(size, elapsed));
        }
        Ok(Row {
            what: format!(
                "MD5 of {} MiB: Cirrus's checking pass vs `md5sum` (page cache)",
                size >> 20
            ),
            unit: "MB/s",
            targets: vec![("vs md5sum".into(), ratio(&c, &w), 0.9)],
            cirrus: c,
            wire: w,
            python: vec![],
        })
    }
}
