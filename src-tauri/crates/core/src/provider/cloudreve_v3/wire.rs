//! Serde shapes of Cloudreve 3's answers (v3 mixes snake_case and camelCase).

use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::provider::model::UserInfo;

/// `GET /directory{path}`.
#[derive(Debug, Deserialize)]
pub struct ObjectListWire {
    /// Hashid of the listed folder (unused; search answers put a number here).
    #[serde(default)]
    pub parent: Option<serde_json::Value>,
    /// Files and folders.
    #[serde(default)]
    pub objects: Vec<ObjectWire>,
    /// The user's storage policy (needed to create upload sessions).
    #[serde(default)]
    pub policy: Option<PolicySummaryWire>,
}

/// One file or folder of a listing.
#[derive(Debug, Deserialize)]
pub struct ObjectWire {
    /// File or folder hashid (separate namespaces).
    pub id: String,
    /// Name.
    pub name: String,
    /// Path of the folder it is in.
    #[serde(default)]
    pub path: String,
    /// Bytes.
    #[serde(default)]
    pub size: u64,
    /// `dir` or `file`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Modification time.
    #[serde(default)]
    pub date: Option<DateTime<Utc>>,
    /// Creation time.
    #[serde(default)]
    pub create_date: Option<DateTime<Utc>>,
}

/// The storage policy summary of a listing.
#[derive(Clone, Debug, Deserialize)]
pub struct PolicySummaryWire {
    /// Policy hashid.
    pub id: String,
    /// Policy type (`local`, `remote`, `s3`, …).
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Largest file, 0 = no limit.
    #[serde(default)]
    pub max_size: u64,
}

/// The user object of `/user/me`, login and 2FA.
#[derive(Debug, Deserialize)]
pub struct UserWire {
    /// User hashid.
    #[serde(default)]
    pub id: String,
    /// Email.
    #[serde(default)]
    pub user_name: String,
    /// Display name.
    #[serde(default)]
    pub nickname: String,
    /// Group.
    #[serde(default)]
    pub group: Option<GroupWire>,
}

/// The user's group.
#[derive(Debug, Deserialize)]
pub struct GroupWire {
    /// Group name.
    #[serde(default)]
    pub name: String,
}

impl UserWire {
    /// The provider-neutral user.
    pub fn into_user(self) -> UserInfo {
        UserInfo {
            id: self.id,
            email: Some(self.user_name).filter(|s| !s.is_empty()),
            nickname: self.nickname,
            group: self.group.map(|g| g.name),
        }
    }
}

/// `GET /user/storage`.
#[derive(Debug, Deserialize)]
pub struct StorageWire {
    /// Bytes used.
    #[serde(default)]
    pub used: u64,
    /// Total bytes.
    #[serde(default)]
    pub total: u64,
}

/// `PUT /file/upload` (camelCase, unlike v4).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UploadCredentialWire {
    /// Session id.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// Bytes per chunk, 0 = one chunk.
    #[serde(default)]
    pub chunk_size: u64,
    /// Unix seconds.
    #[serde(default)]
    pub expires: i64,
    /// Upload URLs (remote and object-storage policies).
    #[serde(rename = "uploadURLs", default)]
    pub upload_urls: Option<Vec<String>>,
    /// Credential for the upload URLs.
    #[serde(default)]
    pub credential: Option<String>,
    /// Multipart upload id.
    #[serde(rename = "uploadID", default)]
    pub upload_id: Option<String>,
    /// Completion URL (S3-like stores).
    #[serde(rename = "completeURL", default)]
    pub complete_url: Option<String>,
    /// Base64 form-API policy (Upyun, COS).
    #[serde(default)]
    pub policy: Option<String>,
    /// Object key of a COS form upload.
    #[serde(default)]
    pub path: Option<String>,
    /// Access key id of a COS form upload.
    #[serde(default)]
    pub ak: Option<String>,
    /// Validity (`start;end`) of a COS form signature.
    #[serde(rename = "keyTime", default)]
    pub key_time: Option<String>,
    /// Cloudreve's callback URL (COS).
    #[serde(default)]
    pub callback: Option<String>,
}

