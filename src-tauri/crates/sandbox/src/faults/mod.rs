//! Seeded fault injection: failing chunk/part uploads, callbacks and downloads (5xx, 429 with
//! `Retry-After`, connections dropped mid-body, stalled responses), added latency, a bandwidth
//! cap and cutting every open connection ("server restart").
//!
//! Decisions are a pure function of `(seed, target, n)` where `n` counts requests of that
//! target, so a run with the same seed and the same per-target request order replays the same
//! faults regardless of how other kinds of requests interleave.
//!
//! The pieces are reusable by any listener of the sandbox: wrap the router with
//! [`FaultLayer`] and serve it through [`FaultListener`] with
//! `into_make_service_with_connect_info::<ConnHandle>()`.

mod body;
mod layer;
pub mod link;
mod listener;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

pub use layer::{FaultLayer, FaultService, classify_api};
pub use link::{Link, LinkProfile};
pub use listener::{ConnHandle, FaultIo, FaultListener};

/// Which kind of request a fault decision is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultTarget {
    /// Local/slave chunk upload (`POST /file/upload/{session}/{index}`).
    Chunk,
    /// Provider part upload (S3 `UploadPart`, OneDrive fragment PUT).
    Part,
    /// Upload completion callbacks.
    Callback,
    /// Entity downloads (`GET /file/content/...`).
    Download,
    /// Everything else (only `drop_rate` applies).
    Other,
}

impl FaultTarget {
    fn index(self) -> usize {
        self as usize
    }
}

/// What goes wrong with a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// HTTP 500, 502 or 503 without touching the handler.
    ServerError,
    /// HTTP 429 with `Retry-After`.
    TooManyRequests,
    /// The connection is closed mid-body (request body for uploads, response body otherwise).
    Drop,
    /// The response stops mid-body for [`FaultConfig::stall`], then the connection closes.
    Stall,
}

/// Fault settings of one run.
#[derive(Debug, Clone)]
pub struct FaultConfig {
    /// Seed of every decision; the same seed replays the same faults.
    pub seed: u64,
    /// Probability (0..=1) that a chunk upload fails.
    pub chunk_fail_rate: f64,
    /// Probability that a provider part upload fails.
    pub part_fail_rate: f64,
    /// Probability that an upload callback fails.
    pub callback_fail_rate: f64,
    /// Probability that a download fails.
    pub download_fail_rate: f64,
    /// Probability that any request (all targets) has its connection dropped mid-body.
    pub drop_rate: f64,
    /// Kinds a failing request picks from (uniformly, by the seeded hash).
    pub kinds: Vec<FaultKind>,
    /// Delay added before every request is handled.
    pub latency: Duration,
    /// Cap of request and response body throughput per request in bytes/s (0 = none).
    pub bandwidth_bps: u64,
    /// `Retry-After` of injected 429s.
    pub retry_after: Duration,
    /// How long a stalled response hangs before its connection is closed.
    pub stall: Duration,
    /// A dropped upload's first half reaches the handler as a body that then fails, as when
    /// a connection dies while the server reads it; handlers that keep what arrived (Graph
    /// upload sessions) store it. Off: the layer swallows the body and nothing is stored.
    pub drops_reach_handler: bool,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            seed: 0,
            chunk_fail_rate: 0.0,
            part_fail_rate: 0.0,
            callback_fail_rate: 0.0,
            download_fail_rate: 0.0,
            drop_rate: 0.0,
            kinds: vec![
                FaultKind::ServerError,
                FaultKind::TooManyRequests,
                FaultKind::Drop,
                FaultKind::Stall,
            ],
            latency: Duration::ZERO,
            bandwidth_bps: 0,
            retry_after: Duration::from_secs(1),
            stall: Duration::from_secs(30),
            drops_reach_handler: false,
        }
    }
}

impl FaultConfig {
    fn rate(&self, t: FaultTarget) -> f64 {
        match t {
            FaultTarget::Chunk => self.chunk_fail_rate,
            FaultTarget::Part => self.part_fail_rate,
            FaultTarget::Callback => self.callback_fail_rate,
            FaultTarget::Download => self.download_fail_rate,
            FaultTarget::Other => 0.0,
        }
    }
}

/// One injected fault, in the order faults were decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultEvent {
    /// Request class.
    pub target: FaultTarget,
    /// 0-based index of the request within its class.
    pub seq: u64,
    /// What was injected.
    pub kind: FaultKind,
}

/// Counters proving faults fired.
#[derive(Debug, Clone, Default)]
pub struct FaultStats {
    /// Requests seen by the fault layer.
    pub requests: u64,
    /// Injected 5xx responses.
    pub server_errors: u64,
    /// Injected 429 responses.
    pub too_many_requests: u64,
    /// Connections dropped mid-body.
    pub drops: u64,
    /// Stalled responses.
    pub stalls: u64,
    /// Requests delayed by the latency setting.
    pub delayed: u64,
    /// Bodies throttled by the bandwidth cap.
    pub throttled: u64,
    /// Calls of `restart_connections`.
    pub restarts: u64,
    /// Connections closed by a restart or a drop.
    pub connections_cut: u64,
    /// Every injected fault in decision order.
    pub events: Vec<FaultEvent>,
}

/// Shared fault state of a sandbox (one per run).
pub struct Faults {
    config: RwLock<FaultConfig>,
    seq: [AtomicU64; 5],
    stats: Mutex<FaultStats>,
    /// Parent of every connection's token; cancelled and replaced on restart.
    generation: Mutex<CancellationToken>,
    /// The simulated line every listener of the sandbox shares (off by default).
    link: Link,
    /// Requests of each target being handled right now, and the most seen at once.
    in_flight: [AtomicU64; 5],
    peak_in_flight: [AtomicU64; 5],
}

