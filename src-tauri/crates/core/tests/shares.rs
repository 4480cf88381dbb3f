//! Share links against the sandbox (§9): create with password/expiry/limit, list, edit, delete.

mod common;

use cirrus_core::ErrorKind;
use cirrus_core::provider::*;
use cirrus_sandbox::SandboxConfig;
use common::*;

#[tokio::test]
async fn share_lifecycle() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let folder = p.create_folder(&p.root(), "shared stuff").await.unwrap();
    let opts = ShareOptions {
        password: Some("abc123".into()),
        expires_in_secs: Some(3600),
        download_limit: Some(5),
        ..Default::default()
    };
    let s = p.create_share(&folder.remote, &opts).await.unwrap();
    assert!(!s.id.is_empty());
    assert!(s.url.contains(&s.id), "{}", s.url);
    assert_eq!(s.password.as_deref(), Some("abc123"));
    assert!(s.link_text().contains("abc123"));
    let page = p.list_shares(None).await.unwrap();
    assert!(page.shares.iter().any(|x| x.id == s.id));
    let edited = p
        .edit_share(
            &s.id,
            &folder.remote,
            &ShareOptions {
                download_limit: Some(9),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(edited.id, s.id);
    p.delete_share(&s.id).await.unwrap();
    let page = p.list_shares(None).await.unwrap();
    assert!(!page.shares.iter().any(|x| x.id == s.id));
    let missing = p.resolve_path("/no such thing").await.unwrap();
    assert_eq!(
        p.create_share(&missing, &ShareOptions::default())
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

/// An anonymous visitor of the sandbox's public API (no token).
struct Visitor {
    api: String,
    http: reqwest::Client,
}

impl Visitor {
    fn new(base: &str) -> Self {
        Visitor {
            api: format!("{base}/api/v4"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }
    async fn get(&self, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let r = self
            .http
            .get(format!("{}{path}", self.api))
            .query(query)
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }
    async fn list(&self, uri: &str) -> serde_json::Value {
        self.get("/file", &[("uri", uri)]).await
    }
    async fn url(&self, uri: &str) -> serde_json::Value {
        let r = self
            .http
            .post(format!("{}/file/url", self.api))
            .json(&serde_json::json!({ "uris": [uri] }))
            .send()
            .await
            .unwrap();
        r.json().await.unwrap()
    }
    async fn download(&self, uri: &str) -> Vec<u8> {
        let u = self.url(uri).await;
        assert_eq!(u["code"], 0, "{u}");
        let url = u["data"]["urls"][0]["url"].as_str().unwrap();
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec()
    }
    /// Opens a share link as a browser would and returns the share URI it lands on.
    async fn open_link(&self, link: &str) -> String {
        let r = self.http.get(link).send().await.unwrap();
        assert_eq!(r.status(), 302, "{link}");
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        let query = loc.split_once('?').expect("redirect with a query").1;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "path")
            .map(|(_, v)| v.into_owned())
            .expect("path in the redirect")
    }
}

#[tokio::test]
async fn password_share_link_opens_for_anonymous_visitors() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let docs = p.resolve_path("/Documents").await.unwrap();
    let s = p
        .create_share(
            &docs,
            &ShareOptions {
                password: Some("s3cret".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(s.is_folder);
    assert_eq!(s.name, "Documents");
    assert_eq!(s.source.as_ref(), Some(&docs));
    let v = Visitor::new(&e.sandbox.base_url());

    // Without the password the share is locked.
    let info = v.get(&format!("/share/info/{}", s.id), &[]).await;
    assert_eq!(info["data"]["unlocked"], false, "{info}");
    let locked = v.list(&format!("cloudreve://{}@share", s.id)).await;
    assert_eq!(locked["code"], 40069, "{locked}");

    // The link the client hands out carries the password: following it is enough.
    let uri = v.open_link(&s.url).await;
    assert_eq!(uri, format!("cloudreve://{}:s3cret@share", s.id));
    let l = v.list(&uri).await;
    assert_eq!(l["code"], 0, "{l}");
    let names: Vec<&str> = l["data"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Report 2024.txt"), "{names:?}");
    assert_eq!(
        v.download(&format!("{uri}/Report%202024.txt")).await,
        b"Quarterly numbers.\n"
    );

    // A server-chosen password works the same way and is reported back to the owner.
    let welcome = p.resolve_path("/Welcome.txt").await.unwrap();
    let r = p
        .create_share(
            &welcome,
            &ShareOptions {
                password: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let pw = r.password.clone().expect("generated password");
    assert_eq!(pw.len(), 8, "{pw}");
    assert!(r.url.ends_with(&format!("/{pw}")), "{}", r.url);
    assert_eq!(r.link_text(), r.url);
    let uri = v.open_link(&r.url).await;
    assert_eq!(
        v.download(&format!("{uri}/Welcome.txt")).await,
        b"Welcome to the Cirrus sandbox.\n"
    );

    // The owner's list reports the visit counters.
    let mine = p.list_shares(None).await.unwrap();
    let listed = mine.shares.iter().find(|x| x.id == s.id).unwrap();
    assert_eq!(listed.password.as_deref(), Some("s3cret"));
    assert_eq!(listed.downloads, 1);
}

#[tokio::test]
async fn download_limit_ends_the_share_for_visitors() {
    let e = env(SandboxConfig::default()).await;
    let (_, p) = e.signed_in().await;
    let welcome = p.resolve_path("/Welcome.txt").await.unwrap();
    let s = p
        .create_share(
            &welcome,
            &ShareOptions {
                download_limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(!s.is_folder);
    assert_eq!(s.password, None);
    assert_eq!(s.remaining_downloads, Some(2));
    assert_eq!(s.link_text(), s.url);
    let v = Visitor::new(&e.sandbox.base_url());
    let uri = v.open_link(&s.url).await;
    assert_eq!(uri, format!("cloudreve://{}@share", s.id));
    let file = format!("{uri}/Welcome.txt");
    for left in [1, 0] {
        assert_eq!(v.download(&file).await, b"Welcome to the Cirrus sandbox.\n");
        let mine = p.list_shares(None).await.unwrap();
        let listed = mine.shares.iter().find(|x| x.id == s.id).unwrap();
        assert_eq!(listed.remaining_downloads, Some(left));
    }
    // Used up: visitors are refused, the owner sees it as expired.
    assert_ne!(v.url(&file).await["code"], 0);
    assert_eq!(v.list(&uri).await["code"], 404);
    let mine = p.list_shares(None).await.unwrap();
    let listed = mine.shares.iter().find(|x| x.id == s.id).unwrap();
    assert!(listed.expired);
    assert_eq!(listed.downloads, 2);
}
