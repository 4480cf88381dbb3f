//! Timestamps formatted like Go's `time.Time` JSON encoding (RFC 3339 with nanoseconds,
//! trailing zeros trimmed, the server's local offset, `Z` for UTC).

use chrono::{DateTime, Local, Offset, Timelike, Utc};

/// Format a timestamp as Go's `time.RFC3339Nano` in the local zone.
pub fn go_time(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&Local);
    let mut s = local.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = local.nanosecond() % 1_000_000_000;
    if nanos > 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    let off = local.offset().fix().local_minus_utc();
    if off == 0 {
        s.push('Z');
    } else {
        let sign = if off < 0 { '-' } else { '+' };
        let a = off.abs();
        s.push_str(&format!("{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60));
    }
    s
}

/// Go's zero time as JSON.
pub const ZERO_TIME: &str = "0001-01-01T00:00:00Z";