/// One share of `GET /share`.
#[derive(Debug, Deserialize)]
pub struct ShareWire {
    /// Share key (its id).
    pub key: String,
    /// Whether a folder is shared.
    #[serde(default)]
    pub is_dir: bool,
    /// Password, if any.
    #[serde(default)]
    pub password: String,
    /// Creation time.
    #[serde(default)]
    pub create_date: Option<DateTime<Utc>>,
    /// Downloads so far.
    #[serde(default)]
    pub downloads: u64,
    /// Downloads left (-1 = unlimited).
    #[serde(default = "minus_one")]
    pub remain_downloads: i64,
    /// Views so far.
    #[serde(default)]
    pub views: u64,
    /// Seconds until expiry (v3 reports a duration), or -1.
    #[serde(default)]
    pub expire: i64,
    /// The shared object (name and size).
    #[serde(default)]
    pub source: Option<ShareSourceWire>,
}

fn minus_one() -> i64 {
    -1
}

/// The shared object of a listed share.
#[derive(Debug, Deserialize)]
pub struct ShareSourceWire {
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// `GET /share`.
#[derive(Debug, Deserialize)]
pub struct ShareListWire {
    /// Shares of this page.
    #[serde(default)]
    pub items: Vec<ShareWire>,
    /// All shares of the user.
    #[serde(default)]
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listing_decodes() {
        let l: ObjectListWire = serde_json::from_str(
            r#"{"parent":"aZc","objects":[
                {"id":"bbTL","name":"a b.txt","path":"/docs","pic":"","size":12,"type":"file",
                 "date":"2023-10-07T12:00:00+08:00","create_date":"2023-10-07T12:00:00+08:00",
                 "source_enabled":false},
                {"id":"Xw2","name":"sub","path":"/docs","pic":"","size":0,"type":"dir",
                 "date":"2023-10-07T12:00:00Z","create_date":"2023-10-07T12:00:00Z",
                 "source_enabled":false}],
              "policy":{"id":"Lq","name":"Default","type":"local","max_size":0,"file_type":null}}"#,
        )
        .unwrap();
        assert_eq!(l.objects.len(), 2);
        assert_eq!(l.objects[0].kind, "file");
        assert_eq!(
            l.objects[0].date.unwrap().to_rfc3339(),
            "2023-10-07T04:00:00+00:00"
        );
        assert_eq!(l.policy.unwrap().id, "Lq");
    }

    #[test]
    fn an_upload_credential_decodes_in_camel_case() {
        let c: UploadCredentialWire = serde_json::from_str(
            r#"{"sessionID":"5d1f","chunkSize":5242880,"expires":1696660000,
                "uploadURLs":["https://s3/x?partNumber=1"],"uploadID":"u1",
                "completeURL":"https://s3/x?uploadId=u1","credential":"c"}"#,
        )
        .unwrap();
        assert_eq!(c.session_id, "5d1f");
        assert_eq!(c.chunk_size, 5_242_880);
        assert_eq!(c.upload_urls.unwrap().len(), 1);
        assert_eq!(c.upload_id.as_deref(), Some("u1"));
        let local: UploadCredentialWire =
            serde_json::from_str(r#"{"sessionID":"a","chunkSize":0,"expires":1}"#).unwrap();
        assert!(local.upload_urls.is_none());
    }

    #[test]
    fn users_and_shares_decode() {
        let u: UserWire = serde_json::from_str(
            r#"{"id":"kv","user_name":"demo@cirrus.local","nickname":"Demo","status":0,
                "group":{"id":2,"name":"User","allowShare":true}}"#,
        )
        .unwrap();
        let u = u.into_user();
        assert_eq!(u.email.as_deref(), Some("demo@cirrus.local"));
        assert_eq!(u.group.as_deref(), Some("User"));
        let s: ShareListWire = serde_json::from_str(
            r#"{"items":[{"key":"Xy","is_dir":false,"password":"","create_date":"2023-10-07T12:00:00+08:00",
                "downloads":0,"remain_downloads":-1,"views":3,"expire":-1,"preview":true,
                "source":{"name":"a.txt","size":3}}],"total":1}"#,
        )
        .unwrap();
        assert_eq!(s.items[0].key, "Xy");
        assert_eq!(s.items[0].remain_downloads, -1);
        assert_eq!(s.items[0].source.as_ref().unwrap().name, "a.txt");
    }
}
