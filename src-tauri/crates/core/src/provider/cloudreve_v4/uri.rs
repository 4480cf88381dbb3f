//! The `cloudreve://` URI codec. We build URIs exactly like the server serializes them
//! (JS `encodeURIComponent` per segment, upper-case hex, root with a trailing slash) so that
//! our keys compare equal to the `path` fields the server sends back.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::error::{Error, Result};

/// Everything `encodeURIComponent` escapes: all but `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// URI scheme prefix.
pub const SCHEME: &str = "cloudreve://";

/// Escape one path segment or query value like `encodeURIComponent`.
pub fn escape_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// A parsed `cloudreve://[user[:password]@]filesystem/seg/seg?query` URI with decoded segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloudreveUri {
    /// Raw (still escaped) user-info part, e.g. a share id and password.
    pub userinfo: Option<String>,
    /// The filesystem (`my`, `trash`, `share`, `shared_with_me`), lower-cased.
    pub filesystem: String,
    /// Decoded path segments.
    pub segments: Vec<String>,
    /// Raw query (search parameters), without the `?`.
    pub query: Option<String>,
}

impl CloudreveUri {
    /// The root of filesystem `fs`.
    pub fn root(fs: &str) -> Self {
        CloudreveUri {
            userinfo: None,
            filesystem: fs.to_string(),
            segments: Vec::new(),
            query: None,
        }
    }

    /// Parse a URI; segments are percent-decoded, empty and `.` segments dropped.
    pub fn parse(s: &str) -> Result<Self> {
        let rest = s
            .get(..SCHEME.len())
            .filter(|p| p.eq_ignore_ascii_case(SCHEME))
            .map(|_| &s[SCHEME.len()..])
            .ok_or_else(|| Error::invalid(format!("Not a cloudreve:// address: {s}")))?;
        let (before_query, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q.to_string())),
            None => (rest, None),
        };
        let (authority, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], &before_query[i..]),
            None => (before_query, ""),
        };
        let (userinfo, host) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u.to_string()), h),
            None => (None, authority),
        };
        if host.is_empty() {
            return Err(Error::invalid(format!("Missing filesystem in {s}")));
        }
        let mut segments = Vec::new();
        for raw in path.split('/') {
            let seg = percent_decode_str(raw).decode_utf8_lossy().into_owned();
            match seg.as_str() {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                _ => segments.push(seg),
            }
        }
        Ok(CloudreveUri {
            userinfo,
            filesystem: host.to_ascii_lowercase(),
            segments,
            query,
        })
    }

    /// Serialize like the server: escaped segments, root as `cloudreve://fs/`.
    pub fn to_uri_string(&self) -> String {
        let mut out = String::from(SCHEME);
        if let Some(u) = &self.userinfo {
            out.push_str(u);
            out.push('@');
        }
        out.push_str(&self.filesystem);
        if self.segments.is_empty() {
            out.push('/');
        } else {
            for seg in &self.segments {
                out.push('/');
                out.push_str(&escape_component(seg));
            }
        }
        if let Some(q) = &self.query {
            out.push('?');
            out.push_str(q);
        }
        out
    }

    /// A child of this URI (query dropped).
    pub fn child(&self, name: &str) -> Self {
        let mut c = self.clone();
        c.query = None;
        c.segments.push(name.to_string());
        c
    }

    /// The parent (the root is its own parent).
    pub fn parent(&self) -> Self {
        let mut p = self.clone();
        p.query = None;
        p.segments.pop();
        p
    }

    /// Last decoded segment (`""` at the root).
    pub fn name(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or("")
    }

    /// Whether this is the root of its filesystem.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }
}

/// Canonical form of a URI string (decoded then re-escaped), so that two spellings of the
/// same object compare equal. Unparseable input is returned unchanged.
pub fn canonical(s: &str) -> String {
    CloudreveUri::parse(s)
        .map(|u| u.to_uri_string())
        .unwrap_or_else(|_| s.to_string())
}

