//! Share links (§9): create with password/expiry/download limit, list, edit, delete.

use reqwest::Method;
use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::provider::model::*;

use super::CloudreveV4;
use super::api::Body;
use super::wire::{ShareListWire, ShareWire};

/// The share id from a link `{site}/s/{id}[/{password}]`.
pub(super) fn share_id_from_url(url: &str) -> Option<String> {
    let after = url.split("/s/").nth(1)?;
    let id = after.split(['/', '?', '#']).next()?;
    Some(id.to_string()).filter(|s| !s.is_empty())
}

fn share_body(item: &RemoteRef, opts: &ShareOptions) -> Value {
    let is_private = opts.password.is_some();
    json!({
        "uri": item.as_str(),
        "is_private": is_private,
        "password": opts.password.clone().unwrap_or_default(),
        "downloads": opts.download_limit.unwrap_or(0),
        "expire": opts.expires_in_secs.unwrap_or(0),
        "share_view": opts.share_view,
        "show_readme": opts.show_readme,
    })
}

impl CloudreveV4 {
    pub(super) async fn share_info(&self, id: &str, password: Option<&str>) -> Result<Share> {
        let mut q: Vec<(&str, String)> = vec![("owner_extended", "true".into())];
        if let Some(p) = password {
            q.push(("password", p.to_string()));
        }
        let s: ShareWire = self
            .api
            .call(Method::GET, &format!("share/info/{id}"), &q, Body::None)
            .await?;
        Ok(s.into_share())
    }

    /// Look the share up after create/edit (the server only returns its URL).
    async fn share_from_url(
        &self,
        url: String,
        item: &RemoteRef,
        opts: &ShareOptions,
    ) -> Result<Share> {
        let id = share_id_from_url(&url)
            .ok_or_else(|| Error::protocol(format!("Unexpected share link: {url}")))?;
        let password = url
            .strip_prefix(&format!(
                "{}/s/{id}/",
                url.split("/s/").next().unwrap_or_default()
            ))
            .map(str::to_string);
        let password = password.or_else(|| opts.password.clone().filter(|p| !p.is_empty()));
        match self.share_info(&id, password.as_deref()).await {
            Ok(mut s) => {
                if s.url.is_empty() {
                    s.url = url;
                }
                if s.password.is_none() {
                    s.password = password;
                }
                if s.source.is_none() {
                    s.source = Some(item.clone());
                }
                Ok(s)
            }
            // The link exists even if the details cannot be read back; report what we know.
            Err(_) => Ok(Share {
                id,
                name: String::new(),
                url,
                password,
                is_folder: false,
                expires_at: None,
                remaining_downloads: opts.download_limit.map(i64::from),
                views: 0,
                downloads: 0,
                expired: false,
                created_at: None,
                source: Some(item.clone()),
            }),
        }
    }

    pub(super) async fn create_share_impl(
        &self,
        item: &RemoteRef,
        opts: &ShareOptions,
    ) -> Result<Share> {
        let url: String = self
            .api
            .call(
                Method::PUT,
                "share",
                &[],
                Body::Json(share_body(item, opts)),
            )
            .await?;
        self.share_from_url(url, item, opts).await
    }

    pub(super) async fn list_shares_impl(&self, cursor: Option<&str>) -> Result<SharePage> {
        let mut q: Vec<(&str, String)> = vec![("page_size", "100".into())];
        if let Some(c) = cursor {
            q.push(("next_page_token", c.to_string()));
        }
        let l: ShareListWire = self.api.call(Method::GET, "share", &q, Body::None).await?;
        Ok(SharePage {
            shares: l.shares.into_iter().map(ShareWire::into_share).collect(),
            next_cursor: l.pagination.next_token.filter(|t| !t.is_empty()),
        })
    }

    pub(super) async fn edit_share_impl(
        &self,
        id: &str,
        item: &RemoteRef,
        opts: &ShareOptions,
    ) -> Result<Share> {
        // Password and privacy cannot be changed on v4; the server ignores them here.
        let url: String = self
            .api
            .call(
                Method::POST,
                &format!("share/{id}"),
                &[],
                Body::Json(share_body(item, opts)),
            )
            .await?;
        self.share_from_url(
            url,
            item,
            &ShareOptions {
                password: None,
                ..opts.clone()
            },
        )
        .await
    }

    pub(super) async fn delete_share_impl(&self, id: &str) -> Result<()> {
        self.api
            .call_unit(Method::DELETE, &format!("share/{id}"), &[], Body::None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_from_links() {
        assert_eq!(
            share_id_from_url("https://c.example/s/AbC1").as_deref(),
            Some("AbC1")
        );
        assert_eq!(
            share_id_from_url("https://c.example/sub/s/AbC1/pass").as_deref(),
            Some("AbC1")
        );
        assert_eq!(share_id_from_url("https://c.example/x"), None);
    }

    #[test]
    fn share_body_has_private_flag_only_with_password() {
        let b = share_body(
            &RemoteRef::new("cloudreve://my/a"),
            &ShareOptions::default(),
        );
        assert_eq!(b["is_private"], false);
        let b = share_body(
            &RemoteRef::new("cloudreve://my/a"),
            &ShareOptions {
                password: Some("pw1".into()),
                expires_in_secs: Some(60),
                download_limit: Some(3),
                ..Default::default()
            },
        );
        assert_eq!(b["is_private"], true);
        assert_eq!(b["password"], "pw1");
        assert_eq!(b["expire"], 60);
        assert_eq!(b["downloads"], 3);
    }
}
