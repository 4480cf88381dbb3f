//! Remote (slave node) policy: chunks go straight to the node's upload URL, authorised by
//! the session credential. Never send our bearer token or any `X-Cr-*` header there (the
//! node signs those headers and would reject the request).

use crate::error::{Error, Result};
use crate::provider::upload_types::ChunkData;

use super::UploadHost;
use super::{PolicyState, Reply, send};
use crate::provider::cloudreve_v4::envelope::Envelope;

/// `POST {upload_urls[0]}?chunk={index}` with `Authorization: {credential}`.
pub(crate) async fn upload_chunk(
    p: &dyn UploadHost,
    s: &PolicyState,
    index: u64,
    data: ChunkData,
) -> Result<()> {
    let base = s
        .upload_urls
        .first()
        .ok_or_else(|| Error::protocol("The upload session has no upload URL."))?;
    let mut url =
        url::Url::parse(base).map_err(|e| Error::protocol(format!("Invalid upload URL: {e}")))?;
    url.query_pairs_mut()
        .append_pair("chunk", &index.to_string());
    let mut req = p
        .http()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .header(reqwest::header::CONTENT_LENGTH, data.len())
        .body(data.body());
    if let Some(c) = &s.credential {
        req = req.header(reqwest::header::AUTHORIZATION, c);
    }
    let Reply { status, wait, body } = send(req).await?;
    let status = status.as_u16();
    Envelope::decode(status, &body)
        .and_then(Envelope::into_data)
        .map(|_| ())
        .map_err(|e| e.with_retry_after(wait))
}
