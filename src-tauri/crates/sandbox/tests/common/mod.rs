//! Raw-HTTP helpers shared by the protocol tests (reqwest only, no client code).
#![allow(dead_code)]

use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use reqwest::{Client, Method, Response};
use serde_json::{Value, json};

pub struct Env {
    pub sb: Sandbox,
    pub http: Client,
    pub token: Option<String>,
}

pub async fn start(cfg: SandboxConfig) -> Env {
    let sb = Sandbox::start(cfg).await.expect("sandbox starts");
    let http = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Env {
        sb,
        http,
        token: None,
    }
}

/// A sandbox with the demo user signed in.
pub async fn demo(cfg: SandboxConfig) -> Env {
    let mut env = start(cfg).await;
    env.login(demo::EMAIL, demo::PASSWORD).await;
    env
}

pub fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Env {
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v4{}", self.sb.base_url(), path)
    }

    pub fn req(&self, m: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(m, self.api(path));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    pub async fn json(&self, m: Method, path: &str, body: Option<Value>) -> Value {
        let mut r = self.req(m, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.expect("request");
        assert_eq!(resp.status(), 200, "API errors are HTTP 200");
        resp.json().await.expect("json envelope")
    }

    pub async fn get(&self, path: &str) -> Value {
        self.json(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> Value {
        self.json(Method::POST, path, Some(body)).await
    }
    pub async fn put(&self, path: &str, body: Value) -> Value {
        self.json(Method::PUT, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str, body: Value) -> Value {
        self.json(Method::DELETE, path, Some(body)).await
    }

    pub async fn login(&mut self, email: &str, password: &str) -> Value {
        let v = self
            .post(
                "/session/token",
                json!({"email": email, "password": password}),
            )
            .await;
        assert_eq!(v["code"], 0, "login failed: {v}");
        self.token = Some(
            v["data"]["token"]["access_token"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        v
    }

    /// `GET /file?uri=…` with extra query.
    pub async fn list(&self, uri: &str, extra: &str) -> Value {
        self.get(&format!("/file?uri={}{extra}", enc(uri))).await
    }

    /// Write a whole file with `PUT /file/content`.
    pub async fn write(&self, uri: &str, content: &[u8]) -> Value {
        let resp = self
            .req(Method::PUT, &format!("/file/content?uri={}", enc(uri)))
            .body(content.to_vec())
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }

    /// Signed download URL of one file.
    pub async fn url_of(&self, uri: &str, download: bool) -> String {
        let v = self
            .post("/file/url", json!({"uris": [uri], "download": download}))
            .await;
        assert_eq!(v["code"], 0, "{v}");
        v["data"]["urls"][0]["url"].as_str().unwrap().to_string()
    }

    pub async fn download(&self, uri: &str) -> Vec<u8> {
        let url = self.url_of(uri, false).await;
        let r = self.http.get(url).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap().to_vec()
    }

    pub async fn chunk(&self, session: &str, index: u64, body: Vec<u8>) -> Value {
        let r: Response = self
            .req(Method::POST, &format!("/file/upload/{session}/{index}"))
            .header("Content-Type", "application/octet-stream")
            .body(body)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }

    /// Names in a listing page.
    pub fn names(v: &Value) -> Vec<String> {
        v["data"]["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["name"].as_str().unwrap().to_string())
            .collect()
    }
}

pub fn is_uuid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| uuid::Uuid::parse_str(s).is_ok())
}