/// The `my` URI of a slash-separated path such as `/Docs/a b.txt` (or `Docs/a b.txt`).
pub fn from_path(path: &str) -> CloudreveUri {
    let mut u = CloudreveUri::root("my");
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                u.segments.pop();
            }
            s => u.segments.push(s.to_string()),
        }
    }
    u
}

/// Encode a whole value for a URL query string (so `%20` inside a URI becomes `%2520`).
pub fn encode_query_value(v: &str) -> String {
    escape_component(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_encode_uri_component() {
        assert_eq!(escape_component("a b+c(1).txt"), "a%20b%2Bc(1).txt");
        assert_eq!(escape_component("100%#x"), "100%25%23x");
        assert_eq!(escape_component("-_.!~*'()"), "-_.!~*'()");
        assert_eq!(escape_component("中文"), "%E4%B8%AD%E6%96%87");
        assert_eq!(escape_component("😀"), "%F0%9F%98%80");
        assert_eq!(escape_component("a/b?c&d=e"), "a%2Fb%3Fc%26d%3De");
    }

    #[test]
    fn root_has_trailing_slash() {
        assert_eq!(CloudreveUri::root("my").to_uri_string(), "cloudreve://my/");
        assert_eq!(
            CloudreveUri::parse("cloudreve://my")
                .unwrap()
                .to_uri_string(),
            "cloudreve://my/"
        );
        assert_eq!(
            CloudreveUri::parse("cloudreve://MY/")
                .unwrap()
                .to_uri_string(),
            "cloudreve://my/"
        );
    }

    #[test]
    fn odd_names_round_trip() {
        let names = [
            "a b.txt",
            "100%.txt",
            "#hash",
            "a+b",
            "中文 文件",
            "emoji 😀.png",
            "(x)!~*'",
            "%20literal",
        ];
        for name in names {
            let uri = CloudreveUri::root("my").child("dir one").child(name);
            let s = uri.to_uri_string();
            let back = CloudreveUri::parse(&s).unwrap();
            assert_eq!(back.name(), name, "{s}");
            assert_eq!(back.segments, vec!["dir one".to_string(), name.to_string()]);
            assert_eq!(back.to_uri_string(), s);
        }
    }

    #[test]
    fn parses_share_userinfo_and_query() {
        let u = CloudreveUri::parse("cloudreve://AbCd:pw@share/a%20b?name=x&case_folding").unwrap();
        assert_eq!(u.userinfo.as_deref(), Some("AbCd:pw"));
        assert_eq!(u.filesystem, "share");
        assert_eq!(u.segments, vec!["a b"]);
        assert_eq!(u.query.as_deref(), Some("name=x&case_folding"));
        assert_eq!(u.parent().to_uri_string(), "cloudreve://AbCd:pw@share/");
    }

    #[test]
    fn canonical_normalises_spellings() {
        assert_eq!(
            canonical("cloudreve://my/a b/%e4%b8%ad"),
            "cloudreve://my/a%20b/%E4%B8%AD"
        );
        assert_eq!(canonical("cloudreve://my/x/"), "cloudreve://my/x");
    }

    #[test]
    fn paths_map_to_my_uris() {
        assert_eq!(from_path("/").to_uri_string(), "cloudreve://my/");
        assert_eq!(
            from_path("/Docs/a b.txt").to_uri_string(),
            "cloudreve://my/Docs/a%20b.txt"
        );
        assert_eq!(
            from_path("Docs//x/../y").to_uri_string(),
            "cloudreve://my/Docs/y"
        );
    }

    #[test]
    fn query_values_are_double_encoded() {
        assert_eq!(
            encode_query_value("cloudreve://my/a%20b"),
            "cloudreve%3A%2F%2Fmy%2Fa%2520b"
        );
        assert_eq!(encode_query_value("ab+c/d=="), "ab%2Bc%2Fd%3D%3D");
    }

    #[test]
    fn rejects_other_schemes() {
        assert!(CloudreveUri::parse("https://my/x").is_err());
        assert!(CloudreveUri::parse("cloudreve:///x").is_err());
    }
}
