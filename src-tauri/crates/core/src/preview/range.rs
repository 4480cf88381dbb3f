//! The one `Range` form media elements and pdf.js send: a single `bytes=` range.

use crate::error::{Error, ErrorKind, Result};

/// An inclusive byte range within a file of known size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
    /// First byte.
    pub start: u64,
    /// Last byte (inclusive).
    pub end: u64,
}

impl ByteRange {
    /// Number of bytes in the range.
    pub fn len(&self) -> u64 {
        self.end - self.start + 1
    }

    /// Always false: a range holds at least one byte.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The same range cut to at most `max` bytes (the reader asks again for the rest).
    pub fn capped(self, max: u64) -> Self {
        let end = self.end.min(self.start + max.max(1) - 1);
        ByteRange { end, ..self }
    }

    /// `bytes START-END/SIZE` for a 206 answer.
    pub fn content_range(&self, size: u64) -> String {
        format!("bytes {}-{}/{size}", self.start, self.end)
    }
}

fn unsatisfiable(size: u64) -> Error {
    Error::with_message(
        ErrorKind::InvalidInput,
        format!("The requested range is outside the file ({size} bytes)."),
    )
    .with_http_status(416)
}

/// Parses a `Range` header against a file of `size` bytes. `Ok(None)`: no header, or one we
/// serve as the whole file (several ranges, other units), as HTTP allows.
pub fn parse_range(header: Option<&str>, size: u64) -> Result<Option<ByteRange>> {
    let Some(spec) = header.map(str::trim).and_then(|h| h.strip_prefix("bytes=")) else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return Ok(None);
    };
    let (a, b) = (a.trim(), b.trim());
    if size == 0 {
        return Err(unsatisfiable(size));
    }
    let range = if a.is_empty() {
        // A suffix: the last N bytes.
        let n: u64 = b.parse().map_err(|_| unsatisfiable(size))?;
        if n == 0 {
            return Err(unsatisfiable(size));
        }
        ByteRange {
            start: size.saturating_sub(n),
            end: size - 1,
        }
    } else {
        let start: u64 = a.parse().map_err(|_| unsatisfiable(size))?;
        let end = if b.is_empty() {
            size - 1
        } else {
            b.parse::<u64>()
                .map_err(|_| unsatisfiable(size))?
                .min(size - 1)
        };
        if start >= size || end < start {
            return Err(unsatisfiable(size));
        }
        ByteRange { start, end }
    };
    Ok(Some(range))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse_like_http_says() {
        let r = |h: &str| parse_range(Some(h), 1000).unwrap();
        assert_eq!(r("bytes=0-"), Some(ByteRange { start: 0, end: 999 }));
        assert_eq!(r("bytes=10-19"), Some(ByteRange { start: 10, end: 19 }));
        assert_eq!(
            r("bytes=990-5000"),
            Some(ByteRange {
                start: 990,
                end: 999
            })
        );
        assert_eq!(
            r("bytes=-100"),
            Some(ByteRange {
                start: 900,
                end: 999
            })
        );
        assert_eq!(r("bytes=0-1,5-6"), None);
        assert_eq!(parse_range(None, 1000).unwrap(), None);
        let e = parse_range(Some("bytes=1000-"), 1000).unwrap_err();
        assert_eq!(e.http_status(), Some(416));
        assert!(parse_range(Some("bytes=5-2"), 1000).is_err());
        let capped = ByteRange {
            start: 100,
            end: 999,
        }
        .capped(10);
        assert_eq!(
            capped,
            ByteRange {
                start: 100,
                end: 109
            }
        );
        assert_eq!(capped.content_range(1000), "bytes 100-109/1000");
        assert_eq!(capped.len(), 10);
    }
}
