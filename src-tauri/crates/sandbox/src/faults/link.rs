//! A simulated network line between the client and every listener of one sandbox: a round
//! trip added to each request, and one byte budget per direction shared by all connections,
//! so parallel connections can hide latency but never multiply bandwidth.
//!
//! The budget is a small pacing clock rather than a rate-limiter crate: `governor`'s GCRA
//! counts cells up to a fixed burst and waits through futures, while a connection's
//! `poll_read`/`poll_write` needs to take however many bytes the socket moved and then be
//! told when it may move more. Each transfer pushes one shared clock forward by
//! `bytes / rate`; the connection then sleeps until the clock, so the sum over every
//! connection never runs ahead of the rate by more than one slice per connection.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The shape of the simulated line (both zero = loopback, no link).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkProfile {
    /// Round-trip time added to every request before it is handled.
    pub rtt: Duration,
    /// Bandwidth of each direction in bits per second (0 = unlimited).
    pub bits_per_sec: u64,
}

impl LinkProfile {
    /// A line of `rtt_ms` milliseconds round trip and `mbit` megabits per second each way.
    pub fn new(rtt_ms: u64, mbit: f64) -> Self {
        Self {
            rtt: Duration::from_millis(rtt_ms),
            bits_per_sec: (mbit * 1e6).round().max(0.0) as u64,
        }
    }

    /// Bytes per second of each direction (0 = unlimited).
    pub fn bytes_per_sec(&self) -> u64 {
        self.bits_per_sec / 8
    }

    /// Whether anything is simulated.
    pub fn is_on(&self) -> bool {
        !self.rtt.is_zero() || self.bits_per_sec > 0
    }

    /// The least time `bytes` can take on this line (0 when unlimited).
    pub fn floor(&self, bytes: u64) -> Duration {
        match self.bytes_per_sec() {
            0 => Duration::ZERO,
            r => Duration::from_secs_f64(bytes as f64 / r as f64),
        }
    }
}

/// Direction of a transfer as the client sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Client → server (the server reads).
    Up,
    /// Server → client (the server writes).
    Down,
}

/// The live line: its profile and one pacing clock per direction.
#[derive(Debug, Default)]
pub struct Link {
    profile: Mutex<LinkProfile>,
    /// Instant at which each direction's budget is next free (`[up, down]`).
    clocks: Mutex<[Option<Instant>; 2]>,
}

/// How much of the rate one socket operation may move at once: 5 ms worth keeps the error
/// of eight connections each one slice ahead under 1 % over a second.
const SLICE: Duration = Duration::from_millis(5);

/// How far behind `now` a clock may lag and still count: covers a connection waking late.
const SLACK: Duration = Duration::from_millis(20);

impl Link {
    /// The current profile.
    pub fn profile(&self) -> LinkProfile {
        *self.profile.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Replace the profile; the budgets start afresh.
    pub fn set_profile(&self, p: LinkProfile) {
        *self.profile.lock().unwrap_or_else(|e| e.into_inner()) = p;
        *self.clocks.lock().unwrap_or_else(|e| e.into_inner()) = [None, None];
    }

    /// Largest read or write one connection may do now (`None` = unlimited).
    pub fn slice(&self) -> Option<usize> {
        match self.profile().bytes_per_sec() {
            0 => None,
            r => Some(((r as f64 * SLICE.as_secs_f64()) as usize).max(1460)),
        }
    }

    /// Account for `n` bytes moved in `dir`; returns when the connection may move more
    /// (`None` = right away).
    pub fn charge(&self, dir: Direction, n: usize) -> Option<Instant> {
        let rate = self.profile().bytes_per_sec();
        if rate == 0 || n == 0 {
            return None;
        }
        let now = Instant::now();
        let mut clocks = self.clocks.lock().unwrap_or_else(|e| e.into_inner());
        let clock = &mut clocks[dir as usize];
        // Idle time is saved up only as far as timer lateness goes (a sleep ends on the next
        // millisecond tick or later); beyond that a real line cannot send faster after a pause.
        let earliest = now.checked_sub(SLACK).unwrap_or(now);
        let start = clock.map_or(now, |c| c.max(earliest));
        let next = start + Duration::from_secs_f64(n as f64 / rate as f64);
        *clock = Some(next);
        (next > now).then_some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_arithmetic() {
        let p = LinkProfile::new(40, 200.0);
        assert_eq!(p.bytes_per_sec(), 25_000_000);
        assert_eq!(p.floor(25_000_000), Duration::from_secs(1));
        assert!(p.is_on());
        assert!(!LinkProfile::default().is_on());
    }

    #[test]
    fn shared_clock_paces_the_sum_of_connections() {
        let link = Link::default();
        link.set_profile(LinkProfile::new(0, 8.0));
        let t0 = Instant::now();
        // Ten writes of 100 kB, from any connections: 1 MB at 1 MB/s ends a second out.
        let mut last = None;
        for _ in 0..10 {
            last = link.charge(Direction::Down, 100_000);
        }
        let end = last.unwrap() - t0;
        assert!(
            end >= Duration::from_secs(1) && end < Duration::from_millis(1010),
            "{end:?}"
        );
        // The other direction has its own budget.
        let up = link.charge(Direction::Up, 100_000).unwrap() - t0;
        assert!(
            up >= Duration::from_millis(100) && up < Duration::from_millis(110),
            "{up:?}"
        );
    }
}