/// Counts one request of a target as in flight until dropped.
pub(crate) struct InFlight<'a> {
    faults: &'a Faults,
    target: FaultTarget,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.faults.in_flight[self.target.index()].fetch_sub(1, Ordering::SeqCst);
    }
}

impl Faults {
    /// Fault state with `config`.
    pub fn new(config: FaultConfig) -> Self {
        Self {
            config: RwLock::new(config),
            seq: Default::default(),
            stats: Mutex::new(FaultStats::default()),
            generation: Mutex::new(CancellationToken::new()),
            link: Link::default(),
            in_flight: Default::default(),
            peak_in_flight: Default::default(),
        }
    }

    /// Marks a request of `target` as being handled until the guard drops.
    pub(crate) fn enter(&self, target: FaultTarget) -> InFlight<'_> {
        let now = self.in_flight[target.index()].fetch_add(1, Ordering::SeqCst) + 1;
        self.peak_in_flight[target.index()].fetch_max(now, Ordering::SeqCst);
        InFlight {
            faults: self,
            target,
        }
    }

    /// The most requests of `target` (chunks, parts…) the server handled at once since the
    /// start or the last [`Faults::reset_peak_in_flight`]: shows how many a client keeps in
    /// flight.
    pub fn peak_in_flight(&self, target: FaultTarget) -> u64 {
        self.peak_in_flight[target.index()].load(Ordering::SeqCst)
    }

    /// Starts counting [`Faults::peak_in_flight`] afresh.
    pub fn reset_peak_in_flight(&self) {
        for p in &self.peak_in_flight {
            p.store(0, Ordering::SeqCst);
        }
    }

    /// The simulated line shared by every listener (round trip and bandwidth budgets).
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Current settings.
    pub fn config(&self) -> FaultConfig {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replace the settings and start a new run: request sequences and counters restart at
    /// zero so the seed replays from the beginning.
    pub fn set_config(&self, config: FaultConfig) {
        *self.config.write().unwrap_or_else(|e| e.into_inner()) = config;
        for s in &self.seq {
            s.store(0, Ordering::SeqCst);
        }
        *self.stats_mut() = FaultStats::default();
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> FaultStats {
        self.stats_mut().clone()
    }

    pub(crate) fn stats_mut(&self) -> std::sync::MutexGuard<'_, FaultStats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Close every open connection; state is kept and new connections are accepted.
    pub fn restart_connections(&self) {
        let mut g = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        g.cancel();
        *g = CancellationToken::new();
        self.stats_mut().restarts += 1;
    }

    /// Token for a new connection (cancelled by the next restart).
    pub fn connection_token(&self) -> CancellationToken {
        self.generation
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .child_token()
    }

    /// Decide the fate of the next request of `target` and record it.
    pub fn decide(&self, target: FaultTarget) -> Option<FaultKind> {
        let cfg = self.config();
        let n = self.seq[target.index()].fetch_add(1, Ordering::SeqCst);
        let kind = decide_pure(&cfg, target, n)?;
        let mut st = self.stats_mut();
        match kind {
            FaultKind::ServerError => st.server_errors += 1,
            FaultKind::TooManyRequests => st.too_many_requests += 1,
            FaultKind::Drop => st.drops += 1,
            FaultKind::Stall => st.stalls += 1,
        }
        st.events.push(FaultEvent {
            target,
            seq: n,
            kind,
        });
        Some(kind)
    }

    /// Seeded choice among 500/502/503 for the `n`-th request of `target`.
    pub fn server_error_status(&self, target: FaultTarget, n_hint: u64) -> u16 {
        let seed = self.config().seed;
        [500, 502, 503][(mix(seed, target, n_hint, 3) % 3) as usize]
    }
}

impl Default for Faults {
    fn default() -> Self {
        Self::new(FaultConfig::default())
    }
}

/// SplitMix64 finaliser over the decision coordinates.
fn mix(seed: u64, target: FaultTarget, n: u64, salt: u64) -> u64 {
    let mut z = seed
        ^ (target.index() as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ n.wrapping_mul(0xD1B5_4A32_D192_ED03)
        ^ salt.wrapping_mul(0x94D0_49BB_1331_11EB);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// The decision for request `n` of `target` under `cfg` (no side effects).
pub fn decide_pure(cfg: &FaultConfig, target: FaultTarget, n: u64) -> Option<FaultKind> {
    if unit(mix(cfg.seed, target, n, 0)) < cfg.rate(target) && !cfg.kinds.is_empty() {
        let i = mix(cfg.seed, target, n, 1) % cfg.kinds.len() as u64;
        return Some(cfg.kinds[i as usize]);
    }
    if unit(mix(cfg.seed, target, n, 2)) < cfg.drop_rate {
        return Some(FaultKind::Drop);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence_and_rates_hold() {
        let cfg = FaultConfig {
            seed: 42,
            chunk_fail_rate: 0.3,
            ..FaultConfig::default()
        };
        let a: Vec<_> = (0..1000)
            .map(|n| decide_pure(&cfg, FaultTarget::Chunk, n))
            .collect();
        let b: Vec<_> = (0..1000)
            .map(|n| decide_pure(&cfg, FaultTarget::Chunk, n))
            .collect();
        assert_eq!(a, b);
        let fails = a.iter().filter(|d| d.is_some()).count();
        assert!((200..400).contains(&fails), "{fails}");
        let other = FaultConfig { seed: 43, ..cfg };
        let c: Vec<_> = (0..1000)
            .map(|n| decide_pure(&other, FaultTarget::Chunk, n))
            .collect();
        assert_ne!(a, c);
        assert!((0..100).all(|n| decide_pure(&other, FaultTarget::Download, n).is_none()));
    }
}
