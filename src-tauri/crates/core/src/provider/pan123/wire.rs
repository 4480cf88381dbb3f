//! What 123pan sends, as serde types. Field casing differs per endpoint (`fileId` in the v2
//! list, `fileID` in detail, `parentFileId` vs `parentFileID`), so aliases accept both.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// One file or folder (v2 list, `infos`, `detail`).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileWire {
    /// The id (int64; the root is 0 and never listed).
    #[serde(alias = "fileID")]
    pub file_id: i64,
    /// The name.
    #[serde(default)]
    pub filename: String,
    /// 0 = file, 1 = folder.
    #[serde(rename = "type", default)]
    pub kind: i64,
    /// Bytes (for folders in `detail`: everything inside).
    #[serde(default)]
    pub size: u64,
    /// Lower-case hex MD5 of a file; empty for folders.
    #[serde(default)]
    pub etag: String,
    /// Review status; above 100 the file was blocked by content review.
    #[serde(default)]
    pub status: i64,
    /// The folder it is in (for trashed items: the one it came from).
    #[serde(default, alias = "parentFileID")]
    pub parent_file_id: i64,
    /// Whether it is in the trash (0/1, or a bool in older answers).
    #[serde(default, deserialize_with = "flag")]
    pub trashed: bool,
    /// Creation time, China time without a zone.
    #[serde(default)]
    pub create_at: Option<String>,
    /// Modification time, China time without a zone.
    #[serde(default)]
    pub update_at: Option<String>,
}

impl FileWire {
    /// Whether this is a folder.
    pub fn is_folder(&self) -> bool {
        self.kind == 1
    }
}

/// One page of `GET /api/v2/file/list`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListWire {
    /// Cursor of the next page; -1 on the last one.
    #[serde(default = "end")]
    pub last_file_id: i64,
    /// The items (trashed ones included).
    #[serde(default)]
    pub file_list: Vec<FileWire>,
}

fn end() -> i64 {
    -1
}

/// `POST /api/v1/file/infos`: the documentation's table says `fileList`, its example `list`.
#[derive(Debug, Deserialize)]
pub struct InfosWire {
    /// The items.
    #[serde(default, alias = "fileList")]
    pub list: Vec<FileWire>,
}

/// `POST /upload/v1/file/mkdir`.
#[derive(Debug, Deserialize)]
pub struct MkdirWire {
    /// The new folder.
    #[serde(rename = "dirID", alias = "dirId")]
    pub dir_id: i64,
}

/// `POST /api/v1/file/recover`.
#[derive(Debug, Default, Deserialize)]
pub struct RecoverWire {
    /// Items whose original folder is gone (they stay in the trash).
    #[serde(default, rename = "abnormalFileIDs", alias = "abnormalFileIds")]
    pub abnormal: Vec<i64>,
}

/// `GET /api/v1/file/download_info`.
#[derive(Debug, Deserialize)]
pub struct DownloadInfoWire {
    /// A short-lived CDN URL that honours `Range`.
    #[serde(rename = "downloadUrl", alias = "downloadURL")]
    pub download_url: String,
}

/// `GET /api/v1/user/info`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserWire {
    /// The user id.
    #[serde(default)]
    pub uid: i64,
    /// Display name.
    #[serde(default)]
    pub nickname: String,
    /// Email address, when the user has one.
    #[serde(default)]
    pub mail: String,
    /// Phone number (the login), when shown.
    #[serde(default)]
    pub passport: Value,
    /// Bytes in use.
    #[serde(default)]
    pub space_used: u64,
    /// Permanent space.
    #[serde(default)]
    pub space_permanent: u64,
    /// Temporary extra space.
    #[serde(default)]
    pub space_temp: u64,
    /// Whether the account is VIP.
    #[serde(default, deserialize_with = "flag")]
    pub vip: bool,
}

/// `POST /api/v1/access_token`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenWire {
    /// The bearer token.
    pub access_token: String,
    /// When it expires (RFC 3339 with `+08:00`).
    pub expired_at: String,
}

/// 0/1, "0"/"1" or a bool as a bool.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Bool(b) => b,
        Value::Number(n) => n.as_i64().unwrap_or(0) != 0,
        Value::String(s) => s == "1" || s.eq_ignore_ascii_case("true"),
        _ => false,
    })
}

/// A 123pan time: `2025-02-24 17:57:01` in China time (UTC+8), or RFC 3339.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok()?;
    let cst = FixedOffset::east_opt(8 * 3600)?;
    cst.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_decode_with_either_casing() {
        let a: FileWire = serde_json::from_value(json!({
            "fileId": 7, "filename": "a.txt", "type": 0, "size": 5, "etag": "abc",
            "parentFileId": 0, "trashed": 1, "createAt": "2025-02-24 17:57:01"
        }))
        .unwrap();
        assert!(a.trashed && !a.is_folder());
        let b: FileWire = serde_json::from_value(json!({
            "fileID": 8, "filename": "d", "type": 1, "parentFileID": 7, "trashed": false
        }))
        .unwrap();
        assert_eq!((b.file_id, b.parent_file_id, b.is_folder()), (8, 7, true));
        let i: InfosWire = serde_json::from_value(json!({"fileList": [{"fileId": 1}]})).unwrap();
        assert_eq!(i.list.len(), 1);
    }

    #[test]
    fn china_time_is_converted_to_utc() {
        let t = parse_time("2025-02-24 17:57:01").unwrap();
        assert_eq!(t.to_rfc3339(), "2025-02-24T09:57:01+00:00");
        let r = parse_time("2025-03-23T15:48:37+08:00").unwrap();
        assert_eq!(r.to_rfc3339(), "2025-03-23T07:48:37+00:00");
    }
}
