//! Types shared by the upload/download half of the `Provider` trait. The transfer engine is
//! written against these exact shapes; `UploadSession` is persisted as JSON so an upload can
//! resume after a restart.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::model::RemoteRef;
use crate::crypto::AesCtrKey;
use crate::error::{Error, ErrorKind, Result};
use crate::transfer::BandwidthLimiter;
use crate::transfer::item::Fingerprint;

/// What to upload and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRequest {
    /// Folder to upload into.
    pub parent: RemoteRef,
    /// File name inside `parent`.
    pub name: String,
    /// Exact plaintext size in bytes.
    pub size: u64,
    /// Local modification time, Unix milliseconds.
    pub modified_ms: Option<i64>,
    /// MIME type, if known.
    pub mime: Option<String>,
    /// Replace an existing file (as a new version where supported).
    pub overwrite: bool,
    /// Ask for client-side encryption when the storage policy supports it.
    pub want_client_encryption: bool,
    /// On a name clash, let the server pick a free name itself where it can (the engine
    /// otherwise picks `name (1).ext` after an `AlreadyExists`). The finished file's name
    /// is the one `finish_upload` returns.
    pub keep_both: bool,
    /// Lower-case hex MD5 of the whole file, computed by the engine before `begin_upload`
    /// when the provider's capabilities say `upload_needs_md5` (`None` otherwise).
    pub md5: Option<String>,
}

/// AES-256-CTR key material for client-side encryption. Serialized as standard base64;
/// `Debug` never prints the key.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptionParams {
    /// 32-byte key.
    pub key: [u8; 32],
    /// 16-byte initial counter block.
    pub iv: [u8; 16],
}

impl fmt::Debug for EncryptionParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncryptionParams { key: <redacted>, iv: <redacted> }")
    }
}

#[derive(Serialize, Deserialize)]
struct EncryptionParamsWire {
    key: String,
    iv: String,
}

impl Serialize for EncryptionParams {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EncryptionParamsWire {
            key: STANDARD.encode(self.key),
            iv: STANDARD.encode(self.iv),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for EncryptionParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error as _;
        let w = EncryptionParamsWire::deserialize(d)?;
        let key: [u8; 32] = STANDARD
            .decode(&w.key)
            .map_err(D::Error::custom)?
            .try_into()
            .map_err(|_| D::Error::custom("encryption key must be 32 bytes"))?;
        let iv: [u8; 16] = STANDARD
            .decode(&w.iv)
            .map_err(D::Error::custom)?
            .try_into()
            .map_err(|_| D::Error::custom("encryption iv must be 16 bytes"))?;
        Ok(EncryptionParams { key, iv })
    }
}

/// What the storage answered for one acknowledged chunk that completion needs later, e.g.
/// the `ETag` of an S3 multipart part. Most storages need nothing (`ChunkReceipt::default()`).
///
/// The transfer engine persists receipts next to the acknowledged chunk index, so an upload
/// resumed after a restart can still complete without re-sending those chunks. This is the
/// only way for S3-family policies: the client holds presigned URLs for `UploadPart` and
/// `CompleteMultipartUpload` only, so it cannot ask the store for the parts (`ListParts`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkReceipt(pub Option<String>);

impl ChunkReceipt {
    /// A receipt carrying `token` (opaque to everyone but the provider).
    pub fn new(token: impl Into<String>) -> Self {
        ChunkReceipt(Some(token.into()))
    }

