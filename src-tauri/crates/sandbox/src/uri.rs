//! `cloudreve://` URIs: parsing with a URL parser and Cloudreve's re-serialisation.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::envelope::ApiError;

/// Bytes JavaScript's `encodeURIComponent` leaves alone: `A-Za-z0-9-_.!~*'()`.
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

/// Escape one path segment the way the server emits it (upper-case hex, space as `%20`).
pub fn escape_segment(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// The filesystem named by the URI host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fs {
    My,
    Share,
    Trash,
    SharedWithMe,
}

impl Fs {
    fn as_str(self) -> &'static str {
        match self {
            Fs::My => "my",
            Fs::Share => "share",
            Fs::Trash => "trash",
            Fs::SharedWithMe => "shared_with_me",
        }
    }
}

/// A parsed `cloudreve://` URI.
#[derive(Debug, Clone)]
pub struct CrUri {
    /// Filesystem (lower-cased host).
    pub fs: Fs,
    /// URL user part (`my` owner id or share id), already decoded.
    pub user: Option<String>,
    /// URL password part (share password).
    pub password: Option<String>,
    /// Decoded, cleaned path segments; empty for the root.
    pub segments: Vec<String>,
    /// Decoded query pairs (search parameters).
    pub query: Vec<(String, String)>,
}

impl CrUri {
    /// Parse a URI string as the server does.
    pub fn parse(raw: &str) -> Result<CrUri, ApiError> {
        let url = url::Url::parse(raw).map_err(|_| ApiError::param("unknown uri"))?;
        if url.scheme() != "cloudreve" {
            return Err(ApiError::param("unknown uri"));
        }
        let host = percent_decode_str(url.host_str().unwrap_or(""))
            .decode_utf8_lossy()
            .to_lowercase();
        let fs = match host.as_str() {
            "my" => Fs::My,
            "share" => Fs::Share,
            "trash" => Fs::Trash,
            "shared_with_me" => Fs::SharedWithMe,
            // "unknown file system" is untyped in Cloudreve.
            _ => return Err(ApiError::untyped()),
        };
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        let user = (!url.username().is_empty()).then(|| decode(url.username()));
        let password = url.password().map(decode);
        // Decode the whole path first: an encoded `%2F` becomes a separator, like path.Clean
        // after unescaping in Go.
        let path = decode(url.path());
        let mut segments: Vec<String> = Vec::new();
        for seg in path.split('/') {
            match seg {
                "" | "." => {}
                ".." => {
                    segments.pop();
                }
                s => segments.push(s.to_string()),
            }
        }
        let query = url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Ok(CrUri {
            fs,
            user,
            password,
            segments,
            query,
        })
    }

    /// A URI for `segments` in filesystem `fs`.
    pub fn new(fs: Fs, segments: Vec<String>) -> CrUri {
        CrUri {
            fs,
            user: None,
            password: None,
            segments,
            query: Vec::new(),
        }
    }

    /// True for the filesystem root.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    /// The URI of the parent folder (root stays root).
    pub fn parent(&self) -> CrUri {
        let mut p = self.clone();
        p.segments.pop();
        p.query.clear();
        p
    }

    /// Last segment (the object name), empty for the root.
    pub fn name(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or("")
    }

    /// A child URI.
    pub fn join(&self, name: &str) -> CrUri {
        let mut c = self.clone();
        c.query.clear();
        c.segments.push(name.to_string());
        c
    }

    /// True when the query carries any search parameter.
    pub fn is_search(&self) -> bool {
        self.query.iter().any(|(k, _)| {
            matches!(
                k.as_str(),
                "name"
                    | "name_op_or"
                    | "use_or"
                    | "case_folding"
                    | "type"
                    | "category"
                    | "size_gte"
                    | "size_lte"
                    | "created_gte"
                    | "created_lte"
                    | "updated_gte"
                    | "updated_lte"
            ) || k.starts_with("meta_")
                || k.starts_with("exact_meta_")
        })
    }
}

impl std::fmt::Display for CrUri {
    /// Cloudreve's serialisation: the root keeps a trailing slash and drops the query.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cloudreve://")?;
        if let Some(u) = &self.user {
            write!(f, "{}", escape_segment(u))?;
            if let Some(p) = &self.password {
                write!(f, ":{}", escape_segment(p))?;
            }
            write!(f, "@")?;
        }
        write!(f, "{}", self.fs.as_str())?;
        if self.segments.is_empty() {
            return write!(f, "/");
        }
        for s in &self.segments {
            write!(f, "/{}", escape_segment(s))?;
        }
        if !self.query.is_empty() {
            let q: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(self.query.iter())
                .finish();
            write!(f, "?{q}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_odd_names() {
        for name in ["a b+c(1).txt", "100% #1.md", "中文 🎉.txt", "x'y!z~*.bin"] {
            let u = CrUri::new(Fs::My, vec!["dir".into(), name.into()]);
            let s = u.to_string();
            let back = CrUri::parse(&s).unwrap();
            assert_eq!(
                back.segments,
                vec!["dir".to_string(), name.to_string()],
                "{s}"
            );
            assert_eq!(back.to_string(), s);
        }
        assert_eq!(
            CrUri::new(Fs::My, vec!["a b+c(1).txt".into()]).to_string(),
            "cloudreve://my/a%20b%2Bc(1).txt"
        );
    }

    #[test]
    fn root_and_host_case() {
        let u = CrUri::parse("cloudreve://MY").unwrap();
        assert!(u.is_root());
        assert_eq!(u.to_string(), "cloudreve://my/");
        let u = CrUri::parse("cloudreve://my/a/b/").unwrap();
        assert_eq!(u.to_string(), "cloudreve://my/a/b");
    }
}
