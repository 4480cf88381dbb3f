//! Cloudreve 3 rows: the large upload and the small files again on a `--api v3` sandbox,
//! Cirrus against curl (the same requests a v3 client must send) and the PyPI `cloudreve`
//! 1.0.7 SDK, the last release of that SDK that speaks v3.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};

use crate::clients::{
    CirrusCli, LIMIT, PythonSdk, Wire, curl_base, curl_chunks, curl_first_chunks,
};
use crate::process::measure;
use crate::report::{Row, ratio};
use crate::stats::{mb_per_s, per_s};

/// A raw v3 client signed in with the `cloudreve-session` cookie.
pub struct V3Api {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

/// `/a/b c` as the path part of a v3 URL (each segment percent-encoded).
fn url_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| format!("/{}", crate::api::q(s)))
        .collect()
}

/// `(parent, name)` of a slash path.
fn split(path: &str) -> (String, String) {
    let path = path.trim_end_matches('/');
    match path.rsplit_once('/') {
        Some((p, n)) => (if p.is_empty() { "/".into() } else { p.into() }, n.into()),
        None => ("/".into(), path.into()),
    }
}

impl Wire for V3Api {
    fn api_base(&self) -> String {
        format!("{}/api/v3", self.base)
    }
    fn auth_header(&self) -> String {
        format!("Cookie: cloudreve-session={}", self.cookie)
    }
}

impl V3Api {
    /// Signs in with e-mail and password and keeps the session cookie.
    pub async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<V3Api> {
        let http = reqwest::Client::new();
        let r = http
            .post(format!("{base}/api/v3/user/session"))
            .json(&json!({"userName": email, "Password": password, "captchaCode": ""}))
            .send()
            .await?;
        let cookie = r
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| v.strip_prefix("cloudreve-session="))
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        let v: Value = r.json().await?;
        match cookie {
            Some(cookie) if v["code"] == 0 => Ok(V3Api {
                http,
                base: base.to_string(),
                cookie,
            }),
            _ => bail!("v3 login failed: {v}"),
        }
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let v: Value = req
            .header(
                reqwest::header::COOKIE,
                format!("cloudreve-session={}", self.cookie),
            )
            .send()
            .await?
            .json()
            .await?;
        if v["code"].as_i64() != Some(0) {
            bail!("server said {v}");
        }
        Ok(v["data"].clone())
    }

    /// Creates a folder (and parents).
    pub async fn mkdir(&self, path: &str) -> anyhow::Result<()> {
        let url = format!("{}/directory", self.api_base());
        self.call(self.http.put(url).json(&json!({"path": path})))
            .await
            .map(|_| ())
    }

    /// The listing of a folder (`objects` and `policy`).
    pub async fn list(&self, dir: &str) -> anyhow::Result<Value> {
        let url = format!("{}/directory{}", self.api_base(), url_path(dir));
        self.call(self.http.get(url)).await
    }

    /// The listing entry of `path`.
    pub async fn entry(&self, path: &str) -> anyhow::Result<Value> {
        let (dir, name) = split(path);
        let l = self.list(&dir).await?;
        l["objects"]
            .as_array()
            .and_then(|o| o.iter().find(|e| e["name"] == name.as_str()))
            .cloned()
            .with_context(|| format!("{path} is not listed"))
    }

    /// Size of a file as the server lists it.
    pub async fn size(&self, path: &str) -> anyhow::Result<u64> {
        let e = self.entry(path).await?;
        e["size"].as_u64().with_context(|| format!("no size: {e}"))
    }

    /// Deletes a file or folder (v3 deletes for good).
    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        let e = self.entry(path).await?;
        let id = e["id"].clone();
        let body = if e["type"] == "dir" {
            json!({"items": [], "dirs": [id], "force": false, "unlink": false})
        } else {
            json!({"items": [id], "dirs": [], "force": false, "unlink": false})
        };
        let url = format!("{}/object", self.api_base());
        self.call(self.http.delete(url).json(&body))
            .await
            .map(|_| ())
    }

    /// The upload request body of `path` (the folder's `policy_id` is required).
    fn upload_body(path: &str, size: u64, policy_id: &Value) -> Value {
        let (dir, name) = split(path);
        json!({"path": dir, "size": size, "name": name, "policy_id": policy_id,
               "last_modified": 0, "mime_type": ""})
    }

    /// Opens an upload session and returns its id.
    pub async fn begin_upload(&self, path: &str, size: u64) -> anyhow::Result<String> {
        let policy = self.list(&split(path).0).await?["policy"]["id"].clone();
        let url = format!("{}/file/upload", self.api_base());
        let d = self
            .call(
                self.http
                    .put(url)
                    .json(&Self::upload_body(path, size, &policy)),
            )
            .await?;
        Ok(d["sessionID"].as_str().context("no sessionID")?.to_string())
    }
}

