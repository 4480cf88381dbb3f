//! Local storage policy (and relay policies): chunks are POSTed to Cloudreve itself with the
//! exact `Content-Length`; the request carrying the last missing chunk completes the file.

use reqwest::Method;

use crate::error::Result;
use crate::provider::upload_types::{ChunkData, UploadSession};

use super::super::CloudreveV4;
use super::super::api::Body;

/// `POST /file/upload/{session}/{index}`. No overall timeout: large chunks on slow links
/// take long; the client's read timeout still catches a stalled server.
pub(super) async fn upload_chunk(
    p: &CloudreveV4,
    s: &UploadSession,
    index: u64,
    data: ChunkData,
) -> Result<()> {
    let path = format!("file/upload/{}/{index}", s.id);
    p.api
        .envelope(Method::POST, &path, &[], Body::Data(data), None)
        .await?
        .into_data()
        .map(|_| ())
}
