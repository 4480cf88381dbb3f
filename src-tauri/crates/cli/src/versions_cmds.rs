//! `cirrus versions ls|get|restore|rm`: a file's stored versions (servers with
//! `Capabilities::versions`).

use std::path::PathBuf;

use cirrus_core::provider::*;
use cirrus_core::transfer::{ConflictPolicy, version_ref};
use cirrus_core::{Cirrus, Error, ErrorKind};
use clap::{Args, Subcommand};

use crate::exit;
use crate::output::{Out, human_size};
use crate::transfer_cmds::{context, engine, run_to_end};

/// `cirrus versions …`.
#[derive(Args)]
pub struct VersionsArgs {
    #[command(subcommand)]
    pub action: VersionsAction,
}

/// What to do with versions.
#[derive(Subcommand)]
pub enum VersionsAction {
    /// List a file's versions, newest first.
    Ls {
        /// Remote file.
        path: String,
    },
    /// Download one version to a local path.
    Get {
        /// Remote file.
        path: String,
        /// Version id (from `versions ls`).
        version: String,
        /// Local file to write (default: the file's name with the version id added).
        local: Option<PathBuf>,
    },
    /// Make a version the file's current content.
    Restore {
        /// Remote file.
        path: String,
        /// Version id.
        version: String,
    },
    /// Delete a version (not the current one).
    Rm {
        /// Remote file.
        path: String,
        /// Version id.
        version: String,
    },
}

fn version_line(v: &FileVersion) -> String {
    format!(
        "{}  {:>10}  {}{}",
        v.id,
        human_size(v.size),
        v.created_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
            .unwrap_or_else(|| "-".into()),
        if v.current { "  (current)" } else { "" }
    )
}

pub async fn versions(
    cirrus: &Cirrus,
    account: Option<&str>,
    a: VersionsArgs,
    out: Out,
) -> Result<i32, Error> {
    let (p, queue, proxy) = context(cirrus, account).await?;
    if !p.capabilities().versions {
        return Err(Error::unsupported("file versions"));
    }
    match a.action {
        VersionsAction::Ls { path } => {
            let list = p.list_versions(&p.resolve_path(&path).await?).await?;
            out.print(&list, || {
                list.iter().map(version_line).collect::<Vec<_>>().join("\n")
            });
            Ok(exit::OK)
        }
        VersionsAction::Get {
            path,
            version,
            local,
        } => {
            let file = p.stat(&p.resolve_path(&path).await?).await?;
            let v = p
                .list_versions(&file.remote)
                .await?
                .into_iter()
                .find(|v| v.id == version)
                .ok_or_else(|| {
                    Error::with_message(
                        ErrorKind::NotFound,
                        format!("{path} has no version {version}."),
                    )
                })?;
            let dest =
                local.unwrap_or_else(|| PathBuf::from(version_ref::local_name(&file.name, &v.id)));
            let e = engine(p, queue.clone(), None, proxy)?;
            let id = e.enqueue_version_download(&file, &v, &dest, ConflictPolicy::Ask)?;
            run_to_end(&e, &queue, &[id], out).await
        }
        VersionsAction::Restore { path, version } => {
            let r = p.resolve_path(&path).await?;
            p.set_current_version(&r, &version).await?;
            let e = p.stat(&r).await?;
            out.print(&e, || {
                format!("{path} is now version {version} ({})", human_size(e.size))
            });
            Ok(exit::OK)
        }
        VersionsAction::Rm { path, version } => {
            let r = p.resolve_path(&path).await?;
            p.delete_version(&r, &version).await?;
            out.print(&serde_json::json!({ "deleted": version }), || {
                format!("Deleted version {version} of {path}")
            });
            Ok(exit::OK)
        }
    }
}