    /// The provider's token, if the storage gave one.
    pub fn token(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

/// Start of the message of the error raised when the local file changed (or shrank) while it
/// was being uploaded; the transfer engine recognises it and restarts the upload once.
pub(crate) const LOCAL_CHANGED_PREFIX: &str = "The local file changed";

/// The "local file changed" error for `path`.
pub(crate) fn local_changed(path: &Path) -> Error {
    Error::with_message(
        ErrorKind::Io,
        format!(
            "{LOCAL_CHANGED_PREFIX} while it was being uploaded: {}",
            path.display()
        ),
    )
}

/// Whether `e` is the "local file changed" error.
pub fn is_local_change(e: &Error) -> bool {
    e.kind() == ErrorKind::Io && e.message().starts_with(LOCAL_CHANGED_PREFIX)
}

/// Bytes per read of a streamed [`FileSlice`] (what is in memory at once, per request).
pub const STREAM_BLOCK: usize = 1 << 20;

/// The body of one `upload_chunk` request: bytes already in memory (already encrypted when
/// the session says so), or a piece of a local file read, encrypted and sent block by block.
///
/// Cloning is cheap; every request attempt must build a fresh body with [`ChunkData::body`]
/// (a retry re-sends from the start).
#[derive(Clone, Debug)]
pub enum ChunkData {
    /// The chunk, ready to send.
    Memory(Bytes),
    /// The chunk streamed from disk (whole-file uploads of any size in bounded memory).
    File(FileSlice),
}

impl ChunkData {
    /// Exact number of bytes the request body will carry (its `Content-Length`).
    pub fn len(&self) -> u64 {
        match self {
            ChunkData::Memory(b) => b.len() as u64,
            ChunkData::File(f) => f.len(),
        }
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A fresh request body with the same bytes (call once per attempt).
    pub fn body(&self) -> reqwest::Body {
        match self {
            ChunkData::Memory(b) => reqwest::Body::from(b.clone()),
            ChunkData::File(f) => f.body(),
        }
    }

    /// The same data without its first `skip` bytes (`skip` ≤ `len()`).
    pub fn skip(&self, skip: u64) -> ChunkData {
        match self {
            ChunkData::Memory(b) => ChunkData::Memory(b.slice(skip.min(b.len() as u64) as usize..)),
            ChunkData::File(f) => ChunkData::File(f.skip(skip)),
        }
    }

    /// All the bytes in memory. Reads a `File` chunk completely: for tests and small data only.
    pub async fn to_bytes(&self) -> Result<Bytes> {
        match self {
            ChunkData::Memory(b) => Ok(b.clone()),
            ChunkData::File(f) => {
                use futures::TryStreamExt;
                let blocks: Vec<Bytes> = f.stream().try_collect().await?;
                Ok(Bytes::from(blocks.concat()))
            }
        }
    }
}

impl From<Bytes> for ChunkData {
    fn from(b: Bytes) -> Self {
        ChunkData::Memory(b)
    }
}

impl From<Vec<u8>> for ChunkData {
    fn from(b: Vec<u8>) -> Self {
        ChunkData::Memory(Bytes::from(b))
    }
}

/// `len` bytes of a local file from `offset`, read on demand in blocks of [`STREAM_BLOCK`]
/// bytes (on the blocking pool) and encrypted at their file offset when a key is set.
///
/// The file must still have the fingerprint it had when the upload began, and must not end
/// early: otherwise the stream fails with the "local file changed" error, before the last
/// block is handed over, so the server never receives a complete body of mixed contents.
#[derive(Clone)]
pub struct FileSlice {
    path: Arc<PathBuf>,
    offset: u64,
    len: u64,
    fingerprint: Fingerprint,
    key: Option<AesCtrKey>,
    limiter: Option<Arc<BandwidthLimiter>>,
    block: usize,
    progress: Option<SliceProgress>,
}

/// Told how far into the slice the current body has been read (restarts at each attempt).
pub type SliceProgress = Arc<dyn Fn(u64) + Send + Sync>;

impl fmt::Debug for FileSlice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSlice")
            .field("path", &self.path)
            .field("offset", &self.offset)
            .field("len", &self.len)
            .field("encrypted", &self.key.is_some())
            .field("block", &self.block)
            .finish()
    }
}

impl FileSlice {
    /// Bytes `offset..offset + len` of `path`, whose fingerprint must stay `fingerprint`.
    pub fn new(path: impl Into<PathBuf>, offset: u64, len: u64, fingerprint: Fingerprint) -> Self {
        FileSlice {
            path: Arc::new(path.into()),
            offset,
            len,
            fingerprint,
            key: None,
            limiter: None,
            block: STREAM_BLOCK,
            progress: None,
        }
    }

