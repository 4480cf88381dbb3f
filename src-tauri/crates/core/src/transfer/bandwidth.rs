//! A global bandwidth limiter (token bucket) whose rate can change while transfers run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// Longest single sleep, so a rate change (or lifting the limit) takes effect quickly.
const MAX_SLEEP: Duration = Duration::from_millis(100);

/// Unused allowance kept while idle, as a fraction of a second: more would let a burst through
/// after a pause and break the limit over a short window.
const BURST_SECS: f64 = 0.25;

/// Smallest piece worth metering on its own.
const MIN_PIECE: u64 = 4 << 10;

/// Shared by every transfer in one direction; `acquire` before moving bytes.
#[derive(Debug)]
pub struct BandwidthLimiter {
    /// Bytes per second; 0 = unlimited.
    rate: AtomicU64,
    bucket: Mutex<Bucket>,
}

#[derive(Debug)]
struct Bucket {
    /// Available bytes; negative = debt the next caller waits out.
    tokens: f64,
    last: Instant,
}

impl BandwidthLimiter {
    /// A limiter at `bytes_per_sec` (0 = unlimited).
    pub fn new(bytes_per_sec: u64) -> Self {
        Self {
            rate: AtomicU64::new(bytes_per_sec),
            bucket: Mutex::new(Bucket {
                tokens: 0.0,
                last: Instant::now(),
            }),
        }
    }

    /// Current limit in bytes per second (0 = unlimited).
    pub fn rate(&self) -> u64 {
        self.rate.load(Ordering::Relaxed)
    }

    /// Changes the limit; waiting callers pick it up within ~100 ms.
    pub fn set_rate(&self, bytes_per_sec: u64) {
        self.rate.store(bytes_per_sec, Ordering::Relaxed);
    }

    /// The largest piece a streaming caller should ask for at once (`default` when unlimited),
    /// so that the bytes of one piece never go out in a burst longer than ~1/10 s.
    pub fn piece_size(&self, default: u64) -> u64 {
        match self.rate() {
            0 => default,
            rate => (rate / 10).clamp(MIN_PIECE, default.max(MIN_PIECE)),
        }
    }

    /// Waits until `bytes` may be sent. A caller proceeds when the bucket has no debt and then
    /// takes its bytes (possibly into debt), so the next caller pays for them: callers that
    /// stream should ask for pieces of at most [`BandwidthLimiter::piece_size`].
    pub async fn acquire(&self, bytes: u64) {
        loop {
            let rate = self.rate();
            if rate == 0 {
                return;
            }
            let wait = {
                let mut b = self.bucket.lock().expect("limiter poisoned");
                let now = Instant::now();
                let refill = now.duration_since(b.last).as_secs_f64() * rate as f64;
                b.tokens = (b.tokens + refill).min(rate as f64 * BURST_SECS);
                b.last = now;
                if b.tokens >= 0.0 {
                    b.tokens -= bytes as f64;
                    return;
                }
                Duration::from_secs_f64(-b.tokens / rate as f64)
            };
            tokio::time::sleep(wait.min(MAX_SLEEP)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn unlimited_never_waits() {
        let l = BandwidthLimiter::new(0);
        let start = Instant::now();
        for _ in 0..100 {
            l.acquire(1 << 20).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn limits_average_rate() {
        let l = BandwidthLimiter::new(1000);
        let start = Instant::now();
        for _ in 0..30 {
            l.acquire(100).await;
        }
        // 3000 bytes at 1000 B/s; the last piece goes once the debt of the first 2900 is paid.
        let secs = start.elapsed().as_secs_f64();
        assert!((2.8..3.1).contains(&secs), "took {secs}s");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_change_applies_while_running() {
        let l = std::sync::Arc::new(BandwidthLimiter::new(100));
        l.acquire(10_000).await; // 100 s of debt at the old rate
        let l2 = l.clone();
        let start = Instant::now();
        let waiter = tokio::spawn(async move { l2.acquire(1).await });
        tokio::time::sleep(Duration::from_secs(1)).await;
        l.set_rate(0);
        waiter.await.unwrap();
        assert!(start.elapsed() < Duration::from_secs(2));
        assert_eq!(l.rate(), 0);
    }
}