/// The small-file wire baseline on v3: one listing for the policy, one curl process opening
/// every session, a second sending every file as chunk 0. Returns the total time.
async fn curl_small(
    api: &V3Api,
    files: &[PathBuf],
    dest: &str,
) -> anyhow::Result<std::time::Duration> {
    let t = std::time::Instant::now();
    let policy = api.list(dest).await?["policy"]["id"].clone();
    let listed = t.elapsed();
    let mut open = curl_base(api);
    for (i, f) in files.iter().enumerate() {
        if i > 0 {
            open.arg("--next");
            open.arg("-H").arg(api.auth_header());
        }
        let name = f.file_name().and_then(|n| n.to_str()).context("name")?;
        let body = V3Api::upload_body(
            &format!("{dest}/{name}"),
            std::fs::metadata(f)?.len(),
            &policy,
        );
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
        let id = v["data"]["sessionID"].as_str();
        sessions.push(id.with_context(|| format!("no session: {v}"))?.to_string());
    }
    ensure!(sessions.len() == files.len(), "{} sessions", sessions.len());
    let sent = curl_first_chunks(api, files, &sessions).await?;
    Ok(listed + opened.elapsed + sent.elapsed)
}

/// One v3 sandbox as every client sees it.
pub struct V3Bench {
    /// The CLI's account on it.
    pub cli: CirrusCli,
    /// The harness's raw client.
    pub api: V3Api,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The v3 SDK, when its venv was given.
    pub sdk: Option<PythonSdk>,
    /// Demo credentials (for the SDK).
    pub creds: (&'static str, &'static str),
    /// Runs per measurement.
    pub runs: usize,
    /// Files uploaded at once by the CLI in the small-file test.
    pub small_parallel: usize,
}

impl V3Bench {
    /// One large upload by each client on the local policy.
    pub async fn upload(&self, big: &Path, chunks: &[PathBuf]) -> anyhow::Result<Row> {
        let size = std::fs::metadata(big)?.len();
        let (mut c, mut w, mut py) = (vec![], vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  v3 upload run {}/{}", r + 1, self.runs);
            let dest = format!("/bench/v3-c{r}");
            self.api.mkdir(&dest).await?;
            let m = self.cli.put(big, &dest, 1).await?;
            let name = big.file_name().and_then(|n| n.to_str()).context("name")?;
            ensure!(
                self.api.size(&format!("{dest}/{name}")).await? == size,
                "cirrus size"
            );
            c.push(mb_per_s(size, m.elapsed));
            self.api.delete(&dest).await?;

            let path = format!("/bench/v3-w{r}.bin");
            let session = self.api.begin_upload(&path, size).await?;
            let m = curl_chunks(&self.api, &session, chunks).await?;
            ensure!(
                self.api.size(&path).await? == size,
                "curl upload incomplete"
            );
            w.push(mb_per_s(size, m.elapsed));
            self.api.delete(&path).await?;

            if let Some(sdk) = &self.sdk {
                let path = format!("/bench/v3-p{r}.bin");
                let t = sdk
                    .run(&self.base, self.creds, "upload", big, &path)
                    .await?;
                ensure!(self.api.size(&path).await? == size, "SDK upload incomplete");
                py.push(mb_per_s(size, t));
                self.api.delete(&path).await?;
            }
        }
        let mut targets = vec![("vs wire".into(), ratio(&c, &w), 0.95)];
        if !py.is_empty() {
            targets.push(("vs Python".into(), ratio(&c, &py), 3.0));
        }
        Ok(Row {
            what: format!("{} MiB upload, Cloudreve 3 local policy", size >> 20),
            unit: "MB/s",
            targets,
            cirrus: c,
            wire: w,
            python: py,
        })
    }

    /// Many small files, files per second.
    pub async fn small_files(&self, dir: &Path, files: &[PathBuf]) -> anyhow::Result<Row> {
        let n = files.len() as u64;
        let (mut c, mut w, mut py) = (vec![], vec![], vec![]);
        for r in 0..self.runs {
            eprintln!("  v3 small files run {}/{}", r + 1, self.runs);
            let dest = format!("/bench/v3s-c{r}");
            self.api.mkdir(&dest).await?;
            let m = self.cli.put(dir, &dest, self.small_parallel).await?;
            c.push(per_s(n, m.elapsed));
            self.api.delete(&dest).await?;

            let dest = format!("/bench/v3s-w{r}");
            self.api.mkdir(&dest).await?;
            w.push(per_s(n, curl_small(&self.api, files, &dest).await?));
            self.api.delete(&dest).await?;

            if let Some(sdk) = &self.sdk {
                let dest = format!("/bench/v3s-p{r}");
                self.api.mkdir(&dest).await?;
                py.push(per_s(
                    n,
                    sdk.run(&self.base, self.creds, "small", dir, &dest).await?,
                ));
                self.api.delete(&dest).await?;
            }
        }
        let mut targets = vec![];
        if !py.is_empty() {
            targets.push(("vs Python".into(), ratio(&c, &py), 5.0));
        }
        targets.push(("vs wire (info)".into(), ratio(&c, &w), 0.0));
        Ok(Row {
            what: format!(
                "{n} files × {} KiB upload, Cloudreve 3",
                std::fs::metadata(&files[0])?.len() / 1024
            ),
            unit: "files/s",
            targets,
            cirrus: c,
            wire: w,
            python: py,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_and_encode_as_a_v3_url() {
        assert_eq!(split("/bench/a b.bin"), ("/bench".into(), "a b.bin".into()));
        assert_eq!(split("/top"), ("/".into(), "top".into()));
        assert_eq!(url_path("/bench/a b"), "/bench/a%20b");
        assert_eq!(url_path("/"), "");
    }
}
