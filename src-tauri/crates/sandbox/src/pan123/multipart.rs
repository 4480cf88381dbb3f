//! A small `multipart/form-data` reader for slice and single-step uploads (bodies are
//! buffered: slices are at most a slice size, single-step files at most 1 GiB).

use std::collections::HashMap;

use axum::http::HeaderMap;
use bytes::Bytes;

/// The parts of a form: text fields and file parts by field name.
#[derive(Debug, Default)]
pub struct Form {
    pub fields: HashMap<String, String>,
    pub files: HashMap<String, Bytes>,
}

impl Form {
    /// A text field, looked up case-insensitively.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .or_else(|| {
                self.fields
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v)
            })
            .map(String::as_str)
    }
}

fn boundary(h: &HeaderMap) -> Option<String> {
    let ct = h.get("content-type")?.to_str().ok()?;
    if !ct.to_ascii_lowercase().starts_with("multipart/form-data") {
        return None;
    }
    ct.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.eq_ignore_ascii_case("boundary")
            .then(|| v.trim_matches('"').to_string())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| &hay[i..i + needle.len()] == needle)
}

fn param(disposition: &str, key: &str) -> Option<String> {
    disposition.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim() == key).then(|| v.trim().trim_matches('"').to_string())
    })
}

/// Parse a multipart body; `None` when it is not one.
pub fn parse(headers: &HeaderMap, body: &Bytes) -> Option<Form> {
    let b = boundary(headers)?;
    let delim = format!("--{b}");
    let sep = format!("\r\n--{b}");
    let mut form = Form::default();
    let mut pos = find(body, delim.as_bytes(), 0)? + delim.len();
    loop {
        if body.get(pos..pos + 2) == Some(b"--") {
            break;
        }
        pos += 2; // CRLF after the delimiter
        let head_end = find(body, b"\r\n\r\n", pos)?;
        let head = std::str::from_utf8(&body[pos..head_end]).ok()?;
        let start = head_end + 4;
        let end = find(body, sep.as_bytes(), start)?;
        let disposition = head
            .split("\r\n")
            .find(|l| l.to_ascii_lowercase().starts_with("content-disposition:"))?;
        let name = param(disposition, "name")?;
        if param(disposition, "filename").is_some() {
            form.files.insert(name, body.slice(start..end));
        } else {
            let v = String::from_utf8_lossy(&body[start..end]).into_owned();
            form.fields.insert(name, v);
        }
        pos = end + sep.len();
    }
    Some(form)
}
