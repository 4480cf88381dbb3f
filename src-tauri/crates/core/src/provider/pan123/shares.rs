//! Share links: create (expiry 1, 7 or 30 days or never; a password or none; no download
//! limit) and list. Name, expiry and password cannot change afterwards, and the open API has
//! no way to delete a link. A share's id in Cirrus is its key, the part of the link.

use chrono::{Datelike, Duration as ChronoDuration, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use serde::Deserialize;
use serde_json::json;

use crate::error::{Error, ErrorKind, Result};
use crate::provider::*;

use super::refs::P123Ref;
use super::wire::{flag, parse_time};
use super::{Pan123, SHARE_EXPIRY_DAYS};

/// Where share keys are opened.
pub const SHARE_BASE: &str = "https://www.123pan.com/s/";
/// Shares per page of the list.
const PAGE: u32 = 100;
/// Length of a password Cirrus makes up when asked for one.
const GENERATED_PASSWORD_LEN: usize = 6;

#[derive(Debug, Deserialize)]
struct CreatedWire {
    #[serde(rename = "shareKey", alias = "sharekey")]
    share_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShareWire {
    #[serde(default)]
    share_key: String,
    #[serde(default)]
    share_name: String,
    #[serde(default)]
    expiration: String,
    #[serde(default, deserialize_with = "flag")]
    expired: bool,
    #[serde(default)]
    share_pwd: String,
    #[serde(default)]
    preview_count: u64,
    #[serde(default)]
    download_count: u64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ShareListWire {
    #[serde(default)]
    last_share_id: i64,
    #[serde(default)]
    share_list: Vec<ShareWire>,
}

/// The `shareExpire` value for an expiry in seconds: a whole number of days among the
/// choices, 0 for none.
pub fn expiry_days(secs: Option<u64>) -> Result<u32> {
    let Some(secs) = secs.filter(|s| *s > 0) else {
        return Ok(0);
    };
    let day = 24 * 3600;
    match u32::try_from(secs / day) {
        Ok(d) if secs % day == 0 && SHARE_EXPIRY_DAYS.contains(&d) => Ok(d),
        _ => Err(Error::invalid(
            "123pan share links expire after 1, 7 or 30 days, or never.",
        )),
    }
}

fn share_of(w: ShareWire) -> Share {
    // Permanent links report a far-away date (2099).
    let expires_at = parse_time(&w.expiration).filter(|t| t.year() < 2099);
    Share {
        url: format!("{SHARE_BASE}{}", w.share_key),
        id: w.share_key,
        name: w.share_name,
        password: Some(w.share_pwd).filter(|p| !p.is_empty()),
        // The list does not say what was shared.
        is_folder: false,
        expired: w.expired || expires_at.is_some_and(|t| t <= Utc::now()),
        expires_at,
        remaining_downloads: None,
        views: w.preview_count,
        downloads: w.download_count,
        created_at: None,
        source: None,
    }
}

impl Pan123 {
    pub(super) async fn create_share_impl(
        &self,
        item: &RemoteRef,
        opts: &ShareOptions,
    ) -> Result<Share> {
        let path = match P123Ref::parse(item)? {
            P123Ref::Live { path, .. } if path == "/" => {
                return Err(Error::invalid("The root folder cannot be shared."));
            }
            P123Ref::Live { path, .. } => path,
            P123Ref::Trash { .. } => {
                return Err(Error::with_message(
                    ErrorKind::NotFound,
                    "Items in the trash cannot be shared.",
                ));
            }
        };
        if opts.download_limit.is_some() {
            return Err(Error::unsupported("download limits on share links"));
        }
        let days = expiry_days(opts.expires_in_secs)?;
        let (_, c) = self.walk(&path).await?;
        let password = match opts.password.as_deref() {
            Some("") => rand::rng()
                .sample_iter(&Alphanumeric)
                .take(GENERATED_PASSWORD_LEN)
                .map(char::from)
                .collect(),
            Some(p) => p.to_string(),
            None => String::new(),
        };
        let mut body = json!({
            "shareName": c.name,
            "shareExpire": days,
            "fileIDList": c.id.to_string(),
        });
        if !password.is_empty() {
            body["sharePwd"] = json!(password.clone());
        }
        let w: CreatedWire = self.api.post("/api/v1/share/create", &body).await?;
        let now = Utc::now();
        Ok(Share {
            url: format!("{SHARE_BASE}{}", w.share_key),
            id: w.share_key,
            name: c.name,
            password: Some(password).filter(|p| !p.is_empty()),
            is_folder: c.kind == EntryKind::Folder,
            expires_at: (days > 0).then(|| now + ChronoDuration::days(days.into())),
            remaining_downloads: None,
            views: 0,
            downloads: 0,
            expired: false,
            created_at: Some(now),
            source: Some(item.clone()),
        })
    }

    pub(super) async fn list_shares_impl(&self, cursor: Option<&str>) -> Result<SharePage> {
        let mut q = vec![("limit", PAGE.to_string())];
        if let Some(c) = cursor {
            q.push(("lastShareId", c.to_string()));
        }
        let l: ShareListWire = self.api.get("/api/v1/share/list", &q).await?;
        Ok(SharePage {
            shares: l.share_list.into_iter().map(share_of).collect(),
            next_cursor: (l.last_share_id > 0).then(|| l.last_share_id.to_string()),
        })
    }

    pub(super) async fn share_impl(&self, id: &str) -> Result<Share> {
        let mut cursor: Option<String> = None;
        loop {
            let page = self.list_shares_impl(cursor.as_deref()).await?;
            if let Some(s) = page.shares.into_iter().find(|s| s.id == id) {
                return Ok(s);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => {
                    return Err(Error::with_message(
                        ErrorKind::NotFound,
                        "No such share link.",
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_one_of_the_choices() {
        assert_eq!(expiry_days(None).unwrap(), 0);
        assert_eq!(expiry_days(Some(0)).unwrap(), 0);
        assert_eq!(expiry_days(Some(7 * 86400)).unwrap(), 7);
        assert_eq!(expiry_days(Some(30 * 86400)).unwrap(), 30);
        assert!(expiry_days(Some(3600)).is_err());
        assert!(expiry_days(Some(2 * 86400)).is_err());
    }

    #[test]
    fn permanent_links_have_no_expiry() {
        let w: ShareWire = serde_json::from_value(json!({
            "shareKey": "ab-cd", "shareName": "x", "expiration": "2099-12-12 08:00:00",
            "expired": 0, "sharePwd": ""
        }))
        .unwrap();
        let s = share_of(w);
        assert_eq!(s.expires_at, None);
        assert_eq!(s.url, "https://www.123pan.com/s/ab-cd");
        assert_eq!(s.password, None);
    }
}
