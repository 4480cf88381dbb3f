//! Drive commands: ls, stat, mkdir, mv, cp, rm, restore.

use std::sync::Arc;

use cirrus_core::provider::*;
use cirrus_core::{Cirrus, Error, ErrorKind};

use crate::args::{LsArgs, SortKey};
use crate::exit;
use crate::output::{Out, entry_line};

pub async fn provider(cirrus: &Cirrus, account: Option<&str>) -> Result<Arc<dyn Provider>, Error> {
    let a = cirrus.account_or_active(account)?;
    cirrus.provider(&a.id).await
}

/// Split "/a/b/c" into ("/a/b", "c").
fn split_path(path: &str) -> (String, String) {
    let trimmed = path.trim_end_matches('/');
    match trimmed.rsplit_once('/') {
        Some((parent, name)) => (
            if parent.is_empty() {
                "/".into()
            } else {
                parent.to_string()
            },
            name.to_string(),
        ),
        None => ("/".into(), trimmed.to_string()),
    }
}

pub async fn ls(cirrus: &Cirrus, account: Option<&str>, a: LsArgs, out: Out) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    let opts = ListOptions {
        order_by: match a.sort {
            SortKey::Name => OrderBy::Name,
            SortKey::Size => OrderBy::Size,
            SortKey::Updated => OrderBy::UpdatedAt,
            SortKey::Created => OrderBy::CreatedAt,
        },
        direction: if a.desc {
            Direction::Desc
        } else {
            Direction::Asc
        },
        page_size: Some(a.page_size),
    };
    let folder = p.resolve_path(a.path.as_deref().unwrap_or("/")).await?;
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = if a.trash {
            p.list_trash(&opts, cursor.as_deref()).await?
        } else if let Some(q) = &a.search {
            p.search(
                &folder,
                &SearchQuery {
                    name: q.clone(),
                    kind: a.kind.map(|k| match k {
                        crate::args::KindArg::File => EntryKind::File,
                        crate::args::KindArg::Folder => EntryKind::Folder,
                    }),
                    min_size: a.min_size,
                    max_size: a.max_size,
                    modified_after: a.modified_after,
                    modified_before: a.modified_before,
                    category: a.category,
                    ..SearchQuery::default()
                },
                &opts,
                cursor.as_deref(),
            )
            .await?
        } else {
            p.list(&folder, &opts, cursor.as_deref()).await?
        };
        entries.extend(page.entries);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    out.print(&entries, || {
        entries
            .iter()
            .map(entry_line)
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(exit::OK)
}

pub async fn stat(
    cirrus: &Cirrus,
    account: Option<&str>,
    path: &str,
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    let e = p.stat(&p.resolve_path(path).await?).await?;
    out.print(&e, || format!("{}\n  {}", entry_line(&e), e.remote));
    Ok(exit::OK)
}

pub async fn mkdir(
    cirrus: &Cirrus,
    account: Option<&str>,
    paths: &[String],
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    let mut made = Vec::new();
    for path in paths {
        let names = folder_names(path);
        made.push(p.create_folders(&p.root(), &names).await?);
    }
    out.print(&made, || {
        made.iter()
            .map(|e| format!("Created {}", e.remote))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(exit::OK)
}

/// The folder names along a slash-separated path ("/a/b/" → ["a", "b"]).
pub fn folder_names(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

async fn resolve_all(p: &dyn Provider, paths: &[String]) -> Result<Vec<RemoteRef>, Error> {
    let mut out = Vec::new();
    for path in paths {
        out.push(p.resolve_path(path).await?);
    }
    Ok(out)
}

pub async fn mv(
    cirrus: &Cirrus,
    account: Option<&str>,
    paths: &[String],
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    let (srcs, dest) = paths.split_at(paths.len() - 1);
    let dest_path = &dest[0];
    let dest_ref = p.resolve_path(dest_path).await?;
    let dest_entry = match p.stat(&dest_ref).await {
        Ok(e) => Some(e),
        Err(e) if e.kind() == ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let sources = resolve_all(p.as_ref(), srcs).await?;
    if let Some(d) = dest_entry.filter(|d| d.is_folder()) {
        let res = p.move_items(&sources, &d.remote).await?;
        return Ok(out.batch("Moved", sources.len(), &res));
    }
    if sources.len() != 1 {
        return Err(Error::with_message(
            ErrorKind::NotFound,
            format!("{dest_path} is not an existing folder."),
        ));
    }
    // One source to a new name: rename, moving first if the folder differs.
    let (src_parent, _) = split_path(&srcs[0]);
    let (dest_parent, new_name) = split_path(dest_path);
    let mut current = sources[0].clone();
    if p.resolve_path(&src_parent).await? != p.resolve_path(&dest_parent).await? {
        let target = p.resolve_path(&dest_parent).await?;
        let res = p
            .move_items(std::slice::from_ref(&current), &target)
            .await?;
        if let Some((_, e)) = res.failed.into_iter().next() {
            return Err(e);
        }
        let (_, old_name) = split_path(&srcs[0]);
        current = p
            .resolve_path(&format!("{}/{old_name}", dest_parent.trim_end_matches('/')))
            .await?;
    }
    let e = p.rename(&current, &new_name).await?;
    out.print(&e, || format!("Renamed to {}", e.remote));
    Ok(exit::OK)
}

pub async fn cp(
    cirrus: &Cirrus,
    account: Option<&str>,
    paths: &[String],
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    if !p.capabilities().server_side_copy {
        return Err(Error::unsupported("server-side copy"));
    }
    let (srcs, dest) = paths.split_at(paths.len() - 1);
    let dest = p.resolve_path(&dest[0]).await?;
    let sources = resolve_all(p.as_ref(), srcs).await?;
    let res = p.copy_items(&sources, &dest).await?;
    Ok(out.batch("Copied", sources.len(), &res))
}

pub async fn rm(
    cirrus: &Cirrus,
    account: Option<&str>,
    paths: &[String],
    permanent: bool,
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    // Without a trash, a plain `rm` would be irreversible: that takes an explicit --permanent.
    if !permanent && !p.capabilities().trash {
        return Err(Error::with_message(
            cirrus_core::ErrorKind::Unsupported,
            "This server has no trash, so rm would delete permanently. Nothing was deleted; \
             add --permanent to delete for good.",
        ));
    }
    let items = resolve_all(p.as_ref(), paths).await?;
    let mode = if permanent {
        DeleteMode::Permanent
    } else {
        DeleteMode::Trash
    };
    let res = p.delete(&items, mode).await?;
    Ok(out.batch(
        if mode == DeleteMode::Trash {
            "Moved to trash"
        } else {
            "Deleted"
        },
        items.len(),
        &res,
    ))
}

pub async fn restore(
    cirrus: &Cirrus,
    account: Option<&str>,
    items: &[String],
    out: Out,
) -> Result<i32, Error> {
    let p = provider(cirrus, account).await?;
    let mut trash = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = p
            .list_trash(
                &ListOptions {
                    page_size: Some(500),
                    ..Default::default()
                },
                cursor.as_deref(),
            )
            .await?;
        trash.extend(page.entries);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut refs = Vec::new();
    for item in items {
        let original = p.resolve_path(item).await.ok();
        let found = trash.iter().find(|e| {
            e.remote.as_str() == item
                || e.name == *item
                || (original.is_some() && e.original_location.as_ref() == original.as_ref())
        });
        match found {
            Some(e) => refs.push(e.remote.clone()),
            None => {
                return Err(Error::with_message(
                    ErrorKind::NotFound,
                    format!("\"{item}\" is not in the trash."),
                ));
            }
        }
    }
    let res = p.restore(&refs).await?;
    Ok(out.batch("Restored", refs.len(), &res))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_paths() {
        assert_eq!(split_path("/a/b/c"), ("/a/b".into(), "c".into()));
        assert_eq!(split_path("/c"), ("/".into(), "c".into()));
        assert_eq!(split_path("c/"), ("/".into(), "c".into()));
    }
}
