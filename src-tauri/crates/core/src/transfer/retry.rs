//! Per-request retries: exponential backoff with jitter that honours a server's Retry-After.
//!
//! Written here rather than with the `backoff` crate because that crate is unmaintained
//! (RUSTSEC-2025-0012) and cannot take a per-attempt Retry-After hint; the policy is small and
//! fully unit-tested.

use crate::error::{Error, ErrorKind, Result};
use rand::Rng;
use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often and how patiently a single request is retried.
#[derive(Clone, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Total attempts including the first one.
    pub max_attempts: u32,
    /// Delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// Upper bound for any computed delay (a server's Retry-After may exceed it).
    pub max_delay: Duration,
    /// Minimum wait after a 429 that carried no Retry-After.
    pub rate_limited_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            rate_limited_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// A policy that never waits long, for tests.
    pub fn fast(max_attempts: u32) -> Self {
        Self {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
            rate_limited_delay: Duration::from_millis(5),
        }
    }

    /// Delay before retry number `retry` (0-based) with "equal jitter": half fixed, half random,
    /// so parallel chunks that failed together do not retry in lockstep.
    pub fn delay(&self, retry: u32, retry_after: Option<Duration>, rng: &mut impl Rng) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max_delay);
        let half = exp / 2;
        let jitter = Duration::from_nanos(rng.random_range(0..=half.as_nanos() as u64));
        let computed = half + jitter;
        match retry_after {
            Some(server) => computed.max(server),
            None => computed,
        }
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, runs out of attempts, or
    /// `cancel` fires (then the error kind is `Cancelled`).
    pub async fn run<T, F, Fut>(&self, cancel: &CancellationToken, mut op: F) -> Result<T>
    where
        F: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut attempt = 0;
        loop {
            let result = tokio::select! {
                _ = cancel.cancelled() => return Err(Error::new(ErrorKind::Cancelled)),
                r = op(attempt) => r,
            };
            let err = match result {
                Ok(v) => return Ok(v),
                Err(e) => e,
            };
            attempt += 1;
            if !err.is_retryable() || attempt >= self.max_attempts {
                return Err(err);
            }
            let hint = retry_after_hint(&err, self);
            let wait = self.delay(attempt - 1, hint, &mut rand::rng());
            tracing::debug!(attempt, ?wait, error = %err, "retrying request");
            tokio::select! {
                _ = cancel.cancelled() => return Err(Error::new(ErrorKind::Cancelled)),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Longest `Retry-After` honoured, so a misconfigured server cannot park a transfer for days;
/// after it the request is retried (and may be told to wait again).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(600);

/// The wait a failure asks for: the server's `Retry-After` header when it sent one (429 or
/// 503), else for a rate-limited answer the seconds in its message ("retry after N s") or at
/// least `rate_limited_delay`.
fn retry_after_hint(err: &Error, policy: &RetryPolicy) -> Option<Duration> {
    if let Some(wait) = err.retry_after() {
        return Some(wait.min(MAX_RETRY_AFTER));
    }
    let rate_limited = err.kind() == ErrorKind::RateLimited || err.http_status() == Some(429);
    if !rate_limited {
        return None;
    }
    Some(parse_retry_after(err.message()).unwrap_or(policy.rate_limited_delay))
}

/// Extracts "Retry-After: N" / "retry after N" seconds from an error message, if present.
pub fn parse_retry_after(message: &str) -> Option<Duration> {
    let lower = message.to_ascii_lowercase();
    let at = lower
        .find("retry-after")
        .or_else(|| lower.find("retry after"))?;
    let digits: String = lower[at + 11..]
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn delays_grow_exponentially_within_jitter_bounds_and_cap() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for retry in 0..10 {
            let exp = (p.base_delay * 2u32.pow(retry)).min(p.max_delay);
            for _ in 0..50 {
                let d = p.delay(retry, None, &mut rng);
                assert!(d >= exp / 2 && d <= exp, "retry {retry}: {d:?} vs {exp:?}");
            }
        }
    }

    #[test]
    fn retry_after_wins_when_longer() {
        let p = RetryPolicy::default();
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        assert_eq!(
            p.delay(0, Some(Duration::from_secs(90)), &mut rng),
            Duration::from_secs(90)
        );
        assert!(p.delay(0, Some(Duration::from_millis(1)), &mut rng) >= Duration::from_millis(250));
    }

    #[test]
    fn parses_retry_after_from_messages() {
        assert_eq!(
            parse_retry_after("429 Too Many Requests, Retry-After: 12"),
            Some(Duration::from_secs(12))
        );
        assert_eq!(
            parse_retry_after("please retry after 3 s"),
            Some(Duration::from_secs(3))
        );
        assert_eq!(parse_retry_after("slow down"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn rate_limited_errors_wait_at_least_the_hint() {
        let p = RetryPolicy {
            rate_limited_delay: Duration::from_secs(7),
            ..RetryPolicy::fast(3)
        };
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        let out = p
            .run(&CancellationToken::new(), |_| {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n == 0 {
                        Err(Error::new(ErrorKind::RateLimited).with_http_status(429))
                    } else {
                        Ok(n)
                    }
                }
            })
            .await
            .unwrap();
        assert_eq!(out, 1);
        assert!(start.elapsed() >= Duration::from_secs(7));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_header_is_honoured_even_on_503() {
        let p = RetryPolicy::fast(3);
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        p.run(&CancellationToken::new(), |_| {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n == 0 {
                    Err(Error::new(ErrorKind::Server)
                        .with_http_status(503)
                        .with_retry_after(Some(Duration::from_secs(11))))
                } else {
                    Ok(())
                }
            }
        })
        .await
        .unwrap();
        assert!(start.elapsed() >= Duration::from_secs(11));
        assert!(start.elapsed() < Duration::from_secs(12));
    }

    #[tokio::test]
    async fn retryable_errors_are_retried_until_success() {
        let calls = AtomicU32::new(0);
        let out = RetryPolicy::fast(5)
            .run(&CancellationToken::new(), |attempt| {
                calls.fetch_add(1, Ordering::SeqCst);
                async move {
                    if attempt < 3 {
                        Err(Error::new(ErrorKind::Network))
                    } else {
                        Ok("done")
                    }
                }
            })
            .await;
        assert_eq!(out.unwrap(), "done");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    #[tokio::test]
    async fn fatal_errors_are_not_retried() {
        let calls = AtomicU32::new(0);
        let out: Result<()> = RetryPolicy::fast(5)
            .run(&CancellationToken::new(), |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::new(ErrorKind::QuotaExceeded)) }
            })
            .await;
        assert_eq!(out.unwrap_err().kind(), ErrorKind::QuotaExceeded);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn gives_up_after_max_attempts() {
        let calls = AtomicU32::new(0);
        let out: Result<()> = RetryPolicy::fast(3)
            .run(&CancellationToken::new(), |_| {
                calls.fetch_add(1, Ordering::SeqCst);
                async { Err(Error::new(ErrorKind::Timeout)) }
            })
            .await;
        assert_eq!(out.unwrap_err().kind(), ErrorKind::Timeout);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn cancellation_stops_waiting() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let out: Result<()> = RetryPolicy::default()
            .run(&cancel, |_| async { std::future::pending().await })
            .await;
        assert_eq!(out.unwrap_err().kind(), ErrorKind::Cancelled);
    }
}
