//! Server URL normalisation: add a scheme, drop query/fragment, trailing slashes and a
//! pasted `/api/v4` suffix, keep a sub-path (`https://host/cloud`).

use url::Url;

use crate::error::{Error, Result};

/// Normalise what a user typed into a site URL (no trailing slash).
pub fn normalize_server_url(input: &str) -> Result<Url> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid("Please enter the server address."));
    }
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_string()
    } else {
        format!("https://{trimmed}")
    };
    let mut url = Url::parse(&with_scheme)
        .map_err(|e| Error::invalid(format!("\"{trimmed}\" is not a valid address: {e}")))?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(Error::invalid(
            "The server address must start with http:// or https://.",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(Error::invalid("The server address has no host name."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::invalid(
            "Do not put credentials in the server address.",
        ));
    }
    url.set_query(None);
    url.set_fragment(None);
    let mut path = url.path().trim_end_matches('/').to_string();
    for suffix in ["/api/v4", "/api/v3", "/api", "/home", "/login", "/session"] {
        if path.to_ascii_lowercase().ends_with(suffix) {
            path.truncate(path.len() - suffix.len());
            path = path.trim_end_matches('/').to_string();
        }
    }
    url.set_path(&path);
    // `Url` always keeps "/" as the minimal path; strip it in the stored string form.
    let s = url.as_str().trim_end_matches('/').to_string();
    Url::parse(&s).map_err(|e| Error::invalid(format!("Invalid server address: {e}")))
}

/// Whether the user typed the scheme (`http://`, `https://`) themselves; without one,
/// https is tried first and plain http only as a fallback.
pub fn has_explicit_scheme(input: &str) -> bool {
    input.trim().contains("://")
}

/// The string form we store: no trailing slash.
pub fn server_string(url: &Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        server_string(&normalize_server_url(s).unwrap())
    }

    #[test]
    fn normalises() {
        assert_eq!(n("cloud.example.com"), "https://cloud.example.com");
        assert_eq!(
            n("  https://Cloud.Example.com/ "),
            "https://cloud.example.com"
        );
        assert_eq!(n("http://127.0.0.1:5212/"), "http://127.0.0.1:5212");
        assert_eq!(n("https://h.example/cloud/"), "https://h.example/cloud");
        assert_eq!(
            n("https://h.example/cloud/api/v4/"),
            "https://h.example/cloud"
        );
        assert_eq!(
            n("https://h.example/home?path=cloudreve%3A%2F%2Fmy#x"),
            "https://h.example"
        );
        assert_eq!(n("https://h.example:443/"), "https://h.example");
    }

    #[test]
    fn knows_whether_a_scheme_was_typed() {
        assert!(has_explicit_scheme(" http://h.example"));
        assert!(has_explicit_scheme("https://h.example"));
        assert!(!has_explicit_scheme("h.example:5212"));
        assert!(!has_explicit_scheme("127.0.0.1:5212/cloud"));
    }

    #[test]
    fn rejects_bad_input() {
        assert!(normalize_server_url("").is_err());
        assert!(normalize_server_url("ftp://h.example").is_err());
        assert!(normalize_server_url("https://user:pw@h.example").is_err());
        assert!(normalize_server_url("https://").is_err());
    }
}
