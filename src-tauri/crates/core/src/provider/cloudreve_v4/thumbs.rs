//! `GET /file/thumb`: a signed URL of the file's thumbnail, which is then fetched. 40077 is
//! Cloudreve's "no thumbnail for this file" (it also marks the file `thumb:disabled`).

use reqwest::Method;

use crate::error::{Error, ErrorKind, Result};
use crate::net::{CONTROL_TIMEOUT, from_reqwest};
use crate::provider::model::RemoteRef;

use super::CloudreveV4;
use super::api::Body;
use super::wire::ThumbWire;

/// A thumbnail bigger than this is not a thumbnail; refuse rather than buffer it.
const MAX_THUMB_BYTES: usize = 8 << 20;

impl CloudreveV4 {
    pub(super) async fn thumbnail_impl(&self, file: &RemoteRef) -> Result<Option<Vec<u8>>> {
        let query = [("uri", file.as_str().to_string())];
        let wire: ThumbWire = match self
            .api
            .call(Method::GET, "file/thumb", &query, Body::None)
            .await
        {
            Ok(w) => w,
            Err(e) if e.server_code() == Some(40077) => return Ok(None),
            Err(e) => return Err(e),
        };
        if wire.url.is_empty() {
            return Ok(None);
        }
        let url = self
            .server
            .join(&wire.url)
            .map_err(|_| Error::protocol("The server returned an invalid thumbnail URL."))?;
        // The URL is signed; nothing else (no token) goes with it.
        let resp = self
            .api
            .http()
            .get(url)
            .timeout(CONTROL_TIMEOUT)
            .send()
            .await
            .map_err(|e| from_reqwest(&e))?;
        if resp.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            return Err(Error::with_message(
                ErrorKind::Server,
                format!(
                    "The thumbnail could not be fetched (HTTP {}).",
                    resp.status()
                ),
            ));
        }
        if resp
            .content_length()
            .is_some_and(|n| n as usize > MAX_THUMB_BYTES)
        {
            return Ok(None);
        }
        let bytes = resp.bytes().await.map_err(|e| from_reqwest(&e))?;
        if bytes.len() > MAX_THUMB_BYTES {
            return Ok(None);
        }
        Ok(Some(bytes.to_vec()))
    }
}
