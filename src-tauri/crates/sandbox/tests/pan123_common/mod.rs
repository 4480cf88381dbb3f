//! Raw-HTTP helpers for the 123pan Open Platform tests: the `Platform` and bearer headers,
//! the `{code, message, data, x-traceID}` envelope and multipart forms (reqwest only).
#![allow(dead_code)]

use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

pub struct Env {
    pub sb: Sandbox,
    pub http: Client,
    pub token: String,
}

pub fn md5_hex(data: &[u8]) -> String {
    use md5::Digest;
    md5::Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A 123pan sandbox (QPS limiter off unless `qps`) with a token of the demo client.
pub async fn start(qps: bool) -> Env {
    let sb = Sandbox::start(SandboxConfig {
        api: Api::Pan123,
        ..SandboxConfig::default()
    })
    .await
    .expect("sandbox starts");
    sb.set_pan123_qps_limit(qps);
    let http = Client::new();
    let mut env = Env {
        sb,
        http,
        token: String::new(),
    };
    env.token = env.new_token().await;
    env
}

impl Env {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.base_url())
    }

    pub fn upload_url(&self, path: &str) -> String {
        format!("{}{path}", self.sb.pan123_upload_url().unwrap())
    }

    /// `POST /api/v1/access_token` with the demo credentials; returns the token.
    pub async fn new_token(&self) -> String {
        let v = self
            .raw_post(
                "/api/v1/access_token",
                None,
                json!({"clientID": demo::PAN123_CLIENT_ID, "clientSecret": demo::PAN123_CLIENT_SECRET}),
            )
            .await;
        assert_eq!(v["code"], 0, "{v}");
        v["data"]["accessToken"].as_str().unwrap().to_string()
    }

    pub async fn raw_post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        let mut r = self
            .http
            .post(self.url(path))
            .header("Platform", "open_platform")
            .json(&body);
        if let Some(t) = token {
            r = r.header("Authorization", format!("Bearer {t}"));
        }
        let resp = r.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    pub async fn get_with(&self, path: &str, token: &str) -> Value {
        let resp = self
            .http
            .get(self.url(path))
            .header("Platform", "open_platform")
            .header("Authorization", format!("Bearer {token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    pub async fn get(&self, path: &str) -> Value {
        self.get_with(path, &self.token).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.raw_post(path, Some(&self.token), body).await
    }

    pub async fn put(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .put(self.url(path))
            .header("Platform", "open_platform")
            .header("Authorization", format!("Bearer {}", self.token))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// Multipart POST to `url` (an upload-host URL).
    pub async fn form(&self, url: &str, form: Form) -> Value {
        let resp = self
            .http
            .post(url)
            .header("Platform", "open_platform")
            .header("Authorization", format!("Bearer {}", self.token))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        resp.json().await.unwrap()
    }

    /// All items of folder `parent` via the v2 list, following `lastFileId`.
    pub async fn list_all(&self, parent: i64) -> Vec<Value> {
        let mut out = Vec::new();
        let mut last = 0i64;
        loop {
            let v = self
                .get(&format!(
                    "/api/v2/file/list?parentFileId={parent}&limit=100&lastFileId={last}"
                ))
                .await;
            assert_eq!(v["code"], 0, "{v}");
            out.extend(v["data"]["fileList"].as_array().unwrap().iter().cloned());
            last = v["data"]["lastFileId"].as_i64().unwrap();
            if last == -1 {
                return out;
            }
        }
    }

    /// The item named `name` in folder `parent`.
    pub async fn find(&self, parent: i64, name: &str) -> Option<Value> {
        self.list_all(parent)
            .await
            .into_iter()
            .find(|x| x["filename"] == name)
    }

    /// Single-step upload of `data` as `name` into `parent`.
    pub async fn single(
        &self,
        parent: i64,
        name: &str,
        data: &[u8],
        duplicate: Option<i64>,
    ) -> Value {
        let mut form = Form::new()
            .text("parentFileID", parent.to_string())
            .text("filename", name.to_string())
            .text("etag", md5_hex(data))
            .text("size", data.len().to_string())
            .part(
                "file",
                Part::bytes(data.to_vec()).file_name(name.to_string()),
            );
        if let Some(d) = duplicate {
            form = form.text("duplicate", d.to_string());
        }
        self.form(&self.upload_url("/upload/v2/file/single/create"), form)
            .await
    }

    /// Upload one slice.
    pub async fn slice(&self, server: &str, pre: &str, no: u64, data: &[u8], md5: &str) -> Value {
        let form = Form::new()
            .text("preuploadID", pre.to_string())
            .text("sliceNo", no.to_string())
            .text("sliceMD5", md5.to_string())
            .part(
                "slice",
                Part::bytes(data.to_vec()).file_name(format!("{pre}-{no}")),
            );
        self.form(&format!("{server}/upload/v2/file/slice"), form)
            .await
    }
}
