//! Uploads to 123pan (V2 create with the MD5 → instant upload, or slices on an upload host,
//! then `upload_complete`). Stubs until the upload path lands.

use crate::error::{Error, Result};
use crate::provider::*;

use super::Pan123;

/// Starts an upload.
pub async fn begin(_p: &Pan123, _req: &UploadRequest) -> Result<UploadSession> {
    Err(Error::unsupported("uploads to 123pan yet"))
}

/// Sends one slice.
pub async fn chunk(
    _p: &Pan123,
    _session: &UploadSession,
    _index: u64,
    _data: ChunkData,
) -> Result<ChunkReceipt> {
    Err(Error::unsupported("uploads to 123pan yet"))
}

/// Completes an upload.
pub async fn finish(
    _p: &Pan123,
    _session: &UploadSession,
    _receipts: &ChunkReceipts,
) -> Result<Entry> {
    Err(Error::unsupported("uploads to 123pan yet"))
}

/// Abandons an upload.
pub async fn cancel(_p: &Pan123, _session: &UploadSession) -> Result<()> {
    Err(Error::unsupported("uploads to 123pan yet"))
}
