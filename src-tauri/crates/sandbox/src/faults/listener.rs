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
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::Faults;

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

/// A connection that fails every read/write once its token is cancelled.
pub struct FaultIo {
    inner: TcpStream,
    token: CancellationToken,
    cancelled: Pin<Box<WaitForCancellationFutureOwned>>,
    faults: Arc<Faults>,
    /// Shared with the connection's [`ConnHandle`] so a cut is counted once.
    counted: Arc<AtomicBool>,
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
        Pin::new(&mut self.inner).poll_read(cx, buf)
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
        Pin::new(&mut self.inner).poll_write(cx, buf)
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
