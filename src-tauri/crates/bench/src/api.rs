//! The few raw API calls the harness itself makes (sign in, folders, sessions, URLs, clean-up)
//! so the baselines send exactly the requests a client must send, nothing more.

use anyhow::{Context, bail};
use serde_json::{Value, json};

/// A signed-in raw client of one sandbox.
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

/// `cloudreve://my/<path>` for a slash path.
pub fn uri(path: &str) -> String {
    format!("cloudreve://my/{}", path.trim_start_matches('/'))
}

/// Query value encoding the server expects (the whole URI percent-encoded).
pub fn q(v: &str) -> String {
    percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl Api {
    /// Signs in with e-mail and password.
    pub async fn login(base: &str, email: &str, password: &str) -> anyhow::Result<Api> {
        let http = reqwest::Client::new();
        let v: Value = http
            .post(format!("{base}/api/v4/session/token"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await?
            .json()
            .await?;
        let token = v["data"]["token"]["access_token"]
            .as_str()
            .with_context(|| format!("login failed: {v}"))?
            .to_string();
        Ok(Api {
            http,
            base: base.to_string(),
            token,
        })
    }

    /// The bearer token (handed to curl and the SDK-free baselines).
    pub fn token(&self) -> &str {
        &self.token
    }

    /// `http://127.0.0.1:PORT/api/v4`.
    pub fn api_base(&self) -> String {
        format!("{}/api/v4", self.base)
    }

    async fn call(&self, req: reqwest::RequestBuilder) -> anyhow::Result<Value> {
        let v: Value = req.bearer_auth(&self.token).send().await?.json().await?;
        if v["code"].as_i64() != Some(0) {
            bail!("server said {v}");
        }
        Ok(v["data"].clone())
    }

    /// Creates a folder (and parents).
    pub async fn mkdir(&self, path: &str) -> anyhow::Result<()> {
        let body = json!({"uri": uri(path), "type": "folder", "err_on_conflict": false});
        self.call(
            self.http
                .post(format!("{}/file/create", self.api_base()))
                .json(&body),
        )
        .await
        .map(|_| ())
    }

    /// Deletes for good (blobs included) so repeated runs do not fill the disk.
    pub async fn delete(&self, path: &str) -> anyhow::Result<()> {
        let body = json!({"uris": [uri(path)], "skip_soft_delete": true});
        self.call(
            self.http
                .delete(format!("{}/file", self.api_base()))
                .json(&body),
        )
        .await
        .map(|_| ())
    }

    /// A download URL of a file.
    pub async fn download_url(&self, path: &str) -> anyhow::Result<String> {
        let body = json!({"uris": [uri(path)], "download": true});
        let d = self
            .call(
                self.http
                    .post(format!("{}/file/url", self.api_base()))
                    .json(&body),
            )
            .await?;
        let url = d["urls"][0]["url"].as_str().context("no url")?;
        Ok(if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.base)
        })
    }

    /// Opens an upload session and returns `(session id, chunk size)`.
    pub async fn begin_upload(&self, path: &str, size: u64) -> anyhow::Result<(String, u64)> {
        let body = json!({"uri": uri(path), "size": size});
        let d = self
            .call(
                self.http
                    .put(format!("{}/file/upload", self.api_base()))
                    .json(&body),
            )
            .await?;
        let id = d["session_id"].as_str().context("no session id")?;
        Ok((id.to_string(), d["chunk_size"].as_u64().unwrap_or(size)))
    }
}

impl Api {
    /// Size of a file as the server reports it (checks that a baseline really uploaded).
    pub async fn size(&self, path: &str) -> anyhow::Result<u64> {
        let url = format!("{}/file/info?uri={}", self.api_base(), q(&uri(path)));
        let d = self.call(self.http.get(url)).await?;
        d["size"].as_u64().with_context(|| format!("no size: {d}"))
    }
}
