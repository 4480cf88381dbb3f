//! The three clients under test, each driven as a separate process: the `cirrus` CLI, curl
//! (the wire baseline: the same requests back to back over one kept-alive connection) and
//! the PyPI `cloudreve` SDK.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;
use tokio::process::Command;

use crate::api::{Api, q, uri};

/// How curl reaches one server's API: its base URL and the header that signs a request in
/// (a bearer token on Cloudreve 4, the session cookie on Cloudreve 3).
pub trait Wire {
    /// `http://127.0.0.1:PORT/api/v4` (or `/api/v3`).
    fn api_base(&self) -> String;
    /// One `Name: value` header line carrying the credential.
    fn auth_header(&self) -> String;
}

impl Wire for Api {
    fn api_base(&self) -> String {
        Api::api_base(self)
    }
    fn auth_header(&self) -> String {
        format!("Authorization: Bearer {}", self.token())
    }
}
use crate::process::{Measured, measure};

/// Hard limit of any single measured process.
pub const LIMIT: Duration = Duration::from_secs(600);

/// The `cirrus` CLI signed in to one sandbox (its own data dir).
pub struct CirrusCli {
    /// The binary.
    pub bin: PathBuf,
    /// `CIRRUS_DATA_DIR` of this account.
    pub data_dir: PathBuf,
}

impl CirrusCli {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env("CIRRUS_DATA_DIR", &self.data_dir)
            .env("CIRRUS_SECRET_STORE", "file")
            .env_remove("CIRRUS_ACCOUNT");
        c
    }

    /// Signs in (the password goes through the environment, never argv).
    pub async fn login(&self, base: &str, email: &str, password: &str) -> anyhow::Result<()> {
        let mut c = self.cmd(&["--json", "login", "--server", base, "--email", email]);
        c.env("CIRRUS_PASSWORD", password);
        measure(c, LIMIT).await.map(|_| ())
    }

    /// Signs in to 123pan with a developer client id (the secret through the environment).
    pub async fn login_pan123(
        &self,
        base: &str,
        client_id: &str,
        secret: &str,
    ) -> anyhow::Result<()> {
        let mut c = self.cmd(&["--json", "login", "--provider", "123pan", "--server", base]);
        c.args(["--client-id", client_id]);
        c.env("CIRRUS_CLIENT_SECRET", secret);
        measure(c, LIMIT).await.map(|_| ())
    }

    /// `cirrus put SRC DEST --conflict overwrite` (timed; RSS sampled).
    pub async fn put(&self, src: &Path, dest: &str, parallel: usize) -> anyhow::Result<Measured> {
        let p = parallel.to_string();
        let src = src.to_str().context("utf-8 path")?;
        let args = ["--json", "put", src, dest, "--conflict", "overwrite"];
        let mut c = self.cmd(&args);
        c.args(["--parallel", &p]);
        let m = measure(c, LIMIT).await?;
        check_all_completed(&m.stdout)?;
        Ok(m)
    }

    /// `cirrus get SRC DEST --conflict overwrite`.
    pub async fn get(&self, src: &str, dest: &Path) -> anyhow::Result<Measured> {
        let dest = dest.to_str().context("utf-8 path")?;
        let c = self.cmd(&["--json", "get", src, dest, "--conflict", "overwrite"]);
        let m = measure(c, LIMIT).await?;
        check_all_completed(&m.stdout)?;
        Ok(m)
    }

    /// `cirrus ls PATH --json --page-size N`; returns the measurement and the entry count.
    pub async fn ls(&self, path: &str, page_size: u32) -> anyhow::Result<(Measured, usize)> {
        let ps = page_size.to_string();
        let c = self.cmd(&["--json", "ls", path, "--page-size", &ps]);
        let m = measure(c, LIMIT).await?;
        let v: Value = serde_json::from_slice(&m.stdout).context("ls output")?;
        let n = v.as_array().map_or(0, Vec::len);
        Ok((m, n))
    }
}

fn check_all_completed(stdout: &[u8]) -> anyhow::Result<()> {
    let v: Value = serde_json::from_slice(stdout).context("cirrus --json output")?;
    let items = v.as_array().context("an array of transfers")?;
    if items.iter().any(|i| i["state"] != "completed") {
        bail!("not every transfer completed: {v}");
    }
    Ok(())
}

/// curl flags shared by every request of the wire baseline.
pub fn curl_base(api: &dyn Wire) -> Command {
    let mut c = Command::new("curl");
    c.args(["--silent", "--show-error", "--fail"]);
    c.arg("-H").arg(api.auth_header());
    c
}

