//! AWS Signature V4 query presigning (what the AWS SDK's `Presign` produces). Verification
//! is done independently by the `s3s` S3 implementation behind the listener.

use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Credentials and scope of the sandbox bucket.
#[derive(Debug, Clone)]
pub struct Presigner {
    /// Access key id.
    pub access_key: String,
    /// Secret access key.
    pub secret_key: String,
    /// Region of the credential scope.
    pub region: String,
}

/// RFC 3986 encoding used by SigV4 (`A-Za-z0-9-_.~` kept); `/` kept when `path`.
pub fn uri_encode(s: &str, path: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if path => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    m.update(data.as_bytes());
    m.finalize().into_bytes().to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Presigner {
    /// Presign `method` on `base` (`http://host:port`) + `path` with `params`, valid for
    /// `expires` seconds from now. `headers` (lower-case names) are signed besides `host`,
    /// so the request must carry them with exactly these values.
    pub fn presign(
        &self,
        method: &str,
        base: &str,
        path: &str,
        params: &[(&str, String)],
        headers: &[(&str, String)],
        expires: i64,
    ) -> String {
        let now = Utc::now();
        let host = base
            .split_once("://")
            .map(|(_, h)| h)
            .unwrap_or(base)
            .trim_end_matches('/');
        let amz_date = now.format("%Y%m%dT%H%M%SZ").to_string();
        let date = now.format("%Y%m%d").to_string();
        let scope = format!("{date}/{}/s3/aws4_request", self.region);
        let mut hdrs: Vec<(String, String)> = headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .chain(std::iter::once(("host".to_string(), host.to_string())))
            .collect();
        hdrs.sort();
        let signed_headers = hdrs
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let mut q: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        q.extend([
            ("X-Amz-Algorithm".into(), "AWS4-HMAC-SHA256".into()),
            (
                "X-Amz-Credential".into(),
                format!("{}/{scope}", self.access_key),
            ),
            ("X-Amz-Date".into(), amz_date.clone()),
            (
                "X-Amz-Expires".into(),
                expires.clamp(1, 604_800).to_string(),
            ),
            ("X-Amz-SignedHeaders".into(), signed_headers.clone()),
        ]);
        let mut enc: Vec<(String, String)> = q
            .iter()
            .map(|(k, v)| (uri_encode(k, false), uri_encode(v, false)))
            .collect();
        enc.sort();
        let query = enc
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        let canonical_path = uri_encode(path, true);
        let canonical_headers: String = hdrs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let creq = format!(
            "{method}\n{canonical_path}\n{query}\n{canonical_headers}\n{signed_headers}\nUNSIGNED-PAYLOAD"
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{}",
            hex(&Sha256::digest(creq.as_bytes()))
        );
        let k = hmac(format!("AWS4{}", self.secret_key).as_bytes(), &date);
        let k = hmac(&k, &self.region);
        let k = hmac(&k, "s3");
        let k = hmac(&k, "aws4_request");
        let sig = hex(&hmac(&k, &sts));
        format!("{base}{canonical_path}?{query}&X-Amz-Signature={sig}")
    }
}
