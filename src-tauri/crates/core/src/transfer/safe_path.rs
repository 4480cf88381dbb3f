//! Mapping names chosen by a server onto the local disk without ever leaving the chosen folder.
//!
//! A server (or whoever uploaded to it) controls file names. Before any of them touch the local
//! file system each path component is neutralised: no `..`, no absolute paths or drive prefixes,
//! no separators hidden inside a name, no NUL or control characters, no Windows reserved names.

use std::path::{Path, PathBuf};

/// Windows device names that cannot be used as file names (with any extension).
const RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Turns one remote name into a single safe local file-name component (never empty).
pub fn sanitize_component(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            // Bidirectional overrides make "\u{202e}txt.exe" display as "exe.txt".
            '\u{200e}'
            | '\u{200f}'
            | '\u{061c}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}' => '_',
            c => c,
        })
        .collect();
    // Trailing dots and spaces are silently stripped by Windows, which could merge two names.
    while out.ends_with('.') || out.ends_with(' ') {
        out.pop();
    }
    if out.trim().is_empty() || out == "." || out == ".." {
        return "_".to_string();
    }
    let stem = out.split('.').next().unwrap_or("").trim_end();
    if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(stem)) {
        out.insert(0, '_');
    }
    out
}

/// Joins a remote relative path (components separated by `/`) under `root`, neutralising every
/// component, so the result is always strictly inside `root`.
pub fn safe_join(root: &Path, remote_relative_path: &str) -> PathBuf {
    let mut out = root.to_path_buf();
    let mut pushed = false;
    for part in remote_relative_path.split(['/', '\\']) {
        // Empty and "." components carry no meaning; ".." must not climb out.
        if part.is_empty() || part == "." {
            continue;
        }
        out.push(sanitize_component(part));
        pushed = true;
    }
    if !pushed {
        out.push("_");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(root: &Path, p: &str) -> String {
        let joined = safe_join(root, p);
        assert!(joined.starts_with(root), "{joined:?} escaped {root:?}");
        assert_ne!(joined, root);
        joined
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace(std::path::MAIN_SEPARATOR, "/")
    }

    #[test]
    fn ordinary_paths_are_kept() {
        let root = Path::new("/dl");
        assert_eq!(rel(root, "a.txt"), "a.txt");
        assert_eq!(rel(root, "dir/sub/a b.txt"), "dir/sub/a b.txt");
        assert_eq!(rel(root, "数据/ファイル.txt"), "数据/ファイル.txt");
    }

    #[test]
    fn parent_references_cannot_escape() {
        let root = Path::new("/dl");
        assert_eq!(rel(root, "../../etc/passwd"), "_/_/etc/passwd");
        assert_eq!(rel(root, "a/../../b"), "a/_/_/b");
        assert_eq!(rel(root, ".."), "_");
        assert_eq!(rel(root, "..\\..\\win.ini"), "_/_/win.ini");
    }

    #[test]
    fn absolute_and_drive_paths_stay_inside() {
        let root = Path::new("/dl");
        assert_eq!(rel(root, "/etc/passwd"), "etc/passwd");
        assert_eq!(rel(root, "C:\\Windows\\system32"), "C_/Windows/system32");
        assert_eq!(rel(root, "//server/share"), "server/share");
    }

    #[test]
    fn nul_controls_and_separators_in_a_name_are_replaced() {
        assert_eq!(sanitize_component("a\0b"), "a_b");
        assert_eq!(sanitize_component("a/b\\c"), "a_b_c");
        assert_eq!(sanitize_component("line\nbreak\t"), "line_break_");
        assert_eq!(sanitize_component("what?<>|*\""), "what______");
    }

    #[test]
    fn reserved_and_empty_names_are_neutralised() {
        assert_eq!(sanitize_component("CON"), "_CON");
        assert_eq!(sanitize_component("con.txt"), "_con.txt");
        assert_eq!(sanitize_component("LPT1.tar.gz"), "_LPT1.tar.gz");
        assert_eq!(sanitize_component("CONSOLE.txt"), "CONSOLE.txt");
        assert_eq!(sanitize_component(""), "_");
        assert_eq!(sanitize_component("   "), "_");
        assert_eq!(sanitize_component("..."), "_");
        assert_eq!(sanitize_component("name. "), "name");
        let root = Path::new("/dl");
        assert_eq!(rel(root, ""), "_");
        assert_eq!(rel(root, "///"), "_");
    }
}