/// Posts `chunks` (files) as chunks 0..n of `session` in one curl process, one connection.
pub async fn curl_chunks(
    api: &dyn Wire,
    session: &str,
    chunks: &[PathBuf],
) -> anyhow::Result<Measured> {
    let mut c = curl_base(api);
    for (i, f) in chunks.iter().enumerate() {
        if i > 0 {
            c.arg("--next");
            c.arg("-H").arg(api.auth_header());
        }
        c.args([
            "-o",
            "/dev/null",
            "-H",
            "Content-Type: application/octet-stream",
        ]);
        c.arg("--data-binary").arg(format!("@{}", f.display()));
        c.arg(format!("{}/file/upload/{session}/{i}", api.api_base()));
    }
    measure(c, LIMIT).await
}

/// The small-file wire baseline: one curl process opens every session, a second sends every
/// file as chunk 0. Returns the total time of both.
pub async fn curl_small(api: &Api, files: &[PathBuf], dest: &str) -> anyhow::Result<Duration> {
    let mut open = curl_base(api);
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            open.arg("--next");
            open.arg("-H").arg(api.auth_header());
        }
        let name = f.file_name().and_then(|n| n.to_str()).context("name")?;
        let size = std::fs::metadata(f)?.len();
        let body = serde_json::json!({"uri": uri(&format!("{dest}/{name}")), "size": size});
        open.args([
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "--data",
        ]);
        open.arg(body.to_string());
        open.arg(format!("{}/file/upload", api.api_base()));
    }
    let opened = measure(open, LIMIT).await?;
    let mut sessions = Vec::new();
    for v in serde_json::Deserializer::from_slice(&opened.stdout).into_iter::<Value>() {
        let v = v?;
        let id = v["data"]["session_id"].as_str();
        sessions.push(id.with_context(|| format!("no session: {v}"))?.to_string());
    }
    if sessions.len() != files.len() {
        bail!("{} sessions for {} files", sessions.len(), files.len());
    }
    let sent = curl_first_chunks(api, files, &sessions).await?;
    Ok(opened.elapsed + sent.elapsed)
}

/// Sends every file as chunk 0 of its session, in one curl process.
pub async fn curl_first_chunks(
    api: &dyn Wire,
    files: &[PathBuf],
    sessions: &[String],
) -> anyhow::Result<Measured> {
    let mut send = curl_base(api);
    for (i, (f, s)) in files.iter().zip(sessions).enumerate() {
        if i > 0 {
            send.arg("--next");
            send.arg("-H").arg(api.auth_header());
        }
        send.args([
            "-o",
            "/dev/null",
            "-H",
            "Content-Type: application/octet-stream",
        ]);
        send.arg("--data-binary").arg(format!("@{}", f.display()));
        send.arg(format!("{}/file/upload/{s}/0", api.api_base()));
    }
    measure(send, LIMIT).await
}

/// `curl -o DEST URL`.
pub async fn curl_download(url: &str, dest: &Path) -> anyhow::Result<Measured> {
    let mut c = Command::new("curl");
    c.args(["--silent", "--show-error", "--fail", "-o"])
        .arg(dest)
        .arg(url);
    measure(c, LIMIT).await
}

/// Lists a folder to the end with one curl process per page (each page needs the previous
/// page's cursor). Returns the total time and the entry count.
pub async fn curl_list(api: &Api, path: &str, page_size: u32) -> anyhow::Result<(Duration, usize)> {
    let mut total = Duration::ZERO;
    let mut count = 0;
    let mut next: Option<String> = None;
    for _ in 0..100_000 {
        let mut url = format!(
            "{}/file?uri={}&page_size={page_size}",
            api.api_base(),
            q(&uri(path))
        );
        if let Some(t) = &next {
            url.push_str(&format!("&next_page_token={}", q(t)));
        }
        let mut c = curl_base(api);
        c.arg(url);
        let m = measure(c, LIMIT).await?;
        total += m.elapsed;
        let v: Value = serde_json::from_slice(&m.stdout)?;
        count += v["data"]["files"].as_array().map_or(0, Vec::len);
        next = v["data"]["pagination"]["next_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_string);
        if next.is_none() {
            return Ok((total, count));
        }
    }
    bail!("listing did not end")
}

/// The Python SDK in its venv.
#[derive(Clone)]
pub struct PythonSdk {
    /// The venv's interpreter.
    pub python: PathBuf,
    /// The driver script.
    pub script: PathBuf,
}

impl PythonSdk {
    /// Runs the driver in `mode` (`upload` or `small`); returns the time it measured itself.
    pub async fn run(
        &self,
        base: &str,
        (email, password): (&str, &str),
        mode: &str,
        src: &Path,
        dest: &str,
    ) -> anyhow::Result<Duration> {
        let mut c = Command::new(&self.python);
        c.arg(&self.script)
            .args([base, email, password, mode])
            .arg(src)
            .arg(dest);
        let m = measure(c, LIMIT).await?;
        let secs: f64 = String::from_utf8_lossy(&m.stdout).trim().parse()?;
        Ok(Duration::from_secs_f64(secs))
    }
}
