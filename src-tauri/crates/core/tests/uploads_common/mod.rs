//! Helpers for the per-storage-policy upload tests: a provider wrapper that counts chunk
//! requests (and can hold one forever), deterministic file contents, engine runs and
//! byte-exact downloads.
#![allow(dead_code)]

use async_trait::async_trait;
use cirrus_core::Result;
use cirrus_core::provider::*;
use cirrus_core::transfer::*;
use cirrus_sandbox::policy::PolicyKind;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// S3 rejects non-final parts under 5 MiB, so S3-family tests use parts of this size.
pub const S3_PART: u64 = 5 << 20;

/// Qiniu rejects non-final parts under 1 MiB.
pub const QINIU_PART: u64 = 1 << 20;

/// Chunk size used for the other policies: small, to get many chunks from small files.
pub const SMALL_CHUNK: u64 = 1000;

/// A hook run when a chunk request starts.
pub type ChunkHook = Box<dyn FnMut(u64) + Send>;

/// Wraps the real provider and records every chunk request `(session, index, bytes)`.
pub struct Counting {
    pub inner: Arc<dyn Provider>,
    pub calls: Mutex<Vec<(String, u64, usize)>>,
    /// Chunk index whose request never returns (to stop an engine mid-upload).
    pub hang_at: Mutex<Option<u64>>,
    /// Sessions created, with whether the client had to encrypt.
    pub sessions: Mutex<Vec<(String, bool)>>,
    /// Chunk bytes handed to the provider and not yet answered, and the peak of that.
    pub in_flight: Mutex<(u64, u64)>,
    /// Chunks handed over as a file to stream from disk rather than as bytes in memory.
    pub streamed: Mutex<Vec<FileSlice>>,
    /// Failed chunk requests: index and error.
    pub failures: Mutex<Vec<(u64, String)>>,
    /// Chunk indices whose request is parked at `hang_at` (so stopping the engine now cannot
    /// let it slip through once `hang_at` is cleared).
    pub hung: Mutex<Vec<u64>>,
    /// Run with the chunk index when a chunk request starts.
    pub on_chunk: Mutex<Option<ChunkHook>>,
}

impl Counting {
    pub fn new(inner: Arc<dyn Provider>) -> Arc<Self> {
        Arc::new(Counting {
            inner,
            calls: Mutex::new(vec![]),
            hang_at: Mutex::new(None),
            sessions: Mutex::new(vec![]),
            in_flight: Mutex::new((0, 0)),
            streamed: Mutex::new(vec![]),
            failures: Mutex::new(vec![]),
            hung: Mutex::new(vec![]),
            on_chunk: Mutex::new(None),
        })
    }

    /// Chunk requests made for `index` (of any session).
    pub fn calls_for(&self, index: u64) -> usize {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.1 == index)
            .count()
    }

    /// The most chunk bytes that were in flight at once.
    pub fn peak_in_flight(&self) -> u64 {
        self.in_flight.lock().unwrap().1
    }

    pub fn clear(&self) {
        self.calls.lock().unwrap().clear();
    }
}

#[async_trait]
impl Provider for Counting {
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn root(&self) -> RemoteRef {
        self.inner.root()
    }
    async fn resolve_path(&self, path: &str) -> Result<RemoteRef> {
        self.inner.resolve_path(path).await
    }
    async fn whoami(&self) -> Result<UserInfo> {
        self.inner.whoami().await
    }
    async fn capacity(&self) -> Result<Capacity> {
        self.inner.capacity().await
    }
    async fn list(
        &self,
        folder: &RemoteRef,
        opts: &ListOptions,
        cursor: Option<&str>,
    ) -> Result<ListPage> {
        self.inner.list(folder, opts, cursor).await
    }
    async fn stat(&self, item: &RemoteRef) -> Result<Entry> {
        self.inner.stat(item).await
    }
    async fn create_folder(&self, parent: &RemoteRef, name: &str) -> Result<Entry> {
        self.inner.create_folder(parent, name).await
    }
    async fn rename(&self, item: &RemoteRef, new_name: &str) -> Result<Entry> {
        self.inner.rename(item, new_name).await
    }
    async fn move_items(&self, items: &[RemoteRef], dest: &RemoteRef) -> Result<BatchOutcome> {
        self.inner.move_items(items, dest).await
    }
    async fn delete(&self, items: &[RemoteRef], mode: DeleteMode) -> Result<BatchOutcome> {
        self.inner.delete(items, mode).await
    }
    async fn begin_upload(&self, req: &UploadRequest) -> Result<UploadSession> {
        let s = self.inner.begin_upload(req).await?;
        self.sessions
            .lock()
            .unwrap()
            .push((s.id.clone(), s.encryption.is_some()));
        Ok(s)
    }
    async fn upload_chunk(
        &self,
        session: &UploadSession,
        index: u64,
        data: ChunkData,
    ) -> Result<ChunkReceipt> {
        self.calls
            .lock()
            .unwrap()
            .push((session.id.clone(), index, data.len() as usize));
        if let ChunkData::File(f) = &data {
            self.streamed.lock().unwrap().push(f.clone());
        }
        if let Some(hook) = self.on_chunk.lock().unwrap().as_mut() {
            hook(index);
        }
        if *self.hang_at.lock().unwrap() == Some(index) {
            self.hung.lock().unwrap().push(index);
            std::future::pending::<()>().await;
        }
        let len = data.len();
        {
            let mut f = self.in_flight.lock().unwrap();
            f.0 += len;
            f.1 = f.1.max(f.0);
        }
        let out = self.inner.upload_chunk(session, index, data).await;
        if let Err(e) = &out {
            self.failures
                .lock()
                .unwrap()
                .push((index, format!("{e:?}")));
        }
        self.in_flight.lock().unwrap().0 -= len;
        out
    }
    async fn finish_upload(
        &self,
        session: &UploadSession,
        receipts: &ChunkReceipts,
    ) -> Result<Entry> {
        self.inner.finish_upload(session, receipts).await
    }
    async fn cancel_upload(&self, session: &UploadSession) -> Result<()> {
        self.inner.cancel_upload(session).await
    }
    async fn download_url(&self, file: &RemoteRef) -> Result<String> {
        self.inner.download_url(file).await
    }
}

