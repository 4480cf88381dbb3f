//! Raw-HTTP helpers for the Cloudreve 3.8.3 protocol tests: a one-cookie jar and the
//! `/api/v3` envelope (reqwest only, no client code).
#![allow(dead_code)]

use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};
use reqwest::header::{COOKIE, HeaderMap, SET_COOKIE};
use reqwest::{Client, Method};
use serde_json::{Value, json};

pub struct V3Env {
    pub sb: Sandbox,
    pub http: Client,
    /// Value of the `cloudreve-session` cookie, when the server set one.
    pub cookie: Option<String>,
}

pub fn v3(cfg: SandboxConfig) -> SandboxConfig {
    SandboxConfig {
        api: Api::V3,
        ..cfg
    }
}

pub async fn start(cfg: SandboxConfig) -> V3Env {
    let sb = Sandbox::start(v3(cfg)).await.expect("sandbox starts");
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    V3Env {
        sb,
        http,
        cookie: None,
    }
}

/// A v3 sandbox with the demo user signed in.
pub async fn demo(cfg: SandboxConfig) -> V3Env {
    let mut env = start(cfg).await;
    let v = env.login(demo::EMAIL, demo::PASSWORD).await;
    assert_eq!(v["code"], 0, "login failed: {v}");
    env
}

/// The `cloudreve-session` value of a `Set-Cookie` header, if any.
pub fn session_cookie(h: &HeaderMap) -> Option<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix("cloudreve-session="))
        .map(|v| v.split(';').next().unwrap_or("").to_string())
}

pub fn seg(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

impl V3Env {
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v3{}", self.sb.base_url(), path)
    }

    pub fn req(&self, m: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(m, self.api(path));
        match &self.cookie {
            Some(c) => r.header(COOKIE, format!("cloudreve-session={c}")),
            None => r,
        }
    }

    /// Send, keep a new session cookie, and return the envelope (always HTTP 200).
    pub async fn send(&mut self, r: reqwest::RequestBuilder) -> Value {
        let resp = r.send().await.expect("request");
        assert_eq!(resp.status(), 200, "v3 answers HTTP 200");
        if let Some(c) = session_cookie(resp.headers()) {
            self.cookie = Some(c);
        }
        resp.json().await.expect("json envelope")
    }

    pub async fn call(&mut self, m: Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self.req(m, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        self.send(r).await
    }

    pub async fn get(&mut self, path: &str) -> Value {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&mut self, path: &str, body: Value) -> Value {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn put(&mut self, path: &str, body: Value) -> Value {
        self.call(Method::PUT, path, Some(body)).await
    }
    pub async fn patch(&mut self, path: &str, body: Value) -> Value {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&mut self, path: &str, body: Value) -> Value {
        self.call(Method::DELETE, path, Some(body)).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Value {
        self.post(
            "/user/session",
            json!({"userName": email, "Password": password, "captchaCode": ""}),
        )
        .await
    }

    /// `GET /directory/<path>` with each segment percent-encoded.
    pub async fn list(&mut self, path: &str) -> Value {
        let p: Vec<String> = path.split('/').filter(|s| !s.is_empty()).map(seg).collect();
        self.get(&format!("/directory/{}", p.join("/"))).await
    }

    /// The object named `name` in the listing of `dir`.
    pub async fn object(&mut self, dir: &str, name: &str) -> Option<Value> {
        let v = self.list(dir).await;
        v["data"]["objects"]
            .as_array()?
            .iter()
            .find(|o| o["name"] == name)
            .cloned()
    }

    pub async fn id_of(&mut self, dir: &str, name: &str) -> String {
        self.object(dir, name).await.expect("object listed")["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub async fn names(&mut self, dir: &str) -> Vec<String> {
        let v = self.list(dir).await;
        v["data"]["objects"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|o| o["name"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `policy.id` of the listing of `dir`.
    pub async fn policy_id(&mut self, dir: &str) -> String {
        let v = self.list(dir).await;
        v["data"]["policy"]["id"]
            .as_str()
            .expect("policy")
            .to_string()
    }

    /// `PUT /file/upload` for `name` of `size` bytes in `dir` (the policy id comes from the
    /// listing of `dir`, or of the root when `dir` does not exist yet).
    pub async fn session(&mut self, dir: &str, name: &str, size: u64) -> Value {
        let v = self.list(dir).await;
        let pid = match v["data"]["policy"]["id"].as_str() {
            Some(p) => p.to_string(),
            None => self.policy_id("/").await,
        };
        self.put(
            "/file/upload",
            json!({"path": dir, "size": size, "name": name, "policy_id": pid,
                   "last_modified": 1_700_000_000_000i64, "mime_type": ""}),
        )
        .await
    }

    /// One local-policy chunk.
    pub async fn chunk(&mut self, sid: &str, index: u64, body: Vec<u8>) -> Value {
        let r = self
            .req(Method::POST, &format!("/file/upload/{sid}/{index}"))
            .header("Content-Type", "application/octet-stream")
            .body(body);
        self.send(r).await
    }

    /// Upload `data` through the local policy in the session's chunk size.
    pub async fn upload_local(&mut self, dir: &str, name: &str, data: &[u8]) {
        let v = self.session(dir, name, data.len() as u64).await;
        assert_eq!(v["code"], 0, "{v}");
        let sid = v["data"]["sessionID"].as_str().unwrap().to_string();
        let cs = v["data"]["chunkSize"].as_u64().unwrap() as usize;
        let parts: Vec<&[u8]> = if data.is_empty() || cs == 0 {
            vec![data]
        } else {
            data.chunks(cs).collect()
        };
        for (i, p) in parts.iter().enumerate() {
            let r = self.chunk(&sid, i as u64, p.to_vec()).await;
            assert_eq!(r["code"], 0, "chunk {i}: {r}");
        }
    }

    /// Resolve a (possibly relative) download URL against the site.
    pub fn absolute(&self, url: &str) -> String {
        if url.starts_with('/') {
            format!("{}{url}", self.sb.base_url())
        } else {
            url.to_string()
        }
    }

    /// Download URL of file `id`.
    pub async fn download_url(&mut self, id: &str) -> String {
        let v = self
            .call(Method::PUT, &format!("/file/download/{id}"), None)
            .await;
        assert_eq!(v["code"], 0, "{v}");
        v["data"].as_str().unwrap().to_string()
    }

    /// Bytes of file `name` in `dir`.
    pub async fn download(&mut self, dir: &str, name: &str) -> Vec<u8> {
        let id = self.id_of(dir, name).await;
        let url = self.download_url(&id).await;
        let r = self.http.get(self.absolute(&url)).send().await.unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        r.bytes().await.unwrap().to_vec()
    }
}
