//! Serde shapes of the v4 API (snake_case JSON) and their conversion to the neutral model.

use chrono::{DateTime, Datelike, Utc};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::provider::model::*;
use crate::session::TokenSet;

use super::uri::CloudreveUri;

/// Parse an RFC 3339 server time; Go's zero time means "unknown".
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .filter(|t| t.year() > 1)
}

fn opt_time(s: &Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(parse_time)
}

/// `FileResponse`.
#[derive(Clone, Debug, Deserialize)]
pub struct FileWire {
    #[serde(rename = "type", default)]
    pub kind: i64,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub size: i64,
    #[serde(default)]
    pub metadata: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub path: String,
}

impl FileWire {
    /// Convert to an `Entry`.
    pub fn into_entry(self) -> Entry {
        let meta = self.metadata.unwrap_or_default();
        let uploading = meta.contains_key("sys:upload_session_id");
        let original_location = meta
            .get("sys:restore_uri")
            .map(|u| RemoteRef::new(u.clone()));
        let mut name = self.name;
        if name.is_empty()
            && let Ok(u) = CloudreveUri::parse(&self.path)
        {
            name = u.name().to_string();
        }
        Entry {
            remote: RemoteRef::new(self.path),
            name,
            kind: if self.kind == 1 {
                EntryKind::Folder
            } else {
                EntryKind::File
            },
            size: self.size.max(0) as u64,
            created_at: opt_time(&self.created_at),
            updated_at: opt_time(&self.updated_at),
            uploading,
            id: Some(self.id).filter(|s| !s.is_empty()),
            original_location,
        }
    }
}

/// `Pagination`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PaginationWire {
    #[serde(default)]
    pub next_token: Option<String>,
}

/// `StoragePolicy` as shown to users.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PolicyWire {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub relay: bool,
    #[serde(default)]
    pub chunk_concurrency: Option<u32>,
    #[serde(default)]
    pub encryption: bool,
    #[serde(default)]
    pub max_size: i64,
}

/// `ListResponse`.
#[derive(Clone, Debug, Deserialize)]
pub struct ListWire {
    #[serde(default)]
    pub files: Vec<FileWire>,
    #[serde(default)]
    pub pagination: PaginationWire,
    #[serde(default)]
    pub storage_policy: Option<PolicyWire>,
    #[serde(default)]
    pub parent: Option<FileWire>,
    /// A search stopped at the server's folder budget (`max_recursive_searched_folder`).
    #[serde(default)]
    pub recursion_limit_reached: bool,
}

/// Token pair as the server sends it.
#[derive(Clone, Deserialize)]
pub struct TokenWire {
    pub access_token: String,
    pub refresh_token: String,
    pub access_expires: String,
    pub refresh_expires: String,
}

impl TokenWire {
    /// Convert, stamping the receive time.
    pub fn into_tokens(self) -> Option<TokenSet> {
        Some(TokenSet {
            access_expires: parse_time(&self.access_expires)?,
            refresh_expires: parse_time(&self.refresh_expires)?,
            access_token: self.access_token,
            refresh_token: self.refresh_token,
            obtained_at: Utc::now(),
        })
    }
}

/// User group.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct GroupWire {
    #[serde(default)]
    pub name: String,
}

/// `User`.
#[derive(Clone, Debug, Deserialize)]
pub struct UserWire {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub nickname: String,
    #[serde(default)]
    pub group: Option<GroupWire>,
}

impl UserWire {
    /// Convert to `UserInfo`.
    pub fn into_user(self) -> UserInfo {
        UserInfo {
            id: self.id,
            email: self.email,
            nickname: self.nickname,
            group: self.group.map(|g| g.name),
        }
    }
}

/// Sign-in success payload.
#[derive(Clone, Deserialize)]
pub struct LoginWire {
    pub user: UserWire,
    pub token: TokenWire,
}

/// `GET /user/capacity`.
#[derive(Clone, Debug, Deserialize)]
pub struct CapacityWire {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub used: i64,
}

/// `encrypt_metadata` of an upload session.
#[derive(Clone, Deserialize)]
pub struct EncryptMetaWire {
    #[serde(default)]
    pub algorithm: String,
    #[serde(default)]
    pub key_plain_text: Option<String>,
    #[serde(default)]
    pub iv: Option<String>,
}

