//! Ranged reads of remote files for the WebView. The UI gets an opaque id for an
//! (account, file) pair; every read goes to the provider's short-lived content URL with the
//! reader's `Range`, and each answer carries at most [`MAX_CHUNK`] bytes, so a film is never
//! held in memory whole: the media element asks again for the next range.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::StreamExt;

use super::kind::mime_for;
use super::range::{ByteRange, parse_range};
use crate::error::{Error, ErrorKind, Result};
use crate::provider::{Provider, RemoteRef};

/// Most bytes one answer carries (a ranged answer is cut here; the reader asks for the rest).
pub const MAX_CHUNK: u64 = 4 << 20;
/// Largest file served whole to a reader that sent no `Range` (images, PDFs read at once).
pub const MAX_WHOLE: u64 = 48 << 20;
/// Ids kept at most; the oldest are forgotten first.
const MAX_TARGETS: usize = 256;
/// How long a content URL is reused before a fresh one is asked for.
const URL_TTL: Duration = Duration::from_secs(120);

/// The file behind an id.
#[derive(Clone, Debug)]
pub struct MediaTarget {
    /// The account the file belongs to.
    pub account_id: String,
    /// The file.
    pub remote: RemoteRef,
    /// Its name (for the Content-Type).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
}

/// One answer to a read: status, headers the WebView needs, and the bytes.
#[derive(Debug)]
pub struct MediaChunk {
    /// 200 (whole file) or 206 (a range).
    pub status: u16,
    /// The file's Content-Type.
    pub content_type: &'static str,
    /// `bytes a-b/size` for a 206.
    pub content_range: Option<String>,
    /// The file's size.
    pub total: u64,
    /// The bytes.
    pub body: Bytes,
}

struct CachedUrl {
    url: String,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    targets: HashMap<String, MediaTarget>,
    order: VecDeque<String>,
    urls: HashMap<String, CachedUrl>,
}

/// The ids handed to the UI, and the reads behind them.
pub struct MediaStore {
    inner: Mutex<Inner>,
    http: reqwest::Client,
}

impl MediaStore {
    /// An empty store with its own HTTP client for storage URLs (which may redirect to
    /// object storage, unlike API calls).
    pub fn new() -> Result<Self> {
        let http = reqwest::Client::builder()
            .user_agent(crate::net::user_agent())
            .connect_timeout(Duration::from_secs(15))
            .read_timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| Error::io(format!("Cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner: Mutex::new(Inner::default()),
            http,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers a file and returns its id (random, so nothing about the file shows in URLs).
    pub fn register(&self, target: MediaTarget) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut inner = self.lock();
        inner.targets.insert(id.clone(), target);
        inner.order.push_back(id.clone());
        while inner.order.len() > MAX_TARGETS {
            if let Some(old) = inner.order.pop_front() {
                inner.targets.remove(&old);
                inner.urls.remove(&old);
            }
        }
        id
    }

    /// The file behind an id.
    pub fn target(&self, id: &str) -> Option<MediaTarget> {
        self.lock().targets.get(id).cloned()
    }

    async fn url(&self, id: &str, provider: &dyn Provider, remote: &RemoteRef) -> Result<String> {
        if let Some(c) = self.lock().urls.get(id)
            && c.at.elapsed() < URL_TTL
        {
            return Ok(c.url.clone());
        }
        let url = provider.download_url(remote).await?;
        self.lock().urls.insert(
            id.to_string(),
            CachedUrl {
                url: url.clone(),
                at: Instant::now(),
            },
        );
        Ok(url)
    }

    /// Reads what `range_header` asks for (at most [`MAX_CHUNK`] of it) of the file behind
    /// `id`. Without a header, a file up to [`MAX_WHOLE`] comes whole, a larger one as a
    /// first 206 chunk.
    pub async fn read(
        &self,
        id: &str,
        provider: &dyn Provider,
        range_header: Option<&str>,
    ) -> Result<MediaChunk> {
        let target = self
            .target(id)
            .ok_or_else(|| Error::with_message(ErrorKind::NotFound, "This preview has expired."))?;
        let size = target.size;
        let asked = parse_range(range_header, size)?;
        let range = match asked {
            Some(r) => Some(r.capped(MAX_CHUNK)),
            None if size > MAX_WHOLE => Some(
                ByteRange {
                    start: 0,
                    end: size - 1,
                }
                .capped(MAX_CHUNK),
            ),
            None => None,
        };
        let mut refreshed = false;
        loop {
            let url = self.url(id, provider, &target.remote).await?;
            match self.fetch(&url, range, size).await {
                // An expired signed URL: ask for a fresh one, once.
                Err(e) if e.kind() == ErrorKind::PermissionDenied && !refreshed => {
                    refreshed = true;
                    self.lock().urls.remove(id);
                }
                Err(e) => return Err(e),
                Ok(body) => {
                    return Ok(MediaChunk {
                        status: if range.is_some() { 206 } else { 200 },
                        content_type: mime_for(&target.name),
                        content_range: range.map(|r| r.content_range(size)),
                        total: size,
                        body,
                    });
                }
            }
        }
    }

    async fn fetch(&self, url: &str, range: Option<ByteRange>, size: u64) -> Result<Bytes> {
        let mut req = self.http.get(url);
        if let Some(r) = range {
            req = req.header(
                reqwest::header::RANGE,
                format!("bytes={}-{}", r.start, r.end),
            );
        }
        let resp = req.send().await.map_err(|e| crate::net::from_reqwest(&e))?;
        let status = resp.status().as_u16();
        let kind = match status {
            200..=299 => None,
            401 | 403 => Some(ErrorKind::PermissionDenied),
            404 | 410 => Some(ErrorKind::NotFound),
            500..=599 => Some(ErrorKind::Server),
            _ => Some(ErrorKind::Protocol),
        };
        if let Some(kind) = kind {
            return Err(Error::with_message(
                kind,
                format!("The storage server answered HTTP {status}."),
            )
            .with_http_status(status));
        }
        let (skip, want) = match range {
            Some(r) if status == 206 => (0, r.len()),
            // A server that ignores Range sends the whole file: skip to the start we want.
            Some(r) => (r.start, r.len()),
            None => (0, size),
        };
        let mut body = resp.bytes_stream();
        let mut out = Vec::with_capacity(want as usize);
        let mut seen = 0u64;
        while let Some(piece) = body.next().await {
            let piece = piece.map_err(|e| crate::net::from_reqwest(&e))?;
            let from = skip.saturating_sub(seen).min(piece.len() as u64) as usize;
            seen += piece.len() as u64;
            let room = (want - out.len() as u64) as usize;
            let take = (piece.len() - from).min(room);
            out.extend_from_slice(&piece[from..from + take]);
            if out.len() as u64 == want {
                break;
            }
        }
        if (out.len() as u64) < want {
            return Err(Error::with_message(
                ErrorKind::Network,
                format!("The storage server sent {} of {want} bytes.", out.len()),
            ));
        }
        Ok(Bytes::from(out))
    }
}

/// Shared handle, as the desktop keeps it.
pub type SharedMediaStore = Arc<MediaStore>;