/// Deterministic, non-repeating-looking content.
pub fn data(len: usize, seed: u8) -> Vec<u8> {
    let mut x = 0x9E37_79B9u32 ^ u32::from(seed);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

pub fn sha(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Engine settings for tests: quick retries, `attempts` per request.
pub fn config(attempts: u32, want_encryption: bool) -> EngineConfig {
    EngineConfig {
        retry: RetryPolicy::fast(attempts),
        want_client_encryption: want_encryption,
        download_chunk_size: 4 << 20,
        ..Default::default()
    }
}

/// Policies the upload tests name one by one; any other policy the sandbox serves is covered
/// by the catch-all tests, so a new policy cannot go untested.
pub const COVERED_POLICIES: [PolicyKind; 10] = [
    PolicyKind::Local,
    PolicyKind::Relay,
    PolicyKind::Remote,
    PolicyKind::S3,
    PolicyKind::Ks3,
    PolicyKind::Cos,
    PolicyKind::Obs,
    PolicyKind::OneDrive,
    PolicyKind::Qiniu,
    PolicyKind::Upyun,
];

/// A request for a new `size`-byte file `name` in `parent` (no overwrite, no encryption asked).
pub fn upload_request(parent: RemoteRef, name: &str, size: u64) -> UploadRequest {
    UploadRequest {
        parent,
        name: name.into(),
        size,
        modified_ms: None,
        mime: None,
        overwrite: false,
        want_client_encryption: false,
        keep_both: false,
        md5: None,
    }
}

/// Chunk size the tests give `kind`.
pub fn chunk_for(kind: PolicyKind) -> u64 {
    if kind.is_s3_family() {
        S3_PART
    } else if kind == PolicyKind::OneDrive {
        // Graph wants fragments in multiples of 320 KiB.
        320 << 10
    } else if kind == PolicyKind::Qiniu {
        QINIU_PART
    } else {
        SMALL_CHUNK
    }
}

/// File sizes around the chunk boundaries of `kind`: 0 B, 1 B, chunk − 1, chunk, chunk + 1
/// and several chunks.
pub fn odd_sizes(kind: PolicyKind) -> Vec<usize> {
    let c = chunk_for(kind) as usize;
    let mut sizes = vec![0, 1, c - 1, c, c + 1, 3 * c + 17];
    if kind == PolicyKind::OneDrive {
        // Graph upload sessions cannot take empty files (tested separately).
        sizes.remove(0);
    }
    sizes
}

/// Whether uploads to `kind` go in one request whatever the chunk size: relay policies (the
/// server says `chunk_size` 0) and Upyun's form API (the client makes it 0).
pub fn whole_file(kind: PolicyKind) -> bool {
    matches!(kind, PolicyKind::Relay | PolicyKind::Upyun)
}

/// Whether the client encrypts uploads to `kind` when the sandbox encrypts: the sandbox
/// offers client encryption on the local and slave policies only; relay policies are
/// encrypted by the server, and object storages (S3 family, OneDrive, Qiniu, Upyun) store
/// plaintext unless a test switches their encryption on
/// (`Sandbox::set_policy_encryption`).
pub fn client_encrypts(kind: PolicyKind, sandbox_encryption: bool) -> bool {
    sandbox_encryption && matches!(kind, PolicyKind::Local | PolicyKind::Remote)
}

pub async fn remote_entry(p: &dyn Provider, folder: &RemoteRef, name: &str) -> Entry {
    let page = p.list(folder, &ListOptions::default(), None).await.unwrap();
    page.entries
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{name} not on the server"))
}

/// Downloads `entry` with the engine and returns its bytes.
pub async fn download_bytes(p: Arc<dyn Provider>, entry: &Entry) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let q = Arc::new(TransferQueue::open_in_memory().unwrap());
    let e = TransferEngine::new(p, q.clone(), config(6, false)).unwrap();
    let id = e
        .enqueue_download(entry, dir.path(), ConflictPolicy::Ask)
        .unwrap();
    e.wait_idle().await.unwrap();
    let item = q.get(id).unwrap();
    assert_eq!(item.state, ItemState::Completed, "{:?}", item.error);
    std::fs::read(&item.local_path).unwrap()
}

/// Polls `cond` every 10 ms for up to `secs` seconds.
pub async fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached in {secs} s");
}
