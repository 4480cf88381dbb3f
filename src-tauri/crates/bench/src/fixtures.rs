//! Local input files: one large file (and its chunks for curl) and many small ones, written
//! once before anything is timed.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Deterministic incompressible-looking bytes (SplitMix64), fast enough for a GiB.
fn fill(buf: &mut [u8], state: &mut u64) {
    for word in buf.chunks_mut(8) {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        word.copy_from_slice(&z.to_le_bytes()[..word.len()]);
    }
}

/// Writes `size` bytes to `path`, and the same bytes split into `chunk`-sized files under
/// `chunks_dir` (what curl posts). Returns the chunk files in order.
pub fn large_file(
    path: &Path,
    size: u64,
    chunk: u64,
    chunks_dir: &Path,
) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(chunks_dir)?;
    let mut whole = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x00C1_0DDE;
    let mut chunks = Vec::new();
    let mut left = size;
    let mut buf = vec![0u8; chunk as usize];
    while left > 0 {
        let n = left.min(chunk) as usize;
        fill(&mut buf[..n], &mut state);
        whole.write_all(&buf[..n])?;
        let f = chunks_dir.join(format!("chunk-{:05}", chunks.len()));
        std::fs::write(&f, &buf[..n])?;
        chunks.push(f);
        left -= n as u64;
    }
    whole.flush()?;
    Ok(chunks)
}

/// `count` files of `size` bytes named `f00001.bin`… in `dir`, returned in name order.
pub fn small_files(dir: &Path, count: usize, size: usize) -> anyhow::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut state = 7;
    let mut buf = vec![0u8; size];
    let mut out = Vec::with_capacity(count);
    for i in 1..=count {
        fill(&mut buf, &mut state);
        let f = dir.join(format!("f{i:05}.bin"));
        std::fs::write(&f, &buf)?;
        out.push(f);
    }
    Ok(out)
}
