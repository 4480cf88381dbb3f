//! A hostile server: a reverse proxy in front of the sandbox that answers chosen routes with
//! canned bad responses (or rewrites the names of a real listing) and forwards the rest, so a
//! client can sign in normally and then meet the corpus.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::Response;
use serde_json::Value;

/// What a matching route answers.
#[derive(Clone, Debug)]
pub enum Answer {
    /// This status, content type and body, whatever was asked.
    Canned {
        /// HTTP status.
        status: u16,
        /// `Content-Type`.
        content_type: &'static str,
        /// Body bytes.
        body: Vec<u8>,
    },
    /// Forward, then replace `data.files[i].name` with `names[i]` (paths stay real).
    RenameListing(Vec<String>),
}

/// One rule: requests with this method and path get `answer`.
#[derive(Clone, Debug)]
pub struct Rule {
    /// HTTP method.
    pub method: Method,
    /// Exact path, e.g. `/api/v4/file`.
    pub path: String,
    /// The answer.
    pub answer: Answer,
}

struct Inner {
    upstream: String,
    http: reqwest::Client,
    rules: Mutex<Vec<Rule>>,
}

/// A running hostile proxy.
pub struct Hostile {
    inner: Arc<Inner>,
    addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Hostile {
    /// Starts a proxy on 127.0.0.1 forwarding to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: String) -> std::io::Result<Hostile> {
        let inner = Arc::new(Inner {
            upstream,
            http: reqwest::Client::new(),
            rules: Mutex::new(Vec::new()),
        });
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Hostile { inner, addr, task })
    }

    /// `http://127.0.0.1:PORT` of the proxy.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Replaces every rule.
    pub fn set_rules(&self, rules: Vec<Rule>) {
        *self.inner.rules.lock().unwrap_or_else(|e| e.into_inner()) = rules;
    }
}

fn response(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    r
}

async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let rule = inner
        .rules
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|r| r.method == req.method() && r.path == req.uri().path())
        .cloned();
    match rule.map(|r| r.answer) {
        Some(Answer::Canned {
            status,
            content_type,
            body,
        }) => response(status, content_type, body),
        Some(Answer::RenameListing(names)) => {
            let (status, ct, body) = forward(&inner, req).await;
            let Ok(mut v) = serde_json::from_slice::<Value>(&body) else {
                return response(status, &ct, body.to_vec());
            };
            if let Some(files) = v["data"]["files"].as_array_mut() {
                for (f, n) in files.iter_mut().zip(&names) {
                    f["name"] = Value::String(n.clone());
                }
            }
            response(status, &ct, v.to_string().into_bytes())
        }
        None => {
            let (status, ct, body) = forward(&inner, req).await;
            response(status, &ct, body.to_vec())
        }
    }
}

async fn forward(inner: &Inner, req: Request) -> (u16, String, Bytes) {
    let url = format!(
        "{}{}",
        inner.upstream,
        req.uri().path_and_query().map_or("/", |p| p.as_str())
    );
    let method = req.method().clone();
    let headers = req.headers().clone();
    let body = axum::body::to_bytes(req.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let mut r = inner.http.request(method, url).body(body);
    for (k, v) in &headers {
        if k != header::HOST && k != header::CONTENT_LENGTH {
            r = r.header(k, v);
        }
    }
    match r.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let ct = resp
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("application/octet-stream")
                .to_string();
            (status, ct, resp.bytes().await.unwrap_or_default())
        }
        Err(_) => (
            502,
            "text/plain".into(),
            Bytes::from_static(b"upstream failed"),
        ),
    }
}