/// `UploadSessionResponse`.
#[derive(Clone, Deserialize)]
pub struct UploadSessionWire {
    pub session_id: String,
    #[serde(default)]
    pub upload_id: String,
    #[serde(default)]
    pub chunk_size: u64,
    #[serde(default)]
    pub expires: i64,
    #[serde(default)]
    pub upload_urls: Option<Vec<String>>,
    #[serde(default)]
    pub credential: Option<String>,
    #[serde(default, rename = "completeURL")]
    pub complete_url: Option<String>,
    #[serde(default)]
    pub storage_policy: Option<PolicyWire>,
    #[serde(default)]
    pub uri: String,
    #[serde(default)]
    pub callback_secret: String,
    #[serde(default)]
    pub encrypt_metadata: Option<EncryptMetaWire>,
    /// Base64 form-API policy (Upyun).
    #[serde(default)]
    pub upload_policy: Option<String>,
    /// MIME type the storage should record (Qiniu, Upyun).
    #[serde(default)]
    pub mime_type: Option<String>,
}

/// `Share`.
#[derive(Clone, Debug, Deserialize)]
pub struct ShareWire {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub remain_downloads: Option<i64>,
    #[serde(default)]
    pub visited: i64,
    #[serde(default)]
    pub downloaded: i64,
    #[serde(default)]
    pub expires: Option<String>,
    #[serde(default)]
    pub source_type: i64,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub expired: bool,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub source_uri: Option<String>,
}

impl ShareWire {
    /// Convert to `Share`.
    pub fn into_share(self) -> Share {
        Share {
            id: self.id,
            name: self.name,
            url: self.url,
            password: self.password.filter(|p| !p.is_empty()),
            is_folder: self.source_type == 1,
            expires_at: opt_time(&self.expires),
            remaining_downloads: self.remain_downloads,
            views: self.visited.max(0) as u64,
            downloads: self.downloaded.max(0) as u64,
            expired: self.expired,
            created_at: opt_time(&self.created_at),
            source: self.source_uri.map(RemoteRef::new),
        }
    }
}

/// `{shares, pagination}`.
#[derive(Clone, Debug, Deserialize)]
pub struct ShareListWire {
    #[serde(default)]
    pub shares: Vec<ShareWire>,
    #[serde(default)]
    pub pagination: PaginationWire,
}

/// Remote download status inside a task summary.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct DownloadWire {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub state: String,
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub downloaded: i64,
    #[serde(default)]
    pub download_speed: i64,
}

/// Task summary.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SummaryWire {
    #[serde(default)]
    pub phase: Option<String>,
    #[serde(default)]
    pub props: Option<serde_json::Value>,
}

/// `TaskResponse`.
#[derive(Clone, Debug, Deserialize)]
pub struct TaskWire {
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub summary: Option<SummaryWire>,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Milliseconds the task has been executing.
    #[serde(default)]
    pub duration: Option<i64>,
}

