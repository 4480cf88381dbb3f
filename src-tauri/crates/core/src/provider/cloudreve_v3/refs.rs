//! `RemoteRef`s of the v3 provider. Cloudreve 3 addresses folders by path (listing, move,
//! copy, upload) but objects by hashid, and file and folder hashids live in separate
//! namespaces. A reference therefore carries all three: `cloudreve3:<kind>:<id>:<path>`,
//! where kind is `d` (folder), `f` (file) or `?` (not known yet, e.g. a path typed by the
//! user), id may be empty when not known, and the path is absolute and unescaped (names
//! cannot contain `/`). Missing parts are looked up in the parent's listing when needed.

use crate::error::{Error, Result};
use crate::provider::model::{EntryKind, RemoteRef};

/// The scheme prefix of every v3 reference.
pub const PREFIX: &str = "cloudreve3:";

/// A parsed v3 reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V3Ref {
    /// File, folder, or unknown.
    pub kind: Option<EntryKind>,
    /// The hashid, when known.
    pub id: Option<String>,
    /// Absolute path, `/` for the root.
    pub path: String,
}

impl V3Ref {
    /// The root folder.
    pub fn root() -> Self {
        V3Ref {
            kind: Some(EntryKind::Folder),
            id: None,
            path: "/".into(),
        }
    }

    /// A path whose kind and id are not known yet.
    pub fn from_path(path: &str) -> Self {
        V3Ref {
            kind: None,
            id: None,
            path: normalize(path),
        }
    }

    /// A fully known object.
    pub fn known(kind: EntryKind, id: &str, path: &str) -> Self {
        V3Ref {
            kind: Some(kind),
            id: Some(id.to_string()).filter(|s| !s.is_empty()),
            path: normalize(path),
        }
    }

    /// Parse a reference made by [`V3Ref::to_ref`] (or a plain absolute path).
    pub fn parse(r: &RemoteRef) -> Result<Self> {
        let s = r.as_str();
        let Some(rest) = s.strip_prefix(PREFIX) else {
            if s.starts_with('/') {
                return Ok(Self::from_path(s));
            }
            return Err(Error::invalid(format!(
                "\"{s}\" is not a Cloudreve 3 reference."
            )));
        };
        let mut parts = rest.splitn(3, ':');
        let (Some(kind), Some(id), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(Error::invalid(format!(
                "Malformed Cloudreve 3 reference \"{s}\"."
            )));
        };
        let kind = match kind {
            "d" => Some(EntryKind::Folder),
            "f" => Some(EntryKind::File),
            "?" => None,
            _ => {
                return Err(Error::invalid(format!(
                    "Malformed Cloudreve 3 reference \"{s}\"."
                )));
            }
        };
        if !path.starts_with('/') {
            return Err(Error::invalid(format!(
                "Malformed Cloudreve 3 reference \"{s}\"."
            )));
        }
        Ok(V3Ref {
            kind,
            id: Some(id.to_string()).filter(|s| !s.is_empty()),
            path: normalize(path),
        })
    }

    /// The opaque reference string.
    pub fn to_ref(&self) -> RemoteRef {
        let k = match self.kind {
            Some(EntryKind::Folder) => "d",
            Some(EntryKind::File) => "f",
            None => "?",
        };
        RemoteRef::new(format!(
            "{PREFIX}{k}:{}:{}",
            self.id.as_deref().unwrap_or(""),
            self.path
        ))
    }

    /// Whether this is the root folder.
    pub fn is_root(&self) -> bool {
        self.path == "/"
    }

    /// The last path segment ("" for the root).
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or("")
    }

    /// The parent folder's path (`/` for top-level objects and the root).
    pub fn parent_path(&self) -> String {
        parent_of(&self.path)
    }

    /// The path of `name` inside this folder.
    pub fn child_path(&self, name: &str) -> String {
        join(&self.path, name)
    }
}

/// `/a/b` for "a/b", "/a//b/", "a/./b"; `/` for "" (no `..` handling: names are names).
pub fn normalize(path: &str) -> String {
    let segs: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    format!("/{}", segs.join("/"))
}

/// The parent of an absolute path.
pub fn parent_of(path: &str) -> String {
    match path.trim_end_matches('/').rfind('/') {
        Some(0) | None => "/".into(),
        Some(i) => path[..i].to_string(),
    }
}

/// `dir` + `/` + `name`.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_round_trip_with_colons_and_spaces_in_names() {
        let r = V3Ref::known(EntryKind::File, "bbTL", "/a b/c:d.txt");
        let s = r.to_ref();
        assert_eq!(s.as_str(), "cloudreve3:f:bbTL:/a b/c:d.txt");
        assert_eq!(V3Ref::parse(&s).unwrap(), r);
        assert_eq!(r.name(), "c:d.txt");
        assert_eq!(r.parent_path(), "/a b");
        let root = V3Ref::root();
        assert_eq!(V3Ref::parse(&root.to_ref()).unwrap(), root);
        assert!(root.is_root());
        assert_eq!(root.child_path("x"), "/x");
        assert_eq!(root.parent_path(), "/");
        let p = V3Ref::parse(&RemoteRef::new("/x//y/")).unwrap();
        assert_eq!((p.kind, p.id, p.path.as_str()), (None, None, "/x/y"));
        assert_eq!(V3Ref::from_path("/top").parent_path(), "/");
        assert!(V3Ref::parse(&RemoteRef::new("cloudreve://my/x")).is_err());
        assert!(V3Ref::parse(&RemoteRef::new("cloudreve3:z::/x")).is_err());
    }
}
