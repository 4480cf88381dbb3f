//! 123pan references. Objects are addressed by int64 ids, but a `RemoteRef` also keeps the
//! path it was reached by: the path is what the user means (after a move or a rename the old
//! reference names nothing, as on the other providers), the id saves a lookup.
//!
//! Forms: `p123:<id>:<path>` (known id), `p123::<path>` (a path not looked up yet, possibly
//! missing) and `p123-trash:<id>` (an item in the trash).

use crate::error::{Error, Result};
use crate::provider::RemoteRef;

/// Prefix of live references.
pub const PREFIX: &str = "p123:";
/// Prefix of trash references.
pub const TRASH_PREFIX: &str = "p123-trash:";

/// A parsed 123pan reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum P123Ref {
    /// An object in the drive, by path (`/` = the root, id 0).
    Live {
        /// Id, when known.
        id: Option<i64>,
        /// Normalised absolute path.
        path: String,
    },
    /// An item in the trash.
    Trash {
        /// Its id.
        id: i64,
    },
}

impl P123Ref {
    /// The root folder.
    pub fn root() -> Self {
        P123Ref::Live {
            id: Some(0),
            path: "/".into(),
        }
    }

    /// A known object at `path`.
    pub fn known(id: i64, path: &str) -> Self {
        P123Ref::Live {
            id: Some(id),
            path: normalize(path),
        }
    }

    /// Parses a reference (a bare path is accepted too).
    pub fn parse(r: &RemoteRef) -> Result<Self> {
        let s = r.as_str();
        if let Some(rest) = s.strip_prefix(TRASH_PREFIX) {
            let id = rest
                .parse()
                .map_err(|_| Error::invalid(format!("Not a 123pan trash reference: {s}")))?;
            return Ok(P123Ref::Trash { id });
        }
        if let Some(rest) = s.strip_prefix(PREFIX) {
            let (id, path) = rest
                .split_once(':')
                .ok_or_else(|| Error::invalid(format!("Not a 123pan reference: {s}")))?;
            let id = if id.is_empty() {
                None
            } else {
                Some(
                    id.parse()
                        .map_err(|_| Error::invalid(format!("Not a 123pan reference: {s}")))?,
                )
            };
            return Ok(P123Ref::Live {
                id,
                path: normalize(path),
            });
        }
        if s.starts_with('/') || s.is_empty() {
            return Ok(P123Ref::Live {
                id: None,
                path: normalize(s),
            });
        }
        Err(Error::invalid(format!("Not a 123pan reference: {s}")))
    }

    /// As an opaque reference.
    pub fn to_ref(&self) -> RemoteRef {
        match self {
            P123Ref::Live { id: Some(id), path } => RemoteRef::new(format!("{PREFIX}{id}:{path}")),
            P123Ref::Live { id: None, path } => RemoteRef::new(format!("{PREFIX}:{path}")),
            P123Ref::Trash { id } => RemoteRef::new(format!("{TRASH_PREFIX}{id}")),
        }
    }
}

/// `/a/b` form: one leading slash, no empty segments, no trailing slash. Segments are kept
/// as they are (names may start or end with spaces).
pub fn normalize(path: &str) -> String {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", segs.join("/"))
}

/// The segments of a normalised path.
pub fn segments(path: &str) -> Vec<&str> {
    path.split('/').filter(|s| !s.is_empty()).collect()
}

/// `dir` + `/` + `name`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// The parent of a normalised path (`/` for top-level items and the root).
pub fn parent_of(path: &str) -> String {
    match path.rsplit_once('/') {
        Some(("", _)) | None => "/".into(),
        Some((p, _)) => p.to_string(),
    }
}

/// Whether `inner` is `outer` or below it.
pub fn is_within(inner: &str, outer: &str) -> bool {
    inner == outer || outer == "/" || inner.starts_with(&format!("{outer}/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip() {
        for r in [
            P123Ref::root(),
            P123Ref::known(42, "/a b/ c:d"),
            P123Ref::Live {
                id: None,
                path: "/x/y".into(),
            },
            P123Ref::Trash { id: 9 },
        ] {
            assert_eq!(P123Ref::parse(&r.to_ref()).unwrap(), r);
        }
        assert_eq!(
            P123Ref::parse(&RemoteRef::new("/a//b/")).unwrap(),
            P123Ref::Live {
                id: None,
                path: "/a/b".into()
            }
        );
        assert!(P123Ref::parse(&RemoteRef::new("cloudreve://my/a")).is_err());
    }

    #[test]
    fn paths() {
        assert_eq!(parent_of("/a/b"), "/a");
        assert_eq!(parent_of("/a"), "/");
        assert_eq!(join("/", "a"), "/a");
        assert!(is_within("/a/b", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert_eq!(segments("/ x/y"), vec![" x", "y"]);
    }
}
