//! What Cirrus was started with: `cirrus-desktop [--minimized] [FILE…]`. A file manager's "Open
//! with Cirrus" (the desktop entry's `%F`) passes paths; the login autostart entry passes
//! `--minimized`. When Cirrus already runs, the single-instance plugin hands a second start's
//! arguments to the running app, which treats them the same way.
//!
//! The paths stay in Rust (in [`AppState::launch`]); the UI learns only their names and asks for
//! an upload plan of "the files Cirrus was opened with".

use crate::state::{AppState, lock};
use serde_json::json;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};
use tauri::{AppHandle, Emitter, Manager, Runtime};

/// The flag of the login autostart entry: start hidden in the tray.
pub const MINIMIZED_FLAG: &str = "--minimized";
/// The event that tells the UI files arrived (from a second start while Cirrus runs).
pub const UPLOAD_WITH_EVENT: &str = "upload-with";

/// A parsed command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaunchRequest {
    /// Start hidden in the tray (the login autostart entry).
    pub minimized: bool,
    /// Existing local files and folders to upload, absolute, in the order given, without repeats.
    pub paths: Vec<PathBuf>,
    /// Arguments that name nothing readable (missing files, non-`file:` URLs), as given.
    pub unusable: Vec<String>,
}

/// Files handed to Cirrus on its command line, waiting for the user to pick a destination.
#[derive(Clone, Debug, Default)]
pub struct LaunchFiles {
    /// Files and folders to upload.
    pub paths: Vec<PathBuf>,
    /// Arguments that could not be used, for the dialog to mention.
    pub unusable: Vec<String>,
}

/// Parses the arguments after the program name. Relative paths are taken from `cwd` (the
/// directory of the start that passed them, which for a handoff is not ours). Unknown options
/// are ignored so toolkit flags cannot turn into file names; after `--` everything is a path.
pub fn parse<I, S>(args: I, cwd: &Path) -> LaunchRequest
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let mut out = LaunchRequest::default();
    let mut options_done = false;
    for arg in args {
        let arg: OsString = arg.into();
        let text = arg.to_string_lossy();
        if !options_done {
            if text == "--" {
                options_done = true;
                continue;
            }
            if text == MINIMIZED_FLAG {
                out.minimized = true;
                continue;
            }
            if text.starts_with('-') && text.len() > 1 {
                tracing::debug!("ignoring unknown option {text}");
                continue;
            }
        }
        let candidate = if text.contains("://") {
            file_url_path(&text)
        } else {
            Some(PathBuf::from(&arg))
        };
        let Some(path) = candidate.map(|p| absolute(&p, cwd)) else {
            out.unusable.push(text.into_owned());
            continue;
        };
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() || meta.is_dir() => {
                if !out.paths.contains(&path) {
                    out.paths.push(path);
                }
            }
            _ => out.unusable.push(text.into_owned()),
        }
    }
    out
}

/// The local path of a `file:` URL (`file:///a%20b`, `file://localhost/a`); `None` for any
/// other scheme or host, which Cirrus cannot read.
fn file_url_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("file://")?;
    let rest = rest.strip_prefix("localhost").unwrap_or(rest);
    if !rest.starts_with('/') {
        return None;
    }
    let bytes: Vec<u8> = percent_encoding::percent_decode_str(rest).collect();
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        Some(PathBuf::from(OsString::from_vec(bytes)))
    }
    #[cfg(not(unix))]
    {
        String::from_utf8(bytes).ok().map(PathBuf::from)
    }
}

/// `path` made absolute against `cwd`, with `.` and `..` folded lexically: the upload must keep
/// the name the user saw, so symbolic links are not resolved.
fn absolute(path: &Path, cwd: &Path) -> PathBuf {
    let joined = if path.is_absolute() {
        path.to_path_buf()
    } else {
        cwd.join(path)
    };
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Adds files from a command line to those already waiting (the user may send more before
/// answering the dialog). Returns whether anything new arrived.
pub fn queue(state: &AppState, request: &LaunchRequest) -> bool {
    if request.paths.is_empty() && request.unusable.is_empty() {
        return false;
    }
    let mut waiting = lock(&state.launch);
    for p in &request.paths {
        if !waiting.paths.contains(p) {
            waiting.paths.push(p.clone());
        }
    }
    waiting.unusable.extend(request.unusable.iter().cloned());
    true
}

/// A second start while Cirrus runs (single-instance handoff): `argv` includes the program
/// name. Files are queued and announced to the UI with the window brought forward; a plain
/// second start shows the window; a second autostart (`--minimized` alone) changes nothing.
pub fn receive<R: Runtime>(app: &AppHandle<R>, argv: &[String], cwd: &Path) {
    let request = parse(argv.iter().skip(1).cloned(), cwd);
    let state = app.state::<AppState>();
    if queue(&state, &request) {
        let _ = app.emit(UPLOAD_WITH_EVENT, json!({}));
    } else if request.minimized {
        return;
    }
    crate::tray::show_main_window(app);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_urls_flags_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("a b.txt"), b"x").unwrap();
        std::fs::create_dir(d.join("photos")).unwrap();
        std::fs::write(d.join("-dash"), b"x").unwrap();
        let url = format!("file://{}/a%20b.txt", d.display());
        let r = parse(
            [
                "--minimized",
                "--gtk-debug",
                "a b.txt",
                "./photos/../photos",
                url.as_str(),
                "missing.txt",
                "https://example.com/x",
                "--",
                "-dash",
            ],
            d,
        );
        assert!(r.minimized);
        assert_eq!(
            r.paths,
            vec![d.join("a b.txt"), d.join("photos"), d.join("-dash")],
            "the URL names the same file as the first path and is not repeated"
        );
        assert_eq!(r.unusable, vec!["missing.txt", "https://example.com/x"]);
    }

    #[test]
    fn localhost_urls_are_local_and_other_hosts_are_not() {
        assert_eq!(
            file_url_path("file://localhost/tmp/%E6%96%87.txt"),
            Some(PathBuf::from("/tmp/文.txt"))
        );
        assert_eq!(file_url_path("file://server/share/x"), None);
        assert_eq!(file_url_path("smb://server/x"), None);
    }

    #[test]
    fn nothing_but_the_flag_is_not_a_request_for_files() {
        let r = parse(["--minimized"], Path::new("/"));
        assert!(r.minimized && r.paths.is_empty() && r.unusable.is_empty());
    }
}