impl TaskWire {
    /// Convert to `Task`.
    pub fn into_task(self) -> Task {
        let status = match self.status.as_str() {
            "queued" => TaskStatus::Queued,
            "processing" => TaskStatus::Processing,
            "suspending" => TaskStatus::Suspending,
            "error" => TaskStatus::Error,
            "canceled" | "cancelled" => TaskStatus::Canceled,
            "completed" => TaskStatus::Completed,
            _ => TaskStatus::Unknown,
        };
        let summary = self.summary.unwrap_or_default();
        let props = summary.props.unwrap_or(serde_json::Value::Null);
        // Empty strings count as absent: remote downloads from a URL carry `"src": ""` next to
        // the real source in `src_str`.
        let text = |k: &str| {
            props
                .get(k)
                .and_then(|v| v.as_str())
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let source = text("src").or_else(|| text("src_str")).or_else(|| {
            props
                .get("src_multiple")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
        });
        let download = props
            .get("download")
            .and_then(|d| serde_json::from_value::<DownloadWire>(d.clone()).ok())
            .map(|d| DownloadStatus {
                name: d.name,
                state: d.state,
                total: d.total.max(0) as u64,
                downloaded: d.downloaded.max(0) as u64,
                speed: d.download_speed.max(0) as u64,
            });
        Task {
            id: self.id,
            task_type: self.kind,
            status,
            phase: summary.phase.filter(|p| !p.is_empty()),
            error: self.error.filter(|e| !e.is_empty()),
            created_at: opt_time(&self.created_at),
            updated_at: opt_time(&self.updated_at),
            source,
            destination: text("dst"),
            download,
            duration_ms: self.duration.filter(|d| *d > 0).map(|d| d as u64),
            failed: props
                .get("failed")
                .and_then(|v| v.as_u64())
                .filter(|n| *n > 0),
        }
    }
}

/// `{tasks, pagination}`.
#[derive(Clone, Debug, Deserialize)]
pub struct TaskListWire {
    #[serde(default)]
    pub tasks: Vec<TaskWire>,
    #[serde(default)]
    pub pagination: PaginationWire,
}

/// One progress counter.
#[derive(Clone, Debug, Deserialize)]
pub struct ProgressWire {
    #[serde(default)]
    pub total: i64,
    #[serde(default)]
    pub current: i64,
    #[serde(default)]
    pub identifier: String,
}

/// `POST /file/url` response.
#[derive(Clone, Debug, Deserialize)]
pub struct UrlsWire {
    pub urls: Vec<UrlWire>,
}

/// `GET /file/thumb` response.
#[derive(Clone, Debug, Deserialize)]
pub struct ThumbWire {
    /// Signed content URL of the thumbnail.
    #[serde(default)]
    pub url: String,
}

/// One URL.
#[derive(Clone, Debug, Deserialize)]
pub struct UrlWire {
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listing_decodes_from_captured_json() {
        let json = r#"{"files":[
           {"type":1,"id":"ZkTV","name":"Docs","created_at":"2025-01-02T03:04:05.123456+08:00","updated_at":"2025-01-02T03:04:05+08:00","size":0,"metadata":{},
            "path":"cloudreve://my/Docs","capability":"w8edAQ==","owned":true,"primary_entity":"xxxx"},
           {"type":0,"id":"AbC7","name":"a b.txt","created_at":"0001-01-01T00:00:00Z","updated_at":"2025-06-01T11:00:00.5+08:00","size":5,"metadata":{"sys:upload_session_id":"u"},
            "path":"cloudreve://my/a%20b.txt","capability":"w8edAQ==","owned":true,"primary_entity":"p9Qx"}],
         "parent":{"type":1,"id":"Rt0o","name":"","created_at":"0001-01-01T00:00:00Z","updated_at":"0001-01-01T00:00:00Z","size":0,"metadata":null,"path":"cloudreve://my/"},
         "pagination":{"page":0,"page_size":100,"is_cursor":true,"next_token":"eyJpZCI6Ilp+/="},
         "props":{"capability":"w8edAQ==","max_page_size":2000},
         "context_hint":"3f0b","mixed_type":false,
         "storage_policy":{"id":"Wq1e","name":"Default storage policy","type":"local","max_size":0}}"#;
        let l: ListWire = serde_json::from_str(json).unwrap();
        assert_eq!(l.pagination.next_token.as_deref(), Some("eyJpZCI6Ilp+/="));
        let entries: Vec<Entry> = l.files.into_iter().map(FileWire::into_entry).collect();
        assert_eq!(entries[0].kind, EntryKind::Folder);
        assert_eq!(entries[1].name, "a b.txt");
        assert!(entries[1].uploading);
        assert!(entries[1].created_at.is_none());
        assert_eq!(
            entries[1].updated_at.unwrap().to_rfc3339(),
            "2025-06-01T03:00:00.500+00:00"
        );
        assert_eq!(l.storage_policy.unwrap().kind, "local");
    }

    #[test]
    fn trash_entry_keeps_display_name_and_origin() {
        let f: FileWire = serde_json::from_str(r#"{"type":0,"id":"x","name":"report.pdf","size":3,
            "metadata":{"sys:restore_uri":"cloudreve://my/Docs/report.pdf","sys:expected_collect_time":"1"},
            "path":"cloudreve://trash/7d1c0b0e-uuid"}"#).unwrap();
        let e = f.into_entry();
        assert_eq!(e.name, "report.pdf");
        assert_eq!(
            e.original_location.unwrap().as_str(),
            "cloudreve://my/Docs/report.pdf"
        );
    }

    #[test]
    fn task_decodes() {
        let t: TaskWire = serde_json::from_str(r#"{"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:01Z",
            "id":"T1","status":"processing","type":"remote_download",
            "summary":{"phase":"monitor","props":{"src_str":"https://x/y.iso","dst":"cloudreve://my/dl",
            "download":{"name":"y.iso","state":"downloading","total":100,"downloaded":40,"download_speed":10}}}}"#).unwrap();
        let t = t.into_task();
        assert_eq!(t.status, TaskStatus::Processing);
        assert_eq!(t.source.as_deref(), Some("https://x/y.iso"));
        assert_eq!(t.download.unwrap().downloaded, 40);
        // A URL download also carries an empty `src`; the URL is still the source.
        let t: TaskWire = serde_json::from_str(
            r#"{"id":"T2","status":"queued","type":"remote_download",
            "summary":{"props":{"src":"","src_str":"https://x/z.iso","dst":"cloudreve://my"}}}"#,
        )
        .unwrap();
        assert_eq!(t.into_task().source.as_deref(), Some("https://x/z.iso"));
    }

    #[test]
    fn share_decodes() {
        let s: ShareWire = serde_json::from_str(r#"{"id":"s1","name":"Docs","visited":3,"source_type":1,
            "url":"https://c.example/s/s1","password":"abc","expired":false,"created_at":"2025-01-01T00:00:00Z"}"#).unwrap();
        let s = s.into_share();
        assert!(s.is_folder);
        assert_eq!(s.link_text(), "https://c.example/s/s1\nPassword: abc");
    }
}
