//! A small proxy written for the tests: plain-HTTP forwarding, HTTP CONNECT and SOCKS5 (with
//! optional user/password), counting what goes through it. It knows one host name the rest
//! of the machine does not (`FAKE_HOST`), so a request that bypasses it cannot reach the
//! sandbox at all.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Resolved only by the proxy (to 127.0.0.1).
pub const FAKE_HOST: &str = "sandbox.cirrus-proxy-test.invalid";

#[derive(Default)]
pub struct Counters {
    /// Plain-HTTP requests forwarded (one per connection: the proxy closes after each).
    pub forwarded: AtomicU64,
    /// CONNECT tunnels opened.
    pub connects: AtomicU64,
    /// SOCKS5 connections tunnelled.
    pub socks: AtomicU64,
    /// Requests refused for missing or wrong credentials.
    pub refused: AtomicU64,
    /// Every Proxy-Authorization value (or `user:pass` of SOCKS5) seen.
    pub credentials: Mutex<Vec<String>>,
}

pub struct TestProxy {
    pub addr: SocketAddr,
    pub counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    /// A proxy; with `auth = Some((user, pass))` it demands those credentials.
    pub async fn start(auth: Option<(&str, &str)>) -> TestProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let counters = Arc::new(Counters::default());
        let auth = auth.map(|(u, p)| (u.to_string(), p.to_string()));
        let c = counters.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((sock, _)) = listener.accept().await else {
                    return;
                };
                let (c, auth) = (c.clone(), auth.clone());
                tokio::spawn(async move {
                    let _ = serve(sock, c, auth).await;
                });
            }
        });
        TestProxy {
            addr,
            counters,
            task,
        }
    }

    pub fn forwarded(&self) -> u64 {
        self.counters.forwarded.load(Ordering::SeqCst)
    }
}

fn resolve(host: &str, port: u16) -> String {
    let host = if host.eq_ignore_ascii_case(FAKE_HOST) {
        "127.0.0.1"
    } else {
        host
    };
    format!("{host}:{port}")
}

async fn serve(
    mut sock: TcpStream,
    c: Arc<Counters>,
    auth: Option<(String, String)>,
) -> std::io::Result<()> {
    let mut first = [0u8; 1];
    sock.peek(&mut first).await?;
    if first[0] == 5 {
        return socks5(sock, c, auth).await;
    }
    // Read the request head.
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = sock.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let rest = buf[head_end..].to_vec();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default().to_string();
    let mut parts = request_line.split(' ');
    let (method, target, version) = (
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or_default().to_string(),
        parts.next().unwrap_or("HTTP/1.1").to_string(),
    );
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let given = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.clone());
    if let Some(v) = &given {
        c.credentials.lock().unwrap().push(v.clone());
    }
    if let Some((u, p)) = &auth {
        let want = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))
        );
        if given.as_deref() != Some(want.as_str()) {
            c.refused.fetch_add(1, Ordering::SeqCst);
            sock.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            )
            .await?;
            return Ok(());
        }
    }
    if method == "CONNECT" {
        c.connects.fetch_add(1, Ordering::SeqCst);
        let (host, port) = target.rsplit_once(':').unwrap_or((&target, "443"));
        let mut up = TcpStream::connect(resolve(host, port.parse().unwrap_or(443))).await?;
        sock.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
            .await?;
        up.write_all(&rest).await?;
        tokio::io::copy_bidirectional(&mut sock, &mut up).await?;
        return Ok(());
    }
    let Ok(url) = url::Url::parse(&target) else {
        sock.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    c.forwarded.fetch_add(1, Ordering::SeqCst);
    let mut up = TcpStream::connect(resolve(
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or(80),
    ))
    .await?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    // One request per connection, so every request is counted.
    let mut out = format!("{method} {path} {version}\r\n");
    for (k, v) in &headers {
        let k_l = k.to_ascii_lowercase();
        if k_l == "proxy-authorization" || k_l == "proxy-connection" || k_l == "connection" {
            continue;
        }
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    up.write_all(out.as_bytes()).await?;
    up.write_all(&rest).await?;
    tokio::io::copy_bidirectional(&mut sock, &mut up).await?;
    Ok(())
}

async fn socks5(
    mut sock: TcpStream,
    c: Arc<Counters>,
    auth: Option<(String, String)>,
) -> std::io::Result<()> {
    let mut hello = [0u8; 2];
    sock.read_exact(&mut hello).await?;
    let mut methods = vec![0u8; hello[1] as usize];
    sock.read_exact(&mut methods).await?;
    let want = if auth.is_some() { 2 } else { 0 };
    if !methods.contains(&want) {
        c.refused.fetch_add(1, Ordering::SeqCst);
        sock.write_all(&[5, 0xff]).await?;
        return Ok(());
    }
    sock.write_all(&[5, want]).await?;
    if let Some((u, p)) = &auth {
        let mut ver_len = [0u8; 2];
        sock.read_exact(&mut ver_len).await?;
        let mut user = vec![0u8; ver_len[1] as usize];
        sock.read_exact(&mut user).await?;
        let mut plen = [0u8; 1];
        sock.read_exact(&mut plen).await?;
        let mut pass = vec![0u8; plen[0] as usize];
        sock.read_exact(&mut pass).await?;
        let (user, pass) = (
            String::from_utf8_lossy(&user).to_string(),
            String::from_utf8_lossy(&pass).to_string(),
        );
        c.credentials.lock().unwrap().push(format!("{user}:{pass}"));
        if &user != u || &pass != p {
            c.refused.fetch_add(1, Ordering::SeqCst);
            sock.write_all(&[1, 1]).await?;
            return Ok(());
        }
        sock.write_all(&[1, 0]).await?;
    }
    let mut req = [0u8; 4];
    sock.read_exact(&mut req).await?;
    let host = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            sock.read_exact(&mut a).await?;
            std::net::Ipv4Addr::from(a).to_string()
        }
        3 => {
            let mut len = [0u8; 1];
            sock.read_exact(&mut len).await?;
            let mut name = vec![0u8; len[0] as usize];
            sock.read_exact(&mut name).await?;
            String::from_utf8_lossy(&name).to_string()
        }
        _ => {
            let mut a = [0u8; 16];
            sock.read_exact(&mut a).await?;
            format!("[{}]", std::net::Ipv6Addr::from(a))
        }
    };
    let mut port = [0u8; 2];
    sock.read_exact(&mut port).await?;
    let mut up = TcpStream::connect(resolve(&host, u16::from_be_bytes(port))).await?;
    c.socks.fetch_add(1, Ordering::SeqCst);
    sock.write_all(&[5, 0, 0, 1, 0, 0, 0, 0, 0, 0]).await?;
    tokio::io::copy_bidirectional(&mut sock, &mut up).await?;
    Ok(())
}
