//! AES-256-CTR keyed by a 32-byte key and a 16-byte initial counter block (the "IV").
//!
//! The counter is the IV read as a 128-bit big-endian integer, incremented once per 16-byte
//! block with carry through all 16 bytes (Go `cipher.NewCTR`, WebCrypto `length: 128`).
//! Because the keystream for byte `n` depends only on `n`, every chunk can be encrypted on its
//! own, in any order, and a resumed upload can pick up mid-file.

use aes::Aes256;
use ctr::cipher::{KeyIvInit, StreamCipher};

type Aes256Ctr128 = ctr::Ctr128BE<Aes256>;

const BLOCK: u64 = 16;

/// Key material for one encrypted upload: never persisted outside the upload session record.
#[derive(Clone, PartialEq, Eq)]
pub struct AesCtrKey {
    key: [u8; 32],
    iv: [u8; 16],
}

impl std::fmt::Debug for AesCtrKey {
    // Keys must not end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AesCtrKey(..)")
    }
}

/// The counter block and the number of keystream bytes to discard for a plaintext offset.
pub fn counter_at_offset(iv: &[u8; 16], offset: u64) -> ([u8; 16], usize) {
    let counter = u128::from_be_bytes(*iv).wrapping_add(u128::from(offset / BLOCK));
    (counter.to_be_bytes(), (offset % BLOCK) as usize)
}

impl AesCtrKey {
    /// Key material as returned by the server's upload session.
    pub fn new(key: [u8; 32], iv: [u8; 16]) -> Self {
        Self { key, iv }
    }

    /// Encrypts (or decrypts: CTR is symmetric) `buf` in place, `buf[0]` being the byte at
    /// absolute file offset `offset`.
    pub fn apply_at(&self, offset: u64, buf: &mut [u8]) {
        self.stream_from(offset).apply(buf);
    }

    /// A streaming encryptor positioned at absolute file offset `offset`.
    pub fn stream_from(&self, offset: u64) -> CtrStream {
        let (counter, skip) = counter_at_offset(&self.iv, offset);
        let mut cipher = Aes256Ctr128::new((&self.key).into(), (&counter).into());
        if skip > 0 {
            // Burn the part of the first block that lies before `offset`.
            let mut discard = [0u8; BLOCK as usize];
            cipher.apply_keystream(&mut discard[..skip]);
        }
        CtrStream {
            cipher,
            position: offset,
        }
    }
}

/// Encrypts consecutive pieces of a file; each `apply` continues where the last stopped.
pub struct CtrStream {
    cipher: Aes256Ctr128,
    position: u64,
}

impl CtrStream {
    /// Transforms the next `buf.len()` bytes of the stream in place.
    pub fn apply(&mut self, buf: &mut [u8]) {
        self.cipher.apply_keystream(buf);
        self.position += buf.len() as u64;
    }

    /// Absolute file offset of the next byte this stream will transform.
    pub fn position(&self) -> u64 {
        self.position
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn sample(len: usize) -> Vec<u8> {
        // Deterministic, non-repeating-looking content.
        (0..len).map(|i| (i * 131 + i / 7) as u8).collect()
    }

    fn key() -> AesCtrKey {
        let mut k = [0u8; 32];
        for (i, b) in k.iter_mut().enumerate() {
            *b = i as u8 ^ 0x5a;
        }
        AesCtrKey::new(k, [0x11; 16])
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Encrypts with the `openssl` CLI, an implementation independent of the `aes`/`ctr` crates.
    fn openssl_ctr(key: &[u8; 32], iv: &[u8; 16], plain: &[u8]) -> Option<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        let output = dir.path().join("out");
        std::fs::write(&input, plain).unwrap();
        let status = Command::new("openssl")
            .args([
                "enc",
                "-aes-256-ctr",
                "-K",
                &hex(key),
                "-iv",
                &hex(iv),
                "-in",
            ])
            .arg(&input)
            .arg("-out")
            .arg(&output)
            .status();
        match status {
            Ok(s) if s.success() => Some(std::fs::read(&output).unwrap()),
            Ok(s) => panic!("openssl failed: {s}"),
            Err(e) => {
                eprintln!("skipping openssl cross-check: openssl not runnable ({e})");
                None
            }
        }
    }

    #[test]
    fn counter_adds_block_index_with_carry() {
        let iv = [0xff; 16];
        assert_eq!(counter_at_offset(&iv, 0), ([0xff; 16], 0));
        // One block past 2^128-1 wraps to zero.
        assert_eq!(counter_at_offset(&iv, 16), ([0; 16], 0));
        let mut iv2 = [0u8; 16];
        iv2[15] = 0xff;
        iv2[14] = 0xff;
        let (c, skip) = counter_at_offset(&iv2, 16 * 2 + 5);
        let mut expected = [0u8; 16];
        expected[13] = 1;
        expected[15] = 1;
        assert_eq!((c, skip), (expected, 5));
    }

    #[test]
    fn matches_nist_sp800_38a_f5_5() {
        // NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt, first two blocks.
        let key: [u8; 32] =
            decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv: [u8; 16] = decode("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let mut data: Vec<u8> =
            decode::<32>("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51")
                .to_vec();
        AesCtrKey::new(key, iv).apply_at(0, &mut data);
        assert_eq!(
            hex(&data),
            "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
        );
    }

    fn decode<const N: usize>(s: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[i * 2..i * 2 + 2], 16).unwrap();
        }
        out
    }

    #[test]
    fn chunks_at_odd_offsets_equal_whole_stream() {
        let k = key();
        let plain = sample(1000);
        let mut whole = plain.clone();
        k.apply_at(0, &mut whole);
        for cuts in [vec![1, 17, 333, 999], vec![15, 16, 32, 47], vec![7]] {
            let mut pieces = plain.clone();
            let mut start = 0usize;
            for &end in cuts.iter().chain(std::iter::once(&plain.len())) {
                k.apply_at(start as u64, &mut pieces[start..end]);
                start = end;
            }
            assert_eq!(pieces, whole, "cuts {cuts:?}");
        }
        // The streaming encryptor fed odd-sized pieces gives the same bytes.
        let mut streamed = plain.clone();
        let mut s = k.stream_from(0);
        for piece in streamed.chunks_mut(13) {
            s.apply(piece);
        }
        assert_eq!(s.position(), 1000);
        assert_eq!(streamed, whole);
        // Decrypting is the same operation.
        k.apply_at(0, &mut streamed);
        assert_eq!(streamed, plain);
    }

    #[test]
    fn agrees_with_openssl_including_counter_carry() {
        let k = [7u8; 32];
        let mut near_max = [0xff; 16];
        near_max[15] = 0xfd; // wraps to zero after three blocks
        let mut carry_mid = [0u8; 16];
        carry_mid[8..].copy_from_slice(&[0xff; 8]); // carry from the low into the high half
        for iv in [[0u8; 16], near_max, carry_mid, [0xab; 16]] {
            let plain = sample(16 * 9 + 5);
            let Some(expected) = openssl_ctr(&k, &iv, &plain) else {
                return;
            };
            let key = AesCtrKey::new(k, iv);
            let mut whole = plain.clone();
            key.apply_at(0, &mut whole);
            assert_eq!(whole, expected, "iv {}", hex(&iv));
            // Encrypting from an odd offset lands on the same ciphertext bytes.
            let mut tail = plain[37..].to_vec();
            key.apply_at(37, &mut tail);
            assert_eq!(tail, expected[37..], "iv {}", hex(&iv));
        }
    }

    #[test]
    fn debug_hides_key() {
        assert_eq!(format!("{:?}", key()), "AesCtrKey(..)");
    }
}
