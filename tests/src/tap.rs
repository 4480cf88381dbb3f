//! A TCP tap between a client and the sandbox on 127.0.0.1: it counts the bytes the client
//! sends (to measure re-sent upload bytes) and can keep a copy of the whole conversation (to
//! look for secrets the client received or sent).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Shared counters and the optional recording.
#[derive(Default)]
pub struct TapState {
    /// Bytes sent client → server.
    pub up: AtomicU64,
    /// Bytes sent server → client.
    pub down: AtomicU64,
    /// Client and server bytes, when recording is on.
    pub record: Option<Mutex<Vec<u8>>>,
}

/// A running tap; dropping it stops accepting.
pub struct Tap {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// The counters.
    pub state: Arc<TapState>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Tap {
    /// Starts a tap in front of `upstream`; `record` keeps every byte both ways (small runs).
    pub async fn start(upstream: SocketAddr, record: bool) -> std::io::Result<Tap> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(TapState {
            record: record.then(|| Mutex::new(Vec::new())),
            ..TapState::default()
        });
        let st = state.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let st = st.clone();
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        relay(client, server, st).await;
                    }
                });
            }
        });
        Ok(Tap { addr, state, task })
    }

    /// `http://127.0.0.1:PORT` of the tap.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Bytes the clients sent so far.
    pub fn up_bytes(&self) -> u64 {
        self.state.up.load(Ordering::SeqCst)
    }

    /// The recorded conversation (empty unless recording).
    pub fn recording(&self) -> Vec<u8> {
        self.state
            .record
            .as_ref()
            .map(|m| m.lock().unwrap_or_else(|e| e.into_inner()).clone())
            .unwrap_or_default()
    }
}

async fn relay(client: TcpStream, server: TcpStream, st: Arc<TapState>) {
    let (cr, cw) = client.into_split();
    let (sr, sw) = server.into_split();
    let up = pump(cr, sw, st.clone(), true);
    let down = pump(sr, cw, st, false);
    let _ = tokio::join!(up, down);
}

async fn pump(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    st: Arc<TapState>,
    upward: bool,
) {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let counter = if upward { &st.up } else { &st.down };
        counter.fetch_add(n as u64, Ordering::SeqCst);
        if let Some(r) = &st.record {
            r.lock()
                .unwrap_or_else(|e| e.into_inner())
                .extend_from_slice(&buf[..n]);
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