    /// Call `progress` with the bytes of the slice read so far, after each block.
    pub fn with_progress(mut self, progress: SliceProgress) -> Self {
        self.progress = Some(progress);
        self
    }

    /// Encrypt each block at its file offset with `key`.
    pub fn with_key(mut self, key: Option<AesCtrKey>) -> Self {
        self.key = key;
        self
    }

    /// Wait for `limiter` before reading each block.
    pub fn with_limiter(mut self, limiter: Arc<BandwidthLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Read in blocks of `block` bytes instead of [`STREAM_BLOCK`] (at least 1).
    pub fn with_block_size(mut self, block: usize) -> Self {
        self.block = block.max(1);
        self
    }

    /// The local file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// First byte's offset in the file.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Number of bytes.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the slice is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether blocks are encrypted.
    pub fn is_encrypted(&self) -> bool {
        self.key.is_some()
    }

    /// The slice without its first `skip` bytes.
    pub fn skip(&self, skip: u64) -> FileSlice {
        let skip = skip.min(self.len);
        FileSlice {
            offset: self.offset + skip,
            len: self.len - skip,
            ..self.clone()
        }
    }

    /// A streaming request body over the slice.
    pub fn body(&self) -> reqwest::Body {
        reqwest::Body::wrap_stream(self.stream())
    }

    /// The slice's (encrypted) bytes, block by block, from the start.
    pub fn stream(&self) -> impl futures::Stream<Item = Result<Bytes>> + Send + 'static {
        let slice = self.clone();
        futures::stream::try_unfold((None::<std::fs::File>, 0u64), move |(file, done)| {
            let slice = slice.clone();
            async move {
                if done >= slice.len {
                    return Ok(None);
                }
                let block = match &slice.limiter {
                    Some(l) => l.piece_size(slice.block as u64),
                    None => slice.block as u64,
                };
                let n = (slice.len - done).min(block);
                if let Some(l) = &slice.limiter {
                    l.acquire(n).await;
                }
                let progress = slice.progress.clone();
                let (file, buf) =
                    tokio::task::spawn_blocking(move || slice.read_block(file, done, n as usize))
                        .await
                        .map_err(|e| Error::io(format!("Reader task failed: {e}")))??;
                if let Some(p) = progress {
                    p(done + n);
                }
                Ok(Some((Bytes::from(buf), (Some(file), done + n))))
            }
        })
    }

    /// Reads (and encrypts) `n` bytes at `done` bytes into the slice, opening the file on the
    /// first call. Blocking.
    fn read_block(
        &self,
        file: Option<std::fs::File>,
        done: u64,
        n: usize,
    ) -> Result<(std::fs::File, Vec<u8>)> {
        let path = self.path.as_path();
        let mut file = match file {
            Some(f) => f,
            None => {
                let mut f = std::fs::File::open(path)
                    .map_err(|e| Error::io(format!("Cannot open {}: {e}", path.display())))?;
                self.check_unchanged(&f)?;
                f.seek(SeekFrom::Start(self.offset + done))?;
                f
            }
        };
        let mut buf = vec![0u8; n];
        let mut filled = 0;
        while filled < n {
            match file.read(&mut buf[filled..]) {
                Ok(0) => return Err(local_changed(path)),
                Ok(k) => filled += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::io(format!("Cannot read {}: {e}", path.display()))),
            }
        }
        if done + n as u64 == self.len {
            // The last block: whatever was read must still be the file the upload began with.
            self.check_unchanged(&file)?;
        }
        if let Some(key) = &self.key {
            key.apply_at(self.offset + done, &mut buf);
        }
        Ok((file, buf))
    }

