//! An in-memory provider with the upload semantics of Cloudreve v4 (exact chunk lengths,
//! sessions that expire, AES-256-CTR ciphertext stored as sent) plus a small HTTP server for
//! ranged downloads. Knobs inject failures.

use crate::crypto::AesCtrKey;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::*;
use async_trait::async_trait;
use axum::extract::{Path as AxPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub const ROOT: &str = "mock://root";

pub struct MockSession {
    pub target: String,
    pub size: u64,
    pub key: Option<AesCtrKey>,
    pub received: BTreeMap<u64, Vec<u8>>,
    pub expired: bool,
}

#[derive(Default)]
pub struct Knobs {
    pub chunk_size: u64,
    pub concurrency: u32,
    pub encryption: bool,
    /// Chunk index whose upload never answers (until cleared).
    pub hang_at: Option<u64>,
    /// Chunk indices that fail once with a retryable network error.
    pub flaky_once: Vec<u64>,
    /// Chunk index that fails with a fatal error.
    pub fatal_at: Option<u64>,
    /// Expire the session after this many chunks were stored.
    pub expire_after_chunks: Option<usize>,
    /// Only the first session expires.
    pub expire_once: bool,
    /// Called when chunk `index` arrives (before it is stored).
    pub on_chunk: Option<Box<dyn Fn(u64) + Send + Sync>>,
}

#[derive(Default)]
pub struct DriveState {
    pub folders: Vec<String>,
    /// uri → (name, plaintext)
    pub files: HashMap<String, (String, Vec<u8>)>,
    pub sessions: HashMap<String, MockSession>,
    pub chunk_calls: Vec<(String, u64)>,
    pub begin_calls: u32,
    pub cancelled: Vec<String>,
    pub knobs: Knobs,
    /// Download requests served: (uri, range header).
    pub served: Vec<(String, Option<String>)>,
    /// Answer this many download requests with 403 (an expired signed URL).
    pub deny_downloads: usize,
    /// Every chunk fails with a retryable network error.
    pub network_down: bool,
    pub url_calls: usize,
    pub in_flight_bytes: u64,
    pub max_in_flight_bytes: u64,
}

#[derive(Clone)]
pub struct MockProvider {
    pub state: Arc<Mutex<DriveState>>,
    pub base_url: String,
    next: Arc<AtomicU64>,
}

fn parent_of(uri: &str) -> &str {
    &uri[..uri.rfind('/').unwrap()]
}

fn entry(uri: &str, name: &str, kind: EntryKind, size: u64) -> Entry {
    Entry {
        remote: RemoteRef::new(uri),
        name: name.to_string(),
        kind,
        size,
        created_at: None,
        updated_at: None,
        uploading: false,
        id: None,
        original_location: None,
    }
}

impl MockProvider {
    pub async fn start(knobs: Knobs) -> Self {
        let state = Arc::new(Mutex::new(DriveState {
            knobs,
            folders: vec![ROOT.into()],
            ..Default::default()
        }));
        let app = axum::Router::new()
            .route("/f/{id}", axum::routing::get(serve))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        MockProvider {
            state,
            base_url: format!("http://{addr}"),
            next: Arc::new(AtomicU64::new(1)),
        }
    }

    pub fn put_file(&self, uri: &str, data: &[u8]) {
        let name = uri.rsplit('/').next().unwrap().to_string();
        self.state
            .lock()
            .unwrap()
            .files
            .insert(uri.to_string(), (name, data.to_vec()));
    }

    /// A file whose server-side name differs from its URI (hostile names).
    pub fn put_named_file(&self, uri: &str, name: &str, data: &[u8]) {
        self.state
            .lock()
            .unwrap()
            .files
            .insert(uri.to_string(), (name.to_string(), data.to_vec()));
    }

    pub fn file(&self, uri: &str) -> Option<Vec<u8>> {
        self.state
            .lock()
            .unwrap()
            .files
            .get(uri)
            .map(|f| f.1.clone())
    }

    pub fn chunk_calls(&self, index: u64) -> usize {
        self.state
            .lock()
            .unwrap()
            .chunk_calls
            .iter()
            .filter(|c| c.1 == index)
            .count()
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut DriveState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

/// The receipt the mock storage issues for a chunk (and insists on getting back).
fn receipt_of(session: &str, index: u64) -> String {
    format!("\"{session}-{index}\"")
}

fn encode_id(uri: &str) -> String {
    uri.bytes().map(|b| format!("{b:02x}")).collect()
}

fn decode_id(id: &str) -> String {
    let bytes: Vec<u8> = (0..id.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&id[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

async fn serve(
    State(state): State<Arc<Mutex<DriveState>>>,
    AxPath(id): AxPath<String>,
    headers: HeaderMap,
) -> Response {
    let uri = decode_id(&id);
    let range = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let data = {
        let mut s = state.lock().unwrap();
        s.served.push((uri.clone(), range.clone()));
        if s.deny_downloads > 0 {
            s.deny_downloads -= 1;
            return StatusCode::FORBIDDEN.into_response();
        }
        match s.files.get(&uri) {
            Some(f) => f.1.clone(),
            None => return StatusCode::NOT_FOUND.into_response(),
        }
    };
    let total = data.len() as u64;
    match range.and_then(|r| {
        let r = r.strip_prefix("bytes=")?;
        let (a, b) = r.split_once('-')?;
        Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?))
    }) {
        Some((a, b)) if a <= b && b < total => (
            StatusCode::PARTIAL_CONTENT,
            [(header::CONTENT_RANGE, format!("bytes {a}-{b}/{total}"))],
            data[a as usize..=b as usize].to_vec(),
        )
            .into_response(),
        Some(_) => StatusCode::RANGE_NOT_SATISFIABLE.into_response(),
        None => (StatusCode::OK, data).into_response(),
    }
}

#[async_trait]
impl Provider for MockProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            client_encryption: true,
            resumable_upload: true,
            ranged_download: true,
            ..Default::default()
        }
    }
    fn root(&self) -> RemoteRef {
        RemoteRef::new(ROOT)
    }
    async fn resolve_path(&self, path: &str) -> Result<RemoteRef> {
        Ok(RemoteRef::new(format!("{ROOT}{path}")))
    }
    async fn whoami(&self) -> Result<UserInfo> {
        Err(Error::unsupported("whoami"))
    }
    async fn capacity(&self) -> Result<Capacity> {
        Ok(Capacity {
            total: u64::MAX,
            used: 0,
        })
    }
    async fn list(
        &self,
        folder: &RemoteRef,
        _opts: &ListOptions,
        _cursor: Option<&str>,
    ) -> Result<ListPage> {
        let s = self.state.lock().unwrap();
        let mut entries: Vec<Entry> = s
            .folders
            .iter()
            .filter(|f| f.as_str() != ROOT && parent_of(f) == folder.as_str())
            .map(|f| entry(f, f.rsplit('/').next().unwrap(), EntryKind::Folder, 0))
            .collect();
        entries.extend(
            s.files
                .iter()
                .filter(|(u, _)| parent_of(u) == folder.as_str())
                .map(|(u, (name, d))| entry(u, name, EntryKind::File, d.len() as u64)),
        );
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(ListPage {
            entries,
            next_cursor: None,
            limited: false,
        })
    }
    async fn stat(&self, item: &RemoteRef) -> Result<Entry> {
        let s = self.state.lock().unwrap();
        s.files
            .get(item.as_str())
            .map(|(n, d)| entry(item.as_str(), n, EntryKind::File, d.len() as u64))
            .ok_or_else(|| Error::new(ErrorKind::NotFound))
    }
    async fn create_folder(&self, parent: &RemoteRef, name: &str) -> Result<Entry> {
        let uri = format!("{}/{name}", parent.as_str());
        let mut s = self.state.lock().unwrap();
        if !s.folders.contains(&uri) {
            s.folders.push(uri.clone());
        }
        Ok(entry(&uri, name, EntryKind::Folder, 0))
    }
    async fn rename(&self, _item: &RemoteRef, _new_name: &str) -> Result<Entry> {
        Err(Error::unsupported("rename"))
    }
    async fn move_items(&self, _items: &[RemoteRef], _dest: &RemoteRef) -> Result<BatchOutcome> {
        Err(Error::unsupported("move"))
    }
    async fn delete(&self, _items: &[RemoteRef], _mode: DeleteMode) -> Result<BatchOutcome> {
        Err(Error::unsupported("delete"))
    }
    async fn begin_upload(&self, req: &UploadRequest) -> Result<UploadSession> {
        let uri = format!("{}/{}", req.parent.as_str(), req.name);
        let mut s = self.state.lock().unwrap();
        s.begin_calls += 1;
        if s.files.contains_key(&uri) && !req.overwrite {
            return Err(Error::new(ErrorKind::AlreadyExists).with_server_code(40004));
        }
        let id = format!("sess-{}", self.next.fetch_add(1, Ordering::SeqCst));
        let key = (s.knobs.encryption && req.want_client_encryption).then(|| {
            let n = self.next.load(Ordering::SeqCst) as u8;
            EncryptionParams {
                key: [n; 32],
                iv: [0xff - n; 16],
            }
        });
        s.sessions.insert(
            id.clone(),
            MockSession {
                target: uri.clone(),
                size: req.size,
                key: key.as_ref().map(|k| AesCtrKey::new(k.key, k.iv)),
                received: BTreeMap::new(),
                expired: false,
            },
        );
        Ok(UploadSession {
            id,
            target: RemoteRef::new(uri),
            chunk_size: s.knobs.chunk_size,
            chunk_concurrency: s.knobs.concurrency,
            expires_at: chrono::Utc::now().timestamp() + 3600,
            encryption: key,
            policy: serde_json::json!({"type": "local"}),
            complete: false,
        })
    }
    async fn upload_chunk(
        &self,
        session: &UploadSession,
        index: u64,
        data: ChunkData,
    ) -> Result<ChunkReceipt> {
        // A streamed chunk is read (from disk, as a server would) before anything else.
        let data = data.to_bytes().await?;
        let hang = {
            let mut s = self.state.lock().unwrap();
            s.chunk_calls.push((session.id.clone(), index));
            if let Some(cb) = &s.knobs.on_chunk {
                cb(index);
            }
            s.in_flight_bytes += data.len() as u64;
            s.max_in_flight_bytes = s.max_in_flight_bytes.max(s.in_flight_bytes);
            s.knobs.hang_at == Some(index)
        };
        if hang {
            std::future::pending::<()>().await;
        }
        // Let parallel chunks overlap so the in-flight measurement means something.
        tokio::task::yield_now().await;
        let mut s = self.state.lock().unwrap();
        s.in_flight_bytes -= data.len() as u64;
        if s.network_down {
            return Err(Error::new(ErrorKind::Network));
        }
        if let Some(pos) = s.knobs.flaky_once.iter().position(|&i| i == index) {
            s.knobs.flaky_once.remove(pos);
            return Err(Error::new(ErrorKind::Network));
        }
        if s.knobs.fatal_at == Some(index) {
            return Err(Error::new(ErrorKind::QuotaExceeded).with_server_code(40051));
        }
        let expire_after = s.knobs.expire_after_chunks;
        let expire_once = s.knobs.expire_once;
        let sess = s
            .sessions
            .get_mut(&session.id)
            .ok_or_else(|| Error::new(ErrorKind::UploadSessionExpired))?;
        if sess.expired {
            return Err(Error::new(ErrorKind::UploadSessionExpired).with_server_code(40011));
        }
        let expected = session.chunk_len(sess.size, index);
        if data.len() as u64 != expected {
            return Err(Error::invalid(format!(
                "Invalid Content-Length (expected: {expected})"
            )));
        }
        sess.received.insert(index, data.to_vec());
        if expire_after.is_some_and(|n| sess.received.len() >= n) {
            sess.expired = true;
            if expire_once {
                s.knobs.expire_after_chunks = None;
            }
        }
        // Like an S3 ETag: completion needs it back, even after an engine restart.
        Ok(ChunkReceipt::new(receipt_of(&session.id, index)))
    }
    async fn finish_upload(
        &self,
        session: &UploadSession,
        receipts: &ChunkReceipts,
    ) -> Result<Entry> {
        let mut s = self.state.lock().unwrap();
        let sess = s
            .sessions
            .remove(&session.id)
            .ok_or_else(|| Error::new(ErrorKind::UploadSessionExpired))?;
        let count = session.chunk_count(sess.size);
        if sess.received.len() as u64 != count {
            return Err(Error::protocol(format!(
                "{} of {count} chunks",
                sess.received.len()
            )));
        }
        if let Some(i) = (0..count).find(|i| receipts.get(i) != Some(&receipt_of(&session.id, *i)))
        {
            return Err(Error::protocol(format!("receipt of chunk {i} is missing")));
        }
        let mut data: Vec<u8> = sess.received.into_values().flatten().collect();
        if let Some(k) = &sess.key {
            k.apply_at(0, &mut data);
        }
        let name = sess.target.rsplit('/').next().unwrap().to_string();
        let e = entry(&sess.target, &name, EntryKind::File, data.len() as u64);
        s.files.insert(sess.target.clone(), (name, data));
        Ok(e)
    }
    async fn cancel_upload(&self, session: &UploadSession) -> Result<()> {
        let mut s = self.state.lock().unwrap();
        s.sessions.remove(&session.id);
        s.cancelled.push(session.id.clone());
        Ok(())
    }
    async fn download_url(&self, file: &RemoteRef) -> Result<String> {
        self.state.lock().unwrap().url_calls += 1;
        if !self.state.lock().unwrap().files.contains_key(file.as_str()) {
            return Err(Error::new(ErrorKind::NotFound));
        }
        Ok(format!("{}/f/{}", self.base_url, encode_id(file.as_str())))
    }
}
