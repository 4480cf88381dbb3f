//! Share links: create/list/edit/delete, anonymous browsing and downloads through share URIs,
//! passwords, download limits, expiry and the short link.

mod common;

use std::time::Duration;

use cirrus_sandbox::SandboxConfig;
use common::*;
use serde_json::{Value, json};

/// The share id from a share URL `http://host/s/<id>[/<password>]`.
fn share_id(url: &Value) -> String {
    let u = url.as_str().expect("share url string");
    u.split("/s/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

async fn create(env: &Env, body: Value) -> Value {
    let v = env.put("/share", body).await;
    assert_eq!(v["code"], 0, "{v}");
    v["data"].clone()
}

/// Anonymous requests against the same sandbox.
struct Visitor<'a> {
    env: &'a Env,
}

impl Visitor<'_> {
    async fn get(&self, path: &str) -> Value {
        let r = self.env.http.get(self.env.api(path)).send().await.unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
    async fn post(&self, path: &str, body: Value) -> Value {
        let r = self
            .env
            .http
            .post(self.env.api(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
    async fn list(&self, uri: &str) -> Value {
        self.get(&format!("/file?uri={}", enc(uri))).await
    }
    async fn url(&self, uri: &str) -> Value {
        self.post("/file/url", json!({"uris": [uri]})).await
    }
}

#[tokio::test]
async fn create_list_edit_delete() {
    let env = demo(SandboxConfig::default()).await;
    let url = create(&env, json!({"uri": "cloudreve://my/Documents"})).await;
    assert!(
        url.as_str()
            .unwrap()
            .starts_with(&format!("{}/s/", env.sb.base_url())),
        "{url}"
    );
    let private = create(
        &env,
        json!({"uri": "cloudreve://my/Welcome.txt", "is_private": true, "downloads": 3, "expire": 3600, "show_readme": true}),
    )
    .await;
    // A private share without a password gets 8 random lower-case letters, shown in the URL.
    let pw = private.as_str().unwrap().rsplit('/').next().unwrap();
    assert_eq!(pw.len(), 8);
    assert!(pw.chars().all(|c| c.is_ascii_lowercase()));
    let chosen = create(
        &env,
        json!({"uri": "cloudreve://my/Photos", "is_private": true, "password": "abc123"}),
    )
    .await;
    assert!(chosen.as_str().unwrap().ends_with("/abc123"));

    // Validation: page size is required and bounded, missing sources keep the inner code.
    assert_eq!(env.get("/share").await["code"], 40001);
    assert_eq!(env.get("/share?page_size=5").await["code"], 40001);
    let missing = env
        .put("/share", json!({"uri": "cloudreve://my/nope"}))
        .await;
    assert_eq!(missing["code"], 40016);
    assert_eq!(missing["msg"], "src file not found");
    let root = env.put("/share", json!({"uri": "cloudreve://my"})).await;
    assert_eq!(root["code"], 403);
    let bad_pw = env
        .put(
            "/share",
            json!({"uri": "cloudreve://my/Photos", "is_private": true, "password": "a b"}),
        )
        .await;
    assert_eq!(bad_pw["code"], 40001);

    // List: all three, newest first, unlocked with owner-only fields; cursor pages.
    let l = env.get("/share?page_size=10").await;
    assert_eq!(l["code"], 0, "{l}");
    let shares = l["data"]["shares"].as_array().unwrap();
    assert_eq!(shares.len(), 3);
    assert_eq!(shares[0]["name"], "Photos");
    assert_eq!(shares[0]["password"], "abc123");
    assert_eq!(shares[0]["is_private"], true);
    assert_eq!(shares[0]["source_type"], 1);
    assert_eq!(shares[1]["name"], "Welcome.txt");
    assert_eq!(shares[1]["remain_downloads"], 3);
    assert_eq!(shares[1]["show_readme"], true);
    assert_eq!(shares[1]["source_type"], 0);
    assert_eq!(shares[1]["size"], 31);
    assert!(shares[1]["expires"].is_string());
    assert_eq!(shares[2]["name"], "Documents");
    assert!(shares[2].get("password").is_none());
    assert_eq!(shares[2]["owner"]["nickname"], "demo");
    assert_eq!(l["data"]["pagination"]["is_cursor"], true);
    assert!(l["data"]["pagination"].get("next_token").is_none());

    // Info for the owner: unlocked, source_uri with owner_extended.
    let id = share_id(&private);
    let info = env
        .get(&format!("/share/info/{id}?owner_extended=true"))
        .await;
    assert_eq!(info["data"]["unlocked"], true, "{info}");
    assert_eq!(info["data"]["source_uri"], "cloudreve://my/Welcome.txt");
    assert_eq!(info["data"]["password_protected"], true);

    // Edit: downloads/expiry/props change; the password stays.
    let edited = env
        .post(
            &format!("/share/{id}"),
            json!({"uri": "cloudreve://my/Welcome.txt", "is_private": false, "downloads": 0, "expire": 0, "share_view": true}),
        )
        .await;
    assert_eq!(edited["code"], 0, "{edited}");
    assert!(edited["data"].as_str().unwrap().ends_with(pw));
    let info = env.get(&format!("/share/info/{id}")).await;
    assert!(info["data"].get("remain_downloads").is_none());
    assert!(info["data"].get("expires").is_none());
    assert_eq!(info["data"]["share_view"], true);
    assert_eq!(info["data"]["password"], pw);
    // Editing with a different source is 404.
    let wrong = env
        .post(
            &format!("/share/{id}"),
            json!({"uri": "cloudreve://my/Photos"}),
        )
        .await;
    assert_eq!(wrong["code"], 404);

    // Delete: gone for everyone; deleting again is 404; bad ids are 40001.
    assert_eq!(
        env.delete(&format!("/share/{id}"), json!({})).await["code"],
        0
    );
    assert_eq!(
        env.delete(&format!("/share/{id}"), json!({})).await["code"],
        404
    );
    assert_eq!(env.get(&format!("/share/info/{id}")).await["code"], 404);
    assert_eq!(
        env.delete("/share/not-an-id", json!({})).await["code"],
        40001
    );
    let l = env.get("/share?page_size=10").await;
    assert_eq!(l["data"]["shares"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn list_pagination_uses_cursor() {
    let env = demo(SandboxConfig::default()).await;
    for i in 0..12 {
        env.write(&format!("cloudreve://my/s/{i:02}.txt"), b"x")
            .await;
        create(&env, json!({"uri": format!("cloudreve://my/s/{i:02}.txt")})).await;
    }
    let p1 = env.get("/share?page_size=10").await;
    assert_eq!(p1["data"]["shares"].as_array().unwrap().len(), 10);
    let token = p1["data"]["pagination"]["next_token"].as_str().unwrap();
    let p2 = env
        .get(&format!(
            "/share?page_size=10&next_page_token={}",
            enc(token)
        ))
        .await;
    let rest = p2["data"]["shares"].as_array().unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[1]["name"], "00.txt");
    assert!(p2["data"]["pagination"].get("next_token").is_none());
}

#[tokio::test]
async fn anonymous_browse_and_download_folder_share() {
    let env = demo(SandboxConfig::default()).await;
    let url = create(&env, json!({"uri": "cloudreve://my/Documents"})).await;
    let id = share_id(&url);
    let v = Visitor { env: &env };
    let root = format!("cloudreve://{id}@share");

    let info = v.get(&format!("/share/info/{id}")).await;
    assert_eq!(info["data"]["unlocked"], true);
    assert_eq!(info["data"]["name"], "Documents");
    assert!(info["data"]["owner"].get("email").is_none(), "{info}");

    let l = v.list(&root).await;
    assert_eq!(l["code"], 0, "{l}");
    let d = &l["data"];
    assert_eq!(d["parent"]["path"], format!("cloudreve://{id}@share/"));
    assert_eq!(d["parent"]["name"], "Documents");
    assert_eq!(d["props"]["capability"], "gIaYAQ==");
    assert!(d.get("single_file_view").is_none());
    assert!(d.get("view").is_none(), "share_view is off");
    let files = d["files"].as_array().unwrap();
    assert_eq!(files.len(), 6);
    let report = files
        .iter()
        .find(|f| f["name"] == "Report 2024.txt")
        .unwrap();
    assert_eq!(
        report["path"],
        format!("cloudreve://{id}@share/Report%202024.txt")
    );
    assert_eq!(report["capability"], "gIaYAQ==");
    assert!(report.get("owned").is_none());

    let fi = v
        .get(&format!(
            "/file/info?uri={}",
            enc(&format!("{root}/Report 2024.txt"))
        ))
        .await;
    assert_eq!(fi["data"]["size"], 19, "{fi}");

    let u = v.url(&format!("{root}/Report%202024.txt")).await;
    assert_eq!(u["code"], 0, "{u}");
    let body = env
        .http
        .get(u["data"]["urls"][0]["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"Quarterly numbers.\n");

    // Missing paths are 40016; writes are refused.
    assert_eq!(v.list(&format!("{root}/nope")).await["code"], 40016);
    let up = v
        .post(
            "/file/create",
            json!({"uri": format!("{root}/x"), "type": "file"}),
        )
        .await;
    assert_ne!(up["code"], 0);

    // The owner counts downloads.
    let info = env.get(&format!("/share/info/{id}")).await;
    assert_eq!(info["data"]["downloaded"], 1);

    // Trashing the source invalidates the share.
    env.delete("/file", json!({"uris": ["cloudreve://my/Documents"]}))
        .await;
    assert_eq!(v.list(&root).await["code"], 404);
    assert_eq!(v.get(&format!("/share/info/{id}")).await["code"], 404);
}

#[tokio::test]
async fn password_protected_share() {
    let env = demo(SandboxConfig::default()).await;
    let url = create(
        &env,
        json!({"uri": "cloudreve://my/Documents", "is_private": true, "password": "s3cret"}),
    )
    .await;
    let id = share_id(&url);
    let v = Visitor { env: &env };

    // Locked info: reduced fields, URL without the password.
    let info = v.get(&format!("/share/info/{id}")).await;
    let d = &info["data"];
    assert_eq!(d["unlocked"], false);
    assert_eq!(d["password_protected"], true);
    assert!(d.get("password").is_none());
    assert!(d.get("is_private").is_none());
    assert_eq!(d["url"], format!("{}/s/{id}", env.sb.base_url()));
    let info = v
        .get(&format!(
            "/share/info/{id}?password=s3cret&count_views=true"
        ))
        .await;
    assert_eq!(info["data"]["unlocked"], true);
    assert_eq!(info["data"]["visited"], 1);
    assert_eq!(
        info["data"]["url"],
        format!("{}/s/{id}/s3cret", env.sb.base_url())
    );

    // Browsing needs the password in the URI.
    assert_eq!(
        v.list(&format!("cloudreve://{id}@share")).await["code"],
        40069
    );
    assert_eq!(
        v.list(&format!("cloudreve://{id}:wrong@share")).await["code"],
        40069
    );
    assert_eq!(
        v.url(&format!("cloudreve://{id}@share/a%2Bb%3Dc.txt"))
            .await["code"],
        40081
    );
    let ok = v.list(&format!("cloudreve://{id}:s3cret@share")).await;
    assert_eq!(ok["code"], 0, "{ok}");
    assert!(
        ok["data"]["files"][0]["path"]
            .as_str()
            .unwrap()
            .starts_with(&format!("cloudreve://{id}:s3cret@share/"))
    );
    let u = v
        .url(&format!("cloudreve://{id}:s3cret@share/a%2Bb%3Dc.txt"))
        .await;
    assert_eq!(u["code"], 0, "{u}");

    // Unknown share ids are 404, malformed ones too.
    assert_eq!(v.list("cloudreve://zzzz@share").await["code"], 404);
}

#[tokio::test]
async fn single_file_share_and_download_limit() {
    let env = demo(SandboxConfig::default()).await;
    let url = create(
        &env,
        json!({"uri": "cloudreve://my/Welcome.txt", "downloads": 2}),
    )
    .await;
    let id = share_id(&url);
    let v = Visitor { env: &env };
    let root = format!("cloudreve://{id}@share");
    let l = v.list(&root).await;
    assert_eq!(l["code"], 0, "{l}");
    assert_eq!(l["data"]["single_file_view"], true);
    assert_eq!(l["data"]["files"].as_array().unwrap().len(), 1);
    assert_eq!(l["data"]["files"][0]["path"], format!("{root}/Welcome.txt"));
    assert_eq!(v.list(&format!("{root}/Other.txt")).await["code"], 40016);

    let file = format!("{root}/Welcome.txt");
    for left in [1, 0] {
        let u = v.url(&file).await;
        assert_eq!(u["code"], 0, "{u}");
        if left > 0 {
            let info = v.get(&format!("/share/info/{id}")).await;
            assert_eq!(info["data"]["remain_downloads"], left);
        }
    }
    // Exhausted: the share is invalid everywhere.
    assert_eq!(v.url(&file).await["code"], 40081);
    assert_eq!(v.list(&root).await["code"], 404);
    assert_eq!(v.get(&format!("/share/info/{id}")).await["code"], 404);
    // The owner still sees it listed as expired.
    let mine = env.get("/share?page_size=10").await;
    assert_eq!(mine["data"]["shares"][0]["expired"], true);
    assert_eq!(mine["data"]["shares"][0]["remain_downloads"], 0);
}

#[tokio::test]
async fn expiry_and_short_link() {
    let env = demo(SandboxConfig::default()).await;
    let url = create(
        &env,
        json!({"uri": "cloudreve://my/Photos", "expire": 1, "is_private": true, "password": "pw1"}),
    )
    .await;
    let id = share_id(&url);
    let v = Visitor { env: &env };

    let r = env
        .http
        .get(format!(
            "{}/s/{id}/pw1?path=/2024%20Trip",
            env.sb.base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let q: Vec<(String, String)> =
        url::form_urlencoded::parse(loc.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert!(loc.starts_with("/home?"));
    assert_eq!(
        q[0],
        (
            "path".to_string(),
            format!("cloudreve://{id}:pw1@share/2024 Trip")
        )
    );

    assert_eq!(
        v.list(&format!("cloudreve://{id}:pw1@share")).await["code"],
        0
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        v.list(&format!("cloudreve://{id}:pw1@share")).await["code"],
        404
    );
    let info = v.get(&format!("/share/info/{id}")).await;
    assert_eq!(info["code"], 404);
    assert_eq!(info["msg"], "Share link expired");
}
