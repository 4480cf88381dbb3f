//! Mapping names chosen by a server onto the local disk without ever leaving the chosen folder.
//!
//! A server (or whoever uploaded to it) controls file names. Before any of them touch the local
//! file system each path component is neutralised: no `..`, no absolute paths or drive prefixes,
//! no separators hidden inside a name, no NUL or control characters, no Windows reserved names.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Longest local name we write, in UTF-8 bytes. Common file systems allow 255 bytes (ext4,
/// XFS, Btrfs, APFS) or 255 UTF-16 units (NTFS); the rest leaves room for the `.part` suffix
/// of a download in progress and a keep-both ` (99)`, so every name we derive fits too.
pub const MAX_LOCAL_NAME_BYTES: usize = 240;

/// An extension longer than this is treated as part of the name when shortening.
const MAX_KEPT_EXTENSION_BYTES: usize = 24;

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
    shorten_to_fit(&out, name)
}

/// Cuts `name` to [`MAX_LOCAL_NAME_BYTES`] when it is longer: the extension is kept, the stem
/// is cut on a character boundary, and `~` plus six hex digits of a hash of the `original`
/// name go in between, so two long names sharing a prefix never land on the same file, and
/// the same name always shortens the same way (a resumed download finds its part file).
fn shorten_to_fit(name: &str, original: &str) -> String {
    if name.len() <= MAX_LOCAL_NAME_BYTES {
        return name.to_string();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_KEPT_EXTENSION_BYTES => name.split_at(i),
        _ => (name, ""),
    };
    let hash = Sha256::digest(original.as_bytes());
    let tag = format!("~{:02x}{:02x}{:02x}", hash[0], hash[1], hash[2]);
    let budget = MAX_LOCAL_NAME_BYTES - ext.len() - tag.len();
    let mut cut = budget.min(stem.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    // Trailing spaces or dots before the tag would be stripped elsewhere (Windows).
    let stem = stem[..cut].trim_end_matches([' ', '.']);
    format!("{stem}{tag}{ext}")
}

/// Whether the local name for `remote_name` differs from it (characters the local disk cannot
/// hold, or shortened to fit): what a transfer reports as "saved as".
pub fn local_name_differs(remote_name: &str) -> bool {
    sanitize_component(remote_name) != remote_name
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
    fn long_names_are_cut_to_fit_keeping_the_extension() {
        // 100 CJK characters: 300 bytes in UTF-8, over ext4's 255-byte limit.
        let long = format!("{}.mkv", "数".repeat(100));
        let short = sanitize_component(&long);
        assert!(short.len() <= MAX_LOCAL_NAME_BYTES, "{} bytes", short.len());
        assert!(short.ends_with(".mkv"), "{short}");
        assert!(short.starts_with("数数数"), "{short}");
        // Its part file fits too.
        assert!(short.len() + ".part".len() <= 255);
        // Stable: the same name always maps to the same local name.
        assert_eq!(sanitize_component(&long), short);
        assert!(local_name_differs(&long));
    }

    #[test]
    fn long_names_sharing_a_prefix_do_not_collide() {
        let a = format!("{}-a.txt", "x".repeat(300));
        let b = format!("{}-b.txt", "x".repeat(300));
        assert_ne!(sanitize_component(&a), sanitize_component(&b));
        assert_eq!(sanitize_component(&a).len(), MAX_LOCAL_NAME_BYTES);
    }

    #[test]
    fn names_that_fit_are_left_alone() {
        let fits = format!("{}.txt", "é".repeat(118)); // 236 + 4 = 240 bytes
        assert_eq!(sanitize_component(&fits), fits);
        assert!(!local_name_differs(&fits));
        // A long "extension" is not kept whole: the name is cut instead.
        let odd = format!("a.{}", "z".repeat(400));
        let short = sanitize_component(&odd);
        assert!(short.len() <= MAX_LOCAL_NAME_BYTES);
        assert!(short.starts_with("a.zzz"), "{short}");
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
