//! The "checking" pass of an upload: the whole file's MD5 in one streaming read, for servers
//! that want the content hash before an upload starts (and complete it at once when they
//! already hold the content).

use super::item::Fingerprint;
use crate::error::{Error, ErrorKind, Result};
use crate::provider::upload_types::local_changed;
use md5::Digest;
use std::io::Read;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// Bytes read per call: large reads keep the system-call count low, and one buffer of this
/// size is all the memory a hash pass holds.
pub const HASH_BLOCK: usize = 4 << 20;

/// Lower-case hex of a digest.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Lower-case hex MD5 of `data`.
pub fn md5_hex(data: &[u8]) -> String {
    hex(&md5::Md5::digest(data))
}

/// One read of the reader thread.
enum Block {
    /// `n` bytes at the start of the buffer.
    Data(Vec<u8>, usize),
    /// End of file.
    End,
    /// The read failed.
    Failed(std::io::Error),
}

/// Hashes the file at `path`, which must keep fingerprint `fp` throughout (otherwise the
/// "local file changed" error). `progress` is told the bytes hashed so far after each block;
/// `cancel` stops the pass between blocks. Blocking: run it on the blocking pool.
///
/// A second thread reads the next block while this one hashes the last, so the pass runs at
/// the speed of MD5 alone (reading from the page cache is several times faster, from a disk
/// it is the disk's speed either way).
pub fn md5_file_blocking(
    path: &Path,
    fp: Fingerprint,
    cancel: &CancellationToken,
    progress: &mut dyn FnMut(u64),
) -> Result<String> {
    let f = std::fs::File::open(path)
        .map_err(|e| Error::io(format!("Cannot open {}: {e}", path.display())))?;
    if Fingerprint::of(&f.metadata()?) != fp {
        return Err(local_changed(path));
    }
    let block = HASH_BLOCK.min(fp.size.max(1) as usize);
    let mut hasher = md5::Md5::new();
    let mut done = 0u64;
    std::thread::scope(|s| -> Result<()> {
        let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<Block>(1);
        // Two buffers go round: one being hashed, one being filled.
        let (free_tx, free_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
        for _ in 0..2 {
            free_tx
                .send(vec![0u8; block])
                .expect("room for two buffers");
        }
        let file = &f;
        s.spawn(move || {
            let mut reader = file;
            // Ends when the hashing side is gone (its channel ends drop) or the file ends.
            while let Ok(mut buf) = free_rx.recv() {
                let read = loop {
                    match reader.read(&mut buf) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        r => break r,
                    }
                };
                let msg = match read {
                    Ok(0) => Block::End,
                    Ok(n) => Block::Data(buf, n),
                    Err(e) => Block::Failed(e),
                };
                let last = !matches!(msg, Block::Data(..));
                if full_tx.send(msg).is_err() || last {
                    break;
                }
            }
        });
        loop {
            if cancel.is_cancelled() {
                return Err(Error::new(ErrorKind::Cancelled));
            }
            match full_rx.recv() {
                Ok(Block::Data(buf, n)) => {
                    hasher.update(&buf[..n]);
                    done += n as u64;
                    progress(done);
                    let _ = free_tx.send(buf);
                }
                Ok(Block::End) | Err(_) => return Ok(()),
                Ok(Block::Failed(e)) => {
                    return Err(Error::io(format!("Cannot read {}: {e}", path.display())));
                }
            }
        }
    })?;
    // A file that grew, shrank or was rewritten while it was read has no single hash.
    if done != fp.size || Fingerprint::of(&f.metadata()?) != fp {
        return Err(local_changed(path));
    }
    Ok(hex(&hasher.finalize()))
}

/// [`md5_file_blocking`] on the blocking pool; `progress` runs there too.
pub async fn md5_file(
    path: PathBuf,
    fp: Fingerprint,
    cancel: CancellationToken,
    mut progress: impl FnMut(u64) + Send + 'static,
) -> Result<String> {
    tokio::task::spawn_blocking(move || md5_file_blocking(&path, fp, &cancel, &mut progress))
        .await
        .map_err(|e| Error::io(format!("Hashing task failed: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::upload_types::is_local_change;

    fn fp(path: &Path) -> Fingerprint {
        Fingerprint::of(&std::fs::metadata(path).unwrap())
    }

    #[tokio::test]
    async fn hashes_match_known_values_and_report_progress_per_block() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, b"").unwrap();
        let md5 = md5_file(empty.clone(), fp(&empty), CancellationToken::new(), |_| {})
            .await
            .unwrap();
        assert_eq!(md5, "d41d8cd98f00b204e9800998ecf8427e");

        let big = dir.path().join("big");
        let data: Vec<u8> = (0..HASH_BLOCK * 2 + 5).map(|i| (i % 251) as u8).collect();
        std::fs::write(&big, &data).unwrap();
        let seen = std::sync::Arc::new(std::sync::Mutex::new(vec![]));
        let s = seen.clone();
        let md5 = md5_file(big.clone(), fp(&big), CancellationToken::new(), move |n| {
            s.lock().unwrap().push(n)
        })
        .await
        .unwrap();
        assert_eq!(md5, md5_hex(&data));
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.last().copied(), Some(data.len() as u64));
        assert!(seen.len() >= 3, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] < w[1]));
    }

    #[tokio::test]
    async fn a_file_that_changed_is_a_local_change_and_cancel_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, vec![7u8; 1000]).unwrap();
        let old = fp(&path);
        std::fs::write(&path, vec![7u8; 1001]).unwrap();
        let e = md5_file(path.clone(), old, CancellationToken::new(), |_| {})
            .await
            .unwrap_err();
        assert!(is_local_change(&e), "{e}");

        let cancel = CancellationToken::new();
        cancel.cancel();
        let e = md5_file(path.clone(), fp(&path), cancel, |_| {})
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Cancelled);
    }
}
