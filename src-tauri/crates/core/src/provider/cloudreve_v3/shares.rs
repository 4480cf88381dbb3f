//! v3 share links. Limits are coupled in v3: an expiry only applies together with a
//! download limit, so a lone expiry gets a download limit no one reaches and a lone download
//! limit an expiry far away; both are reported back as absent. Only the password can be
//! changed afterwards.

use chrono::{Duration, Utc};
use reqwest::Method;
use serde_json::json;

use crate::error::{Error, Result};
use crate::provider::*;

use super::CloudreveV3;
use super::api::Body;
use super::refs::V3Ref;
use super::wire::{ShareListWire, ShareWire};

/// Download limit standing for "no limit" when only an expiry is wanted.
const UNREACHABLE_DOWNLOADS: i64 = 1_000_000_000;
/// Remaining downloads above this are the stand-in, not a real limit.
const STAND_IN_FLOOR: i64 = UNREACHABLE_DOWNLOADS / 2;
/// Expiry standing for "never" when only a download limit is wanted (100 years).
const FAR_EXPIRY_SECS: i64 = 100 * 365 * 24 * 3600;
/// Expiry further than this is the stand-in.
const FAR_EXPIRY_FLOOR_SECS: i64 = FAR_EXPIRY_SECS / 2;
/// v3's fixed page size of `GET /share`.
const PAGE_SIZE: u64 = 18;

/// `(downloads, expire)` of a create request for `opts`.
fn limits(opts: &ShareOptions) -> (i64, i64) {
    match (opts.download_limit, opts.expires_in_secs) {
        (None, None) => (-1, 0),
        (Some(n), None) => (i64::from(n.max(1)), FAR_EXPIRY_SECS),
        (None, Some(s)) => (UNREACHABLE_DOWNLOADS, s.max(1) as i64),
        (Some(n), Some(s)) => (i64::from(n.max(1)), s.max(1) as i64),
    }
}

/// The share key at the end of a share URL (`…/s/<key>`).
fn key_of(url: &str) -> Option<String> {
    let tail = url.trim_end_matches('/').rsplit('/').next()?;
    Some(tail.to_string()).filter(|s| !s.is_empty())
}

fn share_of(w: ShareWire, site: &str) -> Share {
    let now = Utc::now();
    let expires_at = (w.expire >= 0 && w.expire < FAR_EXPIRY_FLOOR_SECS)
        .then(|| now + Duration::seconds(w.expire));
    let remaining = (w.remain_downloads >= 0 && w.remain_downloads < STAND_IN_FLOOR)
        .then_some(w.remain_downloads);
    Share {
        url: format!("{}/s/{}", site.trim_end_matches('/'), w.key),
        id: w.key,
        name: w.source.map(|s| s.name).unwrap_or_default(),
        password: Some(w.password).filter(|p| !p.is_empty()),
        is_folder: w.is_dir,
        expires_at,
        remaining_downloads: remaining,
        views: w.views,
        downloads: w.downloads,
        expired: w.remain_downloads == 0 || w.expire == 0,
        created_at: w.create_date,
        source: None,
    }
}

impl CloudreveV3 {
    pub(super) async fn create_share_impl(
        &self,
        item: &RemoteRef,
        opts: &ShareOptions,
    ) -> Result<Share> {
        let r = V3Ref::parse(item)?;
        let (kind, id) = self.identify(&r).await?;
        let password = match &opts.password {
            Some(p) if p.is_empty() => random_password(),
            Some(p) => p.clone(),
            None => String::new(),
        };
        let (downloads, expire) = limits(opts);
        let body = json!({
            "id": id,
            "is_dir": kind == EntryKind::Folder,
            "password": password,
            "downloads": downloads,
            "expire": expire,
            "preview": true,
        });
        let url: String = self
            .api
            .call(Method::POST, "share", Body::Json(body))
            .await?;
        let key = key_of(&url).ok_or_else(|| Error::protocol("The share link has no key."))?;
        let now = Utc::now();
        Ok(Share {
            id: key,
            name: r.name().to_string(),
            url,
            password: Some(password).filter(|p| !p.is_empty()),
            is_folder: kind == EntryKind::Folder,
            expires_at: opts
                .expires_in_secs
                .map(|s| now + Duration::seconds(s as i64)),
            remaining_downloads: opts.download_limit.map(i64::from),
            views: 0,
            downloads: 0,
            expired: false,
            created_at: Some(now),
            source: Some(item.clone()),
        })
    }

    pub(super) async fn list_shares_impl(&self, cursor: Option<&str>) -> Result<SharePage> {
        let page: u64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(1).max(1);
        let l: ShareListWire = self
            .api
            .call(
                Method::GET,
                &format!("share?page={page}&order_by=created_at&order=DESC"),
                Body::None,
            )
            .await?;
        let site = self.server.as_str().to_string();
        let more = page * PAGE_SIZE < l.total && !l.items.is_empty();
        Ok(SharePage {
            shares: l.items.into_iter().map(|w| share_of(w, &site)).collect(),
            next_cursor: more.then(|| (page + 1).to_string()),
        })
    }

    pub(super) async fn edit_share_impl(
        &self,
        id: &str,
        item: &RemoteRef,
        opts: &ShareOptions,
    ) -> Result<Share> {
        if opts.expires_in_secs.is_some() || opts.download_limit.is_some() {
            return Err(Error::unsupported(
                "changing a share's expiry or download limit (Cloudreve 3 sets them once)",
            ));
        }
        let password = match &opts.password {
            Some(p) if p.is_empty() => random_password(),
            Some(p) => p.clone(),
            None => String::new(),
        };
        self.api
            .call_unit(
                Method::PATCH,
                &format!("share/{id}"),
                Body::Json(json!({ "prop": "password", "value": password })),
            )
            .await?;
        let mut cursor = None;
        loop {
            let page = self.list_shares_impl(cursor.as_deref()).await?;
            if let Some(mut s) = page.shares.into_iter().find(|s| s.id == id) {
                s.source = Some(item.clone());
                return Ok(s);
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Err(Error::new(crate::error::ErrorKind::NotFound)),
            }
        }
    }
}

fn random_password() -> String {
    use rand::Rng;
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..6)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_limits_get_stand_ins_that_read_back_as_absent() {
        let only_expiry = ShareOptions {
            expires_in_secs: Some(3600),
            ..Default::default()
        };
        assert_eq!(limits(&only_expiry), (UNREACHABLE_DOWNLOADS, 3600));
        let only_count = ShareOptions {
            download_limit: Some(5),
            ..Default::default()
        };
        assert_eq!(limits(&only_count), (5, FAR_EXPIRY_SECS));
        assert_eq!(limits(&ShareOptions::default()), (-1, 0));
        let w: ShareWire = serde_json::from_value(json!({
            "key": "Ab", "is_dir": true, "password": "", "downloads": 1,
            "remain_downloads": UNREACHABLE_DOWNLOADS - 1, "views": 2, "expire": 3599
        }))
        .unwrap();
        let s = share_of(w, "https://h/");
        assert_eq!(s.url, "https://h/s/Ab");
        assert_eq!(s.remaining_downloads, None);
        assert!(s.expires_at.is_some());
        assert!(!s.expired);
        let w: ShareWire = serde_json::from_value(json!({
            "key": "Cd", "remain_downloads": 5, "expire": FAR_EXPIRY_SECS - 10
        }))
        .unwrap();
        let s = share_of(w, "https://h");
        assert_eq!(s.remaining_downloads, Some(5));
        assert_eq!(s.expires_at, None);
        assert_eq!(key_of("https://h/s/Xy9"), Some("Xy9".into()));
    }
}
