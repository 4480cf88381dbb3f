//! `GET /file/thumb/:id`: Cloudreve 3 answers with the thumbnail itself (or a redirect to it
//! on other storage policies); a file without one gets the envelope code -1.

use crate::error::{Error, Result};
use crate::provider::model::{EntryKind, RemoteRef};

use super::CloudreveV3;
use super::api::Fetched;
use super::codes::code_error;
use super::refs::V3Ref;

/// A thumbnail bigger than this is not a thumbnail; refuse rather than buffer it.
const MAX_THUMB_BYTES: usize = 8 << 20;
/// "Failed to get thumbnail" (`CodeNotSet`): unsupported type, generation failed, disabled.
const CODE_NO_THUMB: i64 = -1;

impl CloudreveV3 {
    pub(super) async fn thumbnail_impl(&self, file: &RemoteRef) -> Result<Option<Vec<u8>>> {
        let r = V3Ref::parse(file)?;
        let (kind, id) = self.identify(&r).await?;
        if kind != EntryKind::File {
            return Ok(None);
        }
        match self
            .api
            .fetch_content(&format!("file/thumb/{id}"), MAX_THUMB_BYTES)
            .await
        {
            Ok(Fetched::Content(bytes)) if !bytes.is_empty() => Ok(Some(bytes)),
            Ok(Fetched::Content(_)) => Ok(None),
            Ok(Fetched::Envelope(env)) if env.code == CODE_NO_THUMB => Ok(None),
            Ok(Fetched::Envelope(env)) if env.code != 0 => Err(code_error(env.code, &env.msg)),
            Ok(Fetched::Envelope(_)) => Err(Error::protocol(
                "The server answered a thumbnail request with an empty envelope.",
            )),
            Err(e) => Err(e),
        }
    }
}
