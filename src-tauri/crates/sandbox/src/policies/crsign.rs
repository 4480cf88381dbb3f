//! Cloudreve's HMAC request credential (`pkg/auth`): `Bearer Cr <sig>:<expiry>` where
//! `sig = base64url(HMAC-SHA256(key, json{Path,Header,Body} + ":" + expiry))`.
//!
//! The master signs slave upload URLs over the path only; the slave re-computes the content
//! from the request it receives, including every `X-Cr-*` header, so a client adding such a
//! header breaks the signature (40071), exactly like the real slave.

use axum::http::HeaderMap;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::envelope::ApiError;

/// Prefix of the credential in the `Authorization` header.
pub const PREFIX: &str = "Bearer Cr ";

/// HMAC signer/verifier with a shared key (site secret or node slave key).
#[derive(Clone)]
pub struct HmacAuth {
    key: Vec<u8>,
}

impl HmacAuth {
    /// A signer using `key`.
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// `base64url(HMAC(body + ":" + expires)) + ":" + expires`; `expires` 0 never expires.
    pub fn sign(&self, body: &str, expires: i64) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        mac.update(format!("{body}:{expires}").as_bytes());
        format!("{}:{expires}", URL_SAFE.encode(mac.finalize().into_bytes()))
    }

    /// Verify `sign` over `body` at Unix time `now`, with Cloudreve's error codes.
    pub fn check(&self, body: &str, sign: &str, now: i64) -> Result<(), ApiError> {
        let last = sign.rsplit(':').next().unwrap_or_default();
        if last.is_empty() {
            return Err(ApiError::new(403, "expire timestamp is missing"));
        }
        let expires: i64 = last
            .parse()
            .map_err(|_| ApiError::new(40071, "sign expired"))?;
        if expires < now && expires != 0 {
            return Err(ApiError::new(40005, "signature expired"));
        }
        let expected = self.sign(body, expires);
        if !constant_time_eq(expected.as_bytes(), sign.as_bytes()) {
            return Err(ApiError::new(40071, "invalid sign"));
        }
        Ok(())
    }

    /// Check the `Authorization: Bearer Cr …` credential of a request (`CheckRequest`).
    pub fn check_request(
        &self,
        path: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: i64,
    ) -> Result<(), ApiError> {
        let Some(auth) = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return Err(ApiError::new(403, "authorization header is missing"));
        };
        let sign = auth.strip_prefix(PREFIX).unwrap_or(auth);
        self.check(&request_content(path, headers, body), sign, now)
    }

    /// The `Authorization` value for a request to `path` with `headers` and `body`.
    pub fn credential(&self, path: &str, headers: &HeaderMap, body: &[u8], expires: i64) -> String {
        format!(
            "{PREFIX}{}",
            self.sign(&request_content(path, headers, body), expires)
        )
    }
}

/// Length-independent comparison so signature checks do not leak prefixes through timing.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Go's `textproto.CanonicalMIMEHeaderKey` for ASCII names (`x-cr-foo` → `X-Cr-Foo`).
pub fn canonical_header(name: &str) -> String {
    let mut up = true;
    name.chars()
        .map(|c| {
            let out = if up {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            up = c == '-';
            out
        })
        .collect()
}

/// The signed content: `json{Path, Header, Body}` as Go's `json.Marshal` writes it. `Header`
/// joins the sorted `Name=value` pairs of every `X-Cr-*` header except `X-Cr-Filename`.
pub fn request_content(path: &str, headers: &HeaderMap, body: &[u8]) -> String {
    let mut signed: Vec<String> = headers
        .keys()
        .map(|k| canonical_header(k.as_str()))
        .filter(|k| k.starts_with("X-Cr-") && k != "X-Cr-Filename")
        .map(|k| {
            let v = headers
                .get(k.as_str())
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            format!("{k}={v}")
        })
        .collect();
    signed.sort();
    signed.dedup();
    let path = if path.is_empty() { "/" } else { path };
    format!(
        "{{\"Path\":{},\"Header\":{},\"Body\":{}}}",
        go_json_string(path),
        go_json_string(&signed.join("&")),
        go_json_string(&String::from_utf8_lossy(body))
    )
}

/// A JSON string literal escaped like Go's encoder (HTML-safe: `<`, `>`, `&`, U+2028/9).
pub fn go_json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_path_only_like_the_master() {
        let a = HmacAuth::new("node-key");
        let h = HeaderMap::new();
        assert_eq!(
            request_content("/api/v4/slave/upload/x", &h, b""),
            r#"{"Path":"/api/v4/slave/upload/x","Header":"","Body":""}"#
        );
        let s = a.sign("abc", 0);
        assert!(s.ends_with(":0"));
        assert!(a.check("abc", &s, 100).is_ok());
        assert_eq!(a.check("abd", &s, 100).unwrap_err().code, 40071);
        let s = a.sign("abc", 50);
        assert_eq!(a.check("abc", &s, 100).unwrap_err().code, 40005);
        assert_eq!(go_json_string("a&b<c>"), r#""a\u0026b\u003cc\u003e""#);
        assert_eq!(canonical_header("x-cr-client-id"), "X-Cr-Client-Id");
    }
}
