//! Client-side encryption used by uploads to encrypting storage policies.
//!
//! Cloudreve v4 asks the client to encrypt file bytes with AES-256-CTR before sending them
//! (protocol §8.8). Downloads are always decrypted by the server, so only encryption lives here.

mod aes_ctr;

pub use aes_ctr::{AesCtrKey, CtrStream, counter_at_offset};
