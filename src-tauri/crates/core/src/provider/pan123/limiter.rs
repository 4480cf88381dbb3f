//! A client-side rate limiter per endpoint, so Cirrus stays under 123pan's documented QPS
//! instead of learning it from 429 answers.
//!
//! Each endpoint gets a GCRA schedule (the token bucket written as "the next free slot"):
//! a caller reserves the next slot under a short lock and sleeps until it comes, so waiters
//! are served in order and a burst of 100 calls spreads itself out evenly. The rates are a
//! little below the published ones: requests leave at the planned moment but reach the
//! server with jitter, and a server bucket counted exactly would see some of them early.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Share of the published QPS that is used (room for network jitter).
const HEADROOM: f64 = 0.85;

/// Published QPS of the free developer tier for `endpoint` (a path on the API host).
/// Endpoints missing from the table are not limited on our side.
pub fn documented_qps(endpoint: &str) -> Option<f64> {
    Some(match endpoint {
        "/api/v1/user/info" => 10.0,
        "/api/v1/file/move" => 3.0,
        "/api/v1/file/delete" => 1.0,
        "/api/v1/file/list" => 0.2,
        "/api/v2/file/list" => 5.0,
        "/upload/v1/file/mkdir" => 5.0,
        "/api/v1/access_token" => 8.0,
        // Not in the developer table; the third-party table's numbers, to stay polite.
        "/api/v1/file/trash" => 5.0,
        "/api/v1/file/download_info" => 5.0,
        "/api/v1/file/infos" => 10.0,
        _ => return None,
    })
}

#[derive(Debug)]
struct Schedule {
    /// Time between two requests.
    interval: Duration,
    /// How far ahead of "now" slots may be handed out without waiting (the burst).
    tolerance: Duration,
    /// The theoretical arrival time of the next request.
    next: Instant,
}

/// Per-endpoint schedules. One per account (123pan counts per client id).
#[derive(Debug, Default)]
pub struct RateLimiter {
    schedules: Mutex<HashMap<String, Schedule>>,
}

impl RateLimiter {
    /// A limiter with the documented free-tier rates.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the caller must wait before sending to `endpoint`; the slot is reserved.
    pub fn reserve(&self, endpoint: &str) -> Duration {
        let Some(qps) = documented_qps(endpoint) else {
            return Duration::ZERO;
        };
        let now = Instant::now();
        let mut all = self.schedules.lock().unwrap_or_else(|e| e.into_inner());
        let s = all.entry(endpoint.to_string()).or_insert_with(|| {
            let rate = qps * HEADROOM;
            let interval = Duration::from_secs_f64(1.0 / rate);
            // The server's bucket holds max(qps, 1) requests; keep one of them in reserve.
            let burst = (qps.floor() - 1.0).max(1.0);
            Schedule {
                interval,
                tolerance: interval.mul_f64(burst - 1.0),
                next: now,
            }
        });
        let at = s.next.max(now);
        let earliest = at.checked_sub(s.tolerance).unwrap_or(now);
        s.next = at + s.interval;
        earliest.saturating_duration_since(now)
    }

    /// Waits for a slot on `endpoint`.
    pub async fn acquire(&self, endpoint: &str) {
        let wait = self.reserve(endpoint);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

/// How long to wait before retry `attempt` (0-based) after a 429: 0.5 s, 1 s, 2 s, 4 s, 8 s.
pub fn backoff(attempt: u32, server_asked: Option<Duration>) -> Duration {
    let ours = Duration::from_millis(500) * 2u32.saturating_pow(attempt.min(4));
    server_asked.map_or(ours, |s| s.max(ours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_spread_at_the_documented_rate() {
        let l = RateLimiter::new();
        // v2 list: 5 QPS, a burst of 4, then one every 1/4.25 s.
        let waits: Vec<Duration> = (0..10).map(|_| l.reserve("/api/v2/file/list")).collect();
        assert!(waits[..4].iter().all(|w| w.is_zero()), "{waits:?}");
        assert!(waits[4] > Duration::from_millis(150), "{waits:?}");
        let span = waits[9];
        // 10 requests in ≥ (10 - 4) / 4.25 s ≈ 1.41 s.
        assert!(span >= Duration::from_millis(1350), "{span:?}");
        assert!(span <= Duration::from_millis(1500), "{span:?}");
        // Delete: 1 QPS, no burst beyond one.
        let d0 = l.reserve("/api/v1/file/delete");
        let d1 = l.reserve("/api/v1/file/delete");
        assert!(d0.is_zero());
        assert!(d1 >= Duration::from_millis(1100), "{d1:?}");
        // Unlisted endpoints are not held back.
        assert!(l.reserve("/upload/v2/file/slice").is_zero());
    }

    #[test]
    fn backoff_doubles_and_honours_the_server() {
        assert_eq!(backoff(0, None), Duration::from_millis(500));
        assert_eq!(backoff(3, None), Duration::from_secs(4));
        assert_eq!(backoff(9, None), Duration::from_secs(8));
        assert_eq!(
            backoff(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
    }
}
