//! A TCP listener whose connections can be cut from the outside: by a simulated restart
//! (every connection) or by the fault layer (one connection, to drop it without a response).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Sleep;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::Faults;
use super::link::Direction;

/// Wraps a bound [`TcpListener`]; every accepted stream is a [`FaultIo`].
pub struct FaultListener {
    inner: TcpListener,
    faults: Arc<Faults>,
}

impl FaultListener {
    /// Serve `inner` under the control of `faults`.
    pub fn new(inner: TcpListener, faults: Arc<Faults>) -> Self {
        Self { inner, faults }
    }
}

impl Listener for FaultListener {
    type Io = FaultIo;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (FaultIo, SocketAddr) {
        loop {
            match self.inner.accept().await {
                Ok((s, a)) => {
                    let _ = s.set_nodelay(true);
                    let token = self.faults.connection_token();
                    return (FaultIo::new(s, token, self.faults.clone()), a);
                }
                // Like axum's own listener: transient accept errors (EMFILE…) are retried.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    fn local_addr(&self) -> io::Result<SocketAddr> {
        self.inner.local_addr()
    }
}

/// A connection that fails every read/write once its token is cancelled, and whose bytes
/// go through the sandbox's simulated line when one is set.
pub struct FaultIo {
    inner: TcpStream,
    token: CancellationToken,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    faults: Arc<Faults>,
    /// Shared with the connection's [`ConnHandle`] so a cut is counted once.
    counted: Arc<AtomicBool>,
    /// Until when the line's budget holds this connection back, per direction.
    waits: [Option<Pin<Box<Sleep>>>; 2],
    /// Reads under a link go through here, a slice at a time.
    scratch: Vec<u8>,
}

impl FaultIo {
    fn new(inner: TcpStream, token: CancellationToken, faults: Arc<Faults>) -> Self {
        let cancelled = Box::pin(token.clone().cancelled_owned());
        Self {
            inner,
            token,
            cancelled,
            faults,
            counted: Arc::new(AtomicBool::new(false)),
            waits: [None, None],
            scratch: Vec::new(),
        }
    }

    /// Pending while the line's budget of `dir` holds this connection back.
    fn paced(&mut self, dir: Direction, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(w) = &mut self.waits[dir as usize] {
            if w.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            self.waits[dir as usize] = None;
        }
        Poll::Ready(())
    }

    /// Charges `n` moved bytes to the line and arms this connection's wait.
    fn charge(&mut self, dir: Direction, n: usize) {
        if let Some(until) = self.faults.link().charge(dir, n) {
            self.waits[dir as usize] = Some(Box::pin(tokio::time::sleep_until(until)));
        }
    }

    /// Polling the cancellation future registers the waker, so an idle keep-alive connection
    /// parked in `poll_read` wakes up and dies when the token fires.
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        if self.cancelled.as_mut().poll(cx).is_ready() {
            if !self.counted.swap(true, Ordering::SeqCst) {
                self.faults.stats_mut().connections_cut += 1;
            }
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "connection cut by fault injection",
            ));
        }
        Ok(())
    }
}

impl AsyncRead for FaultIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        let Some(slice) = self.faults.link().slice() else {
            return Pin::new(&mut self.inner).poll_read(cx, buf);
        };
        if self.paced(Direction::Up, cx).is_pending() {
            return Poll::Pending;
        }
        // Reading at most a slice leaves the rest in the socket, so TCP flow control holds
        // the client back as a slow line would.
        let want = slice.min(buf.remaining());
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.resize(want, 0);
        let mut sub = ReadBuf::new(&mut scratch);
        let r = Pin::new(&mut self.inner).poll_read(cx, &mut sub);
        let n = sub.filled().len();
        if let Poll::Ready(Ok(())) = r {
            buf.put_slice(&scratch[..n]);
            self.charge(Direction::Up, n);
        }
        self.scratch = scratch;
        r
    }
}

impl AsyncWrite for FaultIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        let Some(slice) = self.faults.link().slice() else {
            return Pin::new(&mut self.inner).poll_write(cx, buf);
        };
        if self.paced(Direction::Down, cx).is_pending() {
            return Poll::Pending;
        }
        let want = slice.min(buf.len());
        let r = Pin::new(&mut self.inner).poll_write(cx, &buf[..want]);
        if let Poll::Ready(Ok(n)) = r {
            self.charge(Direction::Down, n);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if let Err(e) = self.check(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Per-connection handle exposed to handlers as `ConnectInfo<ConnHandle>`.
#[derive(Clone)]
pub struct ConnHandle {
    /// Peer address.
    pub remote: SocketAddr,
    token: CancellationToken,
    counted: Arc<AtomicBool>,
    faults: Arc<Faults>,
}

impl ConnHandle {
    /// Close this connection without writing anything more.
    pub fn cut(&self) {
        self.token.cancel();
        if !self.counted.swap(true, Ordering::SeqCst) {
            self.faults.stats_mut().connections_cut += 1;
        }
    }
}

impl Connected<IncomingStream<'_, FaultListener>> for ConnHandle {
    fn connect_info(stream: IncomingStream<'_, FaultListener>) -> Self {
        ConnHandle {
            remote: *stream.remote_addr(),
            token: stream.io().token.clone(),
            counted: stream.io().counted.clone(),
            faults: stream.io().faults.clone(),
        }
    }
}
