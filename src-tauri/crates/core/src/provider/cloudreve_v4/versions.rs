//! File versions: a file's entities of type 0 (`GET /file/info?extended=true`), switched with
//! `POST /file/version/current` and deleted with `DELETE /file/version`.

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, Result};
use crate::provider::model::{FileVersion, RemoteRef};

use super::CloudreveV4;
use super::api::Body;
use super::wire::parse_time;

/// Entity type of a stored version (1 = thumbnail, 2 = live photo).
const ENTITY_VERSION: i64 = 0;
/// `type` of a folder in `GET /file/info`.
const FOLDER: i64 = 1;

#[derive(Deserialize)]
struct InfoWire {
    /// 0 = file, 1 = folder.
    #[serde(rename = "type", default)]
    kind: i64,
    #[serde(default)]
    primary_entity: String,
    #[serde(default)]
    extended_info: Option<ExtendedWire>,
}

#[derive(Deserialize)]
struct ExtendedWire {
    #[serde(default)]
    entities: Option<Vec<EntityWire>>,
}

#[derive(Deserialize)]
struct EntityWire {
    id: String,
    #[serde(default)]
    size: i64,
    #[serde(rename = "type", default)]
    kind: i64,
    #[serde(default)]
    created_at: Option<String>,
}

impl CloudreveV4 {
    pub(super) async fn list_versions_impl(&self, file: &RemoteRef) -> Result<Vec<FileVersion>> {
        let info: InfoWire = self
            .api
            .call(
                Method::GET,
                "file/info",
                &[
                    ("uri", file.as_str().to_string()),
                    ("extended", "true".to_string()),
                ],
                Body::None,
            )
            .await?;
        if info.kind == FOLDER {
            return Err(Error::invalid("Folders have no versions; choose a file."));
        }
        let entities = info
            .extended_info
            .ok_or_else(|| Error::protocol("The server sent no extended info."))?
            .entities
            .unwrap_or_default();
        let mut out: Vec<FileVersion> = entities
            .into_iter()
            .filter(|e| e.kind == ENTITY_VERSION)
            .map(|e| FileVersion {
                current: e.id == info.primary_entity,
                size: e.size.max(0) as u64,
                created_at: e.created_at.as_deref().and_then(parse_time),
                id: e.id,
            })
            .collect();
        // The server sends them by id descending; make "newest first" explicit by time.
        out.sort_by_key(|v| std::cmp::Reverse(v.created_at));
        Ok(out)
    }

    pub(super) async fn set_current_version_impl(
        &self,
        file: &RemoteRef,
        version: &str,
    ) -> Result<()> {
        let body = json!({ "uri": file.as_str(), "version": version });
        self.api
            .call_unit(Method::POST, "file/version/current", &[], Body::Json(body))
            .await
    }

    pub(super) async fn delete_version_impl(&self, file: &RemoteRef, version: &str) -> Result<()> {
        let body = json!({ "uri": file.as_str(), "version": version });
        match self
            .api
            .call_unit(Method::DELETE, "file/version", &[], Body::Json(body))
            .await
        {
            // Cloudreve refuses the primary entity with a bare 403 ("Cannot delete current
            // version"); say it in the user's terms.
            Err(e) if e.server_code() == Some(403) => Err(Error::invalid(
                "This is the file's current version and cannot be deleted; make another version current first.",
            )
            .with_server_code(403)),
            other => other,
        }
    }
}
