//! A minimal `multipart/form-data` reader for the Upyun form API (the sandbox has no
//! multipart dependency): fields are `name → bytes`, the file part last.

use std::collections::HashMap;

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Parse `body` into its named parts (`None` when malformed).
pub fn parse(body: &[u8], boundary: &str) -> Option<HashMap<String, Vec<u8>>> {
    let delim = format!("--{boundary}");
    let mut out = HashMap::new();
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2)? == b"--" {
            return Some(out);
        }
        pos += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = String::from_utf8_lossy(&body[pos..head_end]);
        let name = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                return None;
            }
            v.split(';').find_map(|p| {
                p.trim()
                    .strip_prefix("name=")
                    .map(|n| n.trim_matches('"').to_string())
            })
        })?;
        let data_start = head_end + 4;
        let next = find(body, format!("\r\n{delim}").as_bytes(), data_start)?;
        out.insert(name, body[data_start..next].to_vec());
        pos = next + 2 + delim.len();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_and_binary_file() {
        let body = b"--XX\r\nContent-Disposition: form-data; name=\"policy\"\r\n\r\nabc\r\n\
--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"blob\"\r\n\
Content-Type: application/octet-stream\r\n\r\n\x00\r\n--X\xff\r\n--XX--\r\n";
        let f = parse(body, "XX").unwrap();
        assert_eq!(f["policy"], b"abc");
        assert_eq!(f["file"], b"\x00\r\n--X\xff");
        assert_eq!(
            boundary("multipart/form-data; boundary=\"XX\"").as_deref(),
            Some("XX")
        );
    }
}