    fn check_unchanged(&self, f: &std::fs::File) -> Result<()> {
        if Fingerprint::of(&f.metadata()?) != self.fingerprint {
            return Err(local_changed(&self.path));
        }
        Ok(())
    }
}

/// Receipts of the acknowledged chunks that have one, by chunk index.
pub type ChunkReceipts = std::collections::BTreeMap<u64, String>;

/// A server-side upload session. Everything the provider needs to continue the upload is
/// in here, so it can be stored (SQLite, JSON) and used again after a restart.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct UploadSession {
    /// Provider session id.
    pub id: String,
    /// The file being created.
    pub target: RemoteRef,
    /// Bytes per chunk; 0 = the whole file in one request.
    pub chunk_size: u64,
    /// How many chunks may be in flight at once.
    pub chunk_concurrency: u32,
    /// When the session expires, Unix seconds.
    pub expires_at: i64,
    /// Client-side encryption parameters, when the upload must be encrypted.
    pub encryption: Option<EncryptionParams>,
    /// Provider-private state: policy type, upload URLs, credentials, callback secret…
    pub policy: serde_json::Value,
    /// The server already holds the content (an instant upload): no chunk is sent and
    /// `finish_upload` returns the file at once.
    #[serde(default)]
    pub complete: bool,
}

impl UploadSession {
    /// Number of chunks for a file of `size` bytes (at least one, even for empty files).
    pub fn chunk_count(&self, size: u64) -> u64 {
        if self.chunk_size == 0 || size == 0 {
            1
        } else {
            size.div_ceil(self.chunk_size)
        }
    }

