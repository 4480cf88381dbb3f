//! Shared helpers for the cross-crate integration tests and the reliability suite: the
//! soak switch, the `cirrus` binary, seeded input files, hashing and a byte-counting TCP tap.

pub mod hostile;
pub mod tap;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

/// `CIRRUS_SOAK=1` (`make soak`) selects the long variants of the reliability tests.
pub fn soak() -> bool {
    std::env::var("CIRRUS_SOAK").is_ok_and(|v| v == "1")
}

/// Picks the quick or the soak value.
pub fn scale<T>(quick: T, soak_value: T) -> T {
    if soak() { soak_value } else { quick }
}

/// The debug `cirrus` binary, built on demand (a test crate cannot depend on a binary, and
/// `cargo build` is a no-op when it is fresh).
pub fn cli_bin() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "--quiet", "-p", "cirrus-cli", "--bin", "cirrus"])
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .expect("running cargo build");
    assert!(status.success(), "building the cirrus binary failed");
    target.join("debug/cirrus")
}

/// Deterministic pseudo-random bytes (SplitMix64) of `size`, written to `path`.
pub fn seeded_file(path: &Path, size: u64, seed: u64) -> std::io::Result<()> {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = seed;
    let mut left = size;
    let mut buf = vec![0u8; 1 << 16];
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        for word in buf[..n].chunks_mut(8) {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            word.copy_from_slice(&z.to_le_bytes()[..word.len()]);
        }
        f.write_all(&buf[..n])?;
        left -= n as u64;
    }
    f.flush()
}

/// SHA-256 hex of a file.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = std::fs::File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// Every file below `dir` (recursively), sorted.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