    /// Exact length of chunk `index` for a file of `size` bytes.
    pub fn chunk_len(&self, size: u64, index: u64) -> u64 {
        if self.chunk_size == 0 {
            return size;
        }
        let start = index.saturating_mul(self.chunk_size);
        size.saturating_sub(start).min(self.chunk_size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_round_trips_through_json_with_base64_key() {
        let s = UploadSession {
            id: "abc".into(),
            target: RemoteRef::new("cloudreve://my/a%20b.txt"),
            chunk_size: 10,
            chunk_concurrency: 2,
            expires_at: 1_700_000_000,
            encryption: Some(EncryptionParams {
                key: [7; 32],
                iv: [9; 16],
            }),
            policy: serde_json::json!({"type": "local"}),
            complete: false,
        };
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains(&STANDARD.encode([7u8; 32])));
        let back: UploadSession = serde_json::from_str(&json).unwrap();
        assert_eq!(back.encryption, s.encryption);
        assert_eq!(back.target, s.target);
        assert!(!format!("{s:?}").contains("7, 7"));
    }

    #[test]
    fn chunk_arithmetic() {
        let mut s = UploadSession {
            id: String::new(),
            target: RemoteRef::new(""),
            chunk_size: 10,
            chunk_concurrency: 1,
            expires_at: 0,
            encryption: None,
            policy: serde_json::Value::Null,
            complete: false,
        };
        assert_eq!(s.chunk_count(0), 1);
        assert_eq!(s.chunk_count(25), 3);
        assert_eq!(s.chunk_len(25, 2), 5);
        assert_eq!(s.chunk_len(25, 0), 10);
        s.chunk_size = 0;
        assert_eq!(s.chunk_count(25), 1);
        assert_eq!(s.chunk_len(25, 0), 25);
    }

    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + i / 253) as u8).collect()
    }

    fn fingerprint(path: &Path) -> Fingerprint {
        Fingerprint::of(&std::fs::metadata(path).unwrap())
    }

    async fn blocks(slice: &FileSlice) -> Result<Vec<Bytes>> {
        use futures::TryStreamExt;
        slice.stream().try_collect().await
    }

    #[tokio::test]
    async fn a_file_slice_streams_in_blocks_of_the_asked_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let data = content(10_000);
        std::fs::write(&path, &data).unwrap();
        let fp = fingerprint(&path);
        // Block size dividing the slice exactly, not dividing it, larger than it.
        for (offset, len, block, want) in [
            (0u64, 10_000u64, 1000usize, vec![1000; 10]),
            (3, 2500, 1000, vec![1000, 1000, 500]),
            (9_999, 1, 1000, vec![1]),
            (17, 5000, 8192, vec![5000]),
            (5, 0, 1000, vec![]),
        ] {
            let slice = FileSlice::new(&path, offset, len, fp).with_block_size(block);
            let got = blocks(&slice).await.unwrap();
            assert_eq!(got.iter().map(|b| b.len()).collect::<Vec<_>>(), want);
            let range = offset as usize..(offset + len) as usize;
            assert_eq!(got.concat(), &data[range.clone()]);
            // Every stream starts over (what a retried request needs).
            let data_again = ChunkData::File(slice.clone());
            assert_eq!(data_again.len(), len);
            assert_eq!(data_again.to_bytes().await.unwrap(), &data[range.clone()]);
            assert_eq!(
                data_again.skip(len / 2).to_bytes().await.unwrap(),
                &data[range.start + (len / 2) as usize..range.end]
            );
        }
    }

    #[tokio::test]
    async fn streamed_blocks_are_encrypted_at_their_file_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let data = content(70_001);
        std::fs::write(&path, &data).unwrap();
        let key = AesCtrKey::new([3; 32], [0xff; 16]);
        let mut whole = data.clone();
        key.apply_at(0, &mut whole);
        // Odd offsets and block sizes: blocks start mid AES block.
        for (offset, len, block) in [(0u64, 70_001u64, 4096usize), (7, 65_000, 1000), (33, 29, 5)] {
            let slice = FileSlice::new(&path, offset, len, fingerprint(&path))
                .with_key(Some(key.clone()))
                .with_block_size(block);
            assert!(slice.is_encrypted());
            let got = blocks(&slice).await.unwrap().concat();
            assert_eq!(got, &whole[offset as usize..(offset + len) as usize]);
        }
    }

    #[tokio::test]
    async fn a_file_that_shrank_or_changed_fails_as_a_local_change() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        std::fs::write(&path, content(5000)).unwrap();
        let fp = fingerprint(&path);
        let slice = FileSlice::new(&path, 0, 5000, fp).with_block_size(1000);

        // Shrinks while being read: the blocks before are handed over, then the error.
        let mut stream = std::pin::pin!(slice.stream());
        use futures::StreamExt;
        assert_eq!(stream.next().await.unwrap().unwrap().len(), 1000);
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(2500)
            .unwrap();
        let mut errors = vec![];
        while let Some(item) = stream.next().await {
            if let Err(e) = item {
                errors.push(e);
                break;
            }
        }
        assert_eq!(errors.len(), 1);
        assert!(is_local_change(&errors[0]), "{}", errors[0]);

        // Already different when the stream starts (size and time differ from the
        // fingerprint).
        let e = blocks(&slice).await.unwrap_err();
        assert!(is_local_change(&e), "{e}");

        // Same size, rewritten meanwhile: the last block is never handed over.
        std::fs::write(&path, content(5000)).unwrap();
        let slice = FileSlice::new(&path, 0, 5000, fingerprint(&path)).with_block_size(1000);
        let mut stream = std::pin::pin!(slice.stream());
        assert!(stream.next().await.unwrap().is_ok());
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(10))
            .unwrap();
        let mut last = None;
        let mut ok = 1;
        while let Some(item) = stream.next().await {
            match item {
                Ok(_) => ok += 1,
                Err(e) => {
                    last = Some(e);
                    break;
                }
            }
        }
        assert_eq!(ok, 4, "the first blocks are read, not the last");
        assert!(last.is_some_and(|e| is_local_change(&e)));

        // A missing file is an I/O error of its own.
        std::fs::remove_file(&path).unwrap();
        let e = blocks(&slice).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io);
        assert!(!is_local_change(&e));
    }
}
