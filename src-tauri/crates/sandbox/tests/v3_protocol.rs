//! Cloudreve 3.8.3 protocol: session, listing, object operations, local uploads, downloads,
//! shares, search and source links, driven over raw HTTP.

mod v3_common;

use cirrus_sandbox::{SandboxConfig, demo};
use reqwest::Method;
use serde_json::json;
use v3_common::{demo as v3_demo, session_cookie, start};

#[tokio::test]
async fn ping_and_cookie_session_without_bearer() {
    let mut env = start(SandboxConfig::default()).await;
    let v = env.get("/site/ping").await;
    assert_eq!(v, json!({"code": 0, "data": "3.8.3", "msg": ""}));
    // v4 does not exist on a v3 server.
    let r = env
        .http
        .get(format!("{}/api/v4/site/ping", env.sb.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Signed out: HTTP 200, body code 401.
    let v = env.get("/user/me").await;
    assert_eq!(v["code"], 401, "{v}");
    assert_eq!(env.get("/directory/").await["code"], 401);

    let r = env
        .http
        .post(env.api("/user/session"))
        .json(&json!({"userName": demo::EMAIL, "Password": demo::PASSWORD, "captchaCode": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let raw = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(raw.starts_with("cloudreve-session="), "{raw}");
    assert!(raw.contains("HttpOnly") && raw.contains("Path=/"), "{raw}");
    let cookie = session_cookie(r.headers()).unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], 0);
    assert_eq!(v["data"]["user_name"], demo::EMAIL);
    assert!(v["data"].get("token").is_none(), "no token in v3");

    // The cookie is the credential; a bearer header means nothing.
    let me = env
        .http
        .get(env.api("/user/me"))
        .bearer_auth(&cookie)
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(me["code"], 401);
    env.cookie = Some(cookie);
    let me = env.get("/user/me").await;
    assert_eq!(me["code"], 0);
    assert_eq!(me["data"]["group"]["allowShare"], true);
    let st = env.get("/user/storage").await;
    assert_eq!(st["code"], 0);
    assert_eq!(
        st["data"]["used"].as_u64().unwrap() + st["data"]["free"].as_u64().unwrap(),
        st["data"]["total"].as_u64().unwrap()
    );

    // Logout ends the session behind the same cookie.
    assert_eq!(env.delete("/user/session", json!({})).await["code"], 0);
    assert_eq!(env.get("/user/me").await["code"], 401);
}

#[tokio::test]
async fn login_field_names_and_wrong_password() {
    let mut env = start(SandboxConfig::default()).await;
    // v4 field names bind nothing.
    let v = env
        .post(
            "/user/session",
            json!({"email": demo::EMAIL, "password": demo::PASSWORD}),
        )
        .await;
    assert_eq!(v["code"], 40001, "{v}");
    // Go's encoding/json matches keys case-insensitively: `password` binds `Password`.
    let v = env
        .post(
            "/user/session",
            json!({"userName": demo::EMAIL, "password": demo::PASSWORD}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    env.cookie = None;
    let v = env.login(demo::EMAIL, "wrong-password").await;
    assert_eq!(v["code"], 40020, "{v}");
    assert!(v.get("correlation_id").is_none());
}

#[tokio::test]
async fn two_factor_login_needs_the_same_cookie() {
    let mut env = start(SandboxConfig::default()).await;
    let v = env.login(demo::TOTP_EMAIL, demo::TOTP_PASSWORD).await;
    assert_eq!(v, json!({"code": 203, "msg": ""}));
    assert_eq!(env.get("/user/me").await["code"], 401, "not signed in yet");

    // Another cookie (or none) has no pending login.
    let first = env.cookie.take();
    let v = env
        .post(
            "/user/2fa",
            json!({"code": demo::totp_code(demo::TOTP_SECRET)}),
        )
        .await;
    assert_eq!(v["code"], 40023, "{v}");
    env.cookie = first;

    let v = env.post("/user/2fa", json!({"code": "000000"})).await;
    let wrong = if demo::totp_code(demo::TOTP_SECRET) == "000000" {
        0
    } else {
        40022
    };
    assert_eq!(v["code"], wrong, "{v}");
    let v = env
        .post(
            "/user/2fa",
            json!({"code": demo::totp_code(demo::TOTP_SECRET)}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["user_name"], demo::TOTP_EMAIL);
    assert_eq!(env.get("/user/me").await["code"], 0);
}

#[tokio::test]
async fn login_captcha_is_kept_in_the_session() {
    let mut env = start(SandboxConfig {
        login_captcha: true,
        ..Default::default()
    })
    .await;
    let cfg = env.get("/site/config").await;
    assert_eq!(cfg["data"]["loginCaptcha"], true);
    assert_eq!(cfg["data"]["user"]["anonymous"], true);
    let v = env.login(demo::EMAIL, demo::PASSWORD).await;
    assert_eq!(v["code"], 40026, "{v}");
    let c = env.get("/site/captcha").await;
    assert!(
        c["data"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let v = env
        .post(
            "/user/session",
            json!({"userName": demo::EMAIL, "Password": demo::PASSWORD, "captchaCode": "cirrus"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    // The answer was used up.
    env.cookie = None;
    let v = env
        .post(
            "/user/session",
            json!({"userName": demo::EMAIL, "Password": demo::PASSWORD, "captchaCode": "cirrus"}),
        )
        .await;
    assert_eq!(v["code"], 40026, "a fresh cookie has no captcha: {v}");
}

#[tokio::test]
async fn listing_by_path_with_policy_and_id_namespaces() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let root = env.list("/").await;
    assert_eq!(root["code"], 0, "{root}");
    let d = &root["data"];
    assert!(d["parent"].as_str().is_some());
    assert_eq!(d["policy"]["type"], "local");
    assert!(d["policy"]["id"].as_str().is_some());
    let objs = d["objects"].as_array().unwrap();
    let docs = objs.iter().find(|o| o["name"] == "Documents").unwrap();
    assert_eq!(docs["type"], "dir");
    assert_eq!(docs["path"], "/");
    let welcome = objs.iter().find(|o| o["name"] == "Welcome.txt").unwrap();
    assert_eq!(welcome["type"], "file");
    assert_eq!(welcome["size"], 31);

    // Percent-encoded segments, no paging.
    env.put("/directory", json!({"path": "/a/b c"})).await;
    let v = env.get("/directory/a/b%20c").await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["objects"], json!([]));
    let v = env.list("/Documents").await;
    assert_eq!(v["data"]["objects"][0]["path"], "/Documents");
    assert_eq!(v["data"]["objects"].as_array().unwrap().len(), 6);
    assert_eq!(env.list("/nope").await["code"], 40016);

    // A folder id sent as a file id is silently ignored, and vice versa.
    let docs_id = docs["id"].as_str().unwrap();
    let file_id = welcome["id"].as_str().unwrap();
    let v = env
        .delete(
            "/object",
            json!({"items": [docs_id], "dirs": [file_id, "garbage"]}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let names = env.names("/").await;
    assert!(names.contains(&"Documents".into()) && names.contains(&"Welcome.txt".into()));
    // With the right namespaces both go, permanently.
    let v = env
        .delete("/object", json!({"items": [file_id], "dirs": [docs_id]}))
        .await;
    assert_eq!(v["code"], 0);
    let names = env.names("/").await;
    assert!(!names.contains(&"Documents".into()) && !names.contains(&"Welcome.txt".into()));
    // Download of a bad id.
    let v = env.call(Method::PUT, "/file/download/xyz", None).await;
    assert_eq!(v["code"], 40001);
}

#[tokio::test]
async fn mkdir_rename_move_copy() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    assert_eq!(
        env.put("/directory", json!({"path": "/x/y"})).await["code"],
        0
    );
    assert_eq!(
        env.put("/directory", json!({"path": "/x/y"})).await["code"],
        0,
        "existing"
    );
    assert_eq!(
        env.put("/directory", json!({"path": "/Welcome.txt"})).await["code"],
        40004
    );
    assert_eq!(
        env.put("/directory", json!({"path": "/a:b"})).await["code"],
        40052
    );

    let w = env.id_of("/", "Welcome.txt").await;
    let r = env
        .post(
            "/object/rename",
            json!({"action": "rename", "src": {"items": [w], "dirs": []}, "new_name": "Hello.txt"}),
        )
        .await;
    assert_eq!(r["code"], 0, "{r}");
    let d = env.id_of("/", "Documents").await;
    let two = env
        .post(
            "/object/rename",
            json!({"action": "rename", "src": {"items": [w], "dirs": [d]}, "new_name": "z"}),
        )
        .await;
    assert_eq!(two["code"], 40001);
    let clash = env
        .post(
            "/object/rename",
            json!({"action": "rename", "src": {"dirs": [d]}, "new_name": "Photos"}),
        )
        .await;
    assert_eq!(clash["code"], 40004);

    // Move by paths; objects not in src_dir are skipped.
    let p = env.id_of("/", "Photos").await;
    let v = env
        .patch(
            "/object",
            json!({"action": "move", "src_dir": "/", "src": {"items": [w], "dirs": [p]}, "dst": "/x/y"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(env.names("/x/y").await, vec!["Photos", "Hello.txt"]);
    let v = env
        .patch(
            "/object",
            json!({"action": "move", "src_dir": "/nope", "src": {"items": [w]}, "dst": "/"}),
        )
        .await;
    assert_eq!(v["code"], 40016);
    let v = env
        .patch(
            "/object",
            json!({"action": "move", "src_dir": "/", "src": {"items": [w]}, "dst": "/"}),
        )
        .await;
    assert_eq!(v["code"], 0);
    assert!(env.names("/x/y").await.contains(&"Hello.txt".to_string()));

    // Copy: one object only.
    let v = env
        .post(
            "/object/copy",
            json!({"src_dir": "/x/y", "src": {"items": [w], "dirs": [p]}, "dst": "/"}),
        )
        .await;
    assert_eq!(v["code"], 40001);
    assert_eq!(v["msg"], "You can only copy one object at the same time");
    let v = env
        .post(
            "/object/copy",
            json!({"src_dir": "/x/y", "src": {"items": [w]}, "dst": "/"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(
        env.download("/", "Hello.txt").await,
        b"Welcome to the Cirrus sandbox.\n"
    );
    let v = env
        .post(
            "/object/copy",
            json!({"src_dir": "/x/y", "src": {"items": [w]}, "dst": "/"}),
        )
        .await;
    assert_ne!(v["code"], 0, "copy onto an existing name fails: {v}");
    let v = env
        .post(
            "/object/copy",
            json!({"src_dir": "/x/y", "src": {"dirs": [p]}, "dst": "/"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert!(
        env.names("/Photos")
            .await
            .contains(&"sunset.jpg".to_string())
    );
}

#[tokio::test]
async fn local_upload_chunks_in_order_with_exact_length() {
    let mut env = v3_demo(SandboxConfig {
        chunk_size: 10,
        ..Default::default()
    })
    .await;
    let data: Vec<u8> = (0..25u8).collect();
    let v = env.session("/up", "f.bin", 25).await;
    assert_eq!(v["code"], 0, "{v}");
    let s = &v["data"];
    assert_eq!(s["chunkSize"], 10);
    assert!(s["expires"].as_i64().unwrap() > 0);
    assert!(s.get("session_id").is_none(), "camelCase credential");
    let sid = s["sessionID"].as_str().unwrap().to_string();
    assert_eq!(env.sb.active_upload_sessions(), 1);

    // Hidden while uploading; the folder was created.
    assert!(env.names("/up").await.is_empty());
    // Out of order.
    let v = env.chunk(&sid, 1, data[10..20].to_vec()).await;
    assert_eq!(v["code"], 40012, "{v}");
    // Wrong length.
    let v = env.chunk(&sid, 0, data[0..9].to_vec()).await;
    assert_eq!(v["code"], 40013, "{v}");
    assert_eq!(v["msg"], "Invalid Content-Length (expected: 10)");
    assert_eq!(env.chunk(&sid, 0, data[0..10].to_vec()).await["code"], 0);
    assert_eq!(env.chunk(&sid, 1, data[10..20].to_vec()).await["code"], 0);
    // Re-sending chunk 0 rewinds: chunk 2 now comes too early.
    assert_eq!(env.chunk(&sid, 0, data[0..10].to_vec()).await["code"], 0);
    assert_eq!(env.chunk(&sid, 2, data[20..].to_vec()).await["code"], 40012);
    assert_eq!(env.chunk(&sid, 1, data[10..20].to_vec()).await["code"], 0);
    // The last chunk is the remainder.
    assert_eq!(env.chunk(&sid, 2, data[15..].to_vec()).await["code"], 40013);
    assert_eq!(env.chunk(&sid, 2, data[20..25].to_vec()).await["code"], 0);
    assert_eq!(env.sb.active_upload_sessions(), 0);
    assert_eq!(env.names("/up").await, vec!["f.bin"]);
    assert_eq!(env.download("/up", "f.bin").await, data);
    assert_eq!(env.sb.received_chunk_bytes()[&sid], 45);
    // The session is gone.
    assert_eq!(
        env.chunk(&sid, 0, data[0..10].to_vec()).await["code"],
        40011
    );
}

#[tokio::test]
async fn upload_conflicts_policy_check_and_cancel() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let pid = env.policy_id("/").await;
    // No overwrite.
    let v = env.session("/", "Welcome.txt", 3).await;
    assert_eq!(v["code"], 40004, "{v}");
    // A second pending session on the same path.
    let a = env.session("/", "new.txt", 3).await;
    assert_eq!(a["code"], 0);
    let b = env.session("/", "new.txt", 3).await;
    assert_eq!(b["code"], 40054, "{b}");
    // Wrong or undecodable policy id.
    let v = env
        .put(
            "/file/upload",
            json!({"path": "/", "size": 1, "name": "p.txt", "policy_id": "garbage"}),
        )
        .await;
    assert_ne!(v["code"], 0);
    let v = env
        .put(
            "/file/upload",
            json!({"path": "/", "size": 1, "name": "p.txt"}),
        )
        .await;
    assert_eq!(v["code"], 40001);
    // The folder's policy changes under a stale listing.
    env.put("/directory", json!({"path": "/od"})).await;
    env.sb
        .set_folder_policy(
            demo::EMAIL,
            "/od",
            cirrus_sandbox::policy::PolicyKind::OneDrive,
        )
        .unwrap();
    let v = env
        .put(
            "/file/upload",
            json!({"path": "/od", "size": 1, "name": "p.txt", "policy_id": pid}),
        )
        .await;
    assert_eq!(v["code"], 40006, "{v}");

    // Cancel one session, then all.
    let sid = a["data"]["sessionID"].as_str().unwrap().to_string();
    let v = env
        .call(Method::DELETE, &format!("/file/upload/{sid}"), None)
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(env.sb.active_upload_sessions(), 0);
    assert_eq!(env.session("/", "new.txt", 3).await["code"], 0);
    assert_eq!(env.session("/", "other.txt", 3).await["code"], 0);
    assert_eq!(env.sb.active_upload_sessions(), 2);
    assert_eq!(
        env.call(Method::DELETE, "/file/upload", None).await["code"],
        0
    );
    assert_eq!(env.sb.active_upload_sessions(), 0);
    let v = env
        .call(Method::DELETE, &format!("/file/upload/{sid}"), None)
        .await;
    assert_eq!(v["code"], 40011);
}

#[tokio::test]
async fn download_url_is_relative_signed_ranged_and_may_be_single_use() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let hash = env
        .sb
        .seed_file_with_content(demo::EMAIL, "/big.bin", 100_000, 7)
        .unwrap();
    let id = env.id_of("/", "big.bin").await;
    let url = env.download_url(&id).await;
    assert!(url.starts_with("/api/v3/file/download/"), "{url}");
    assert!(url.contains("sign="), "{url}");
    // No cookie needed; Range is served.
    let r = env
        .http
        .get(env.absolute(&url))
        .header("Range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], "bytes 10-19/100000");
    assert_eq!(r.bytes().await.unwrap().len(), 10);
    let full = env.http.get(env.absolute(&url)).send().await.unwrap();
    assert_eq!(full.status(), 200);
    assert!(
        full.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let body = full.bytes().await.unwrap();
    use sha2::Digest;
    let got: String = sha2::Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(got, hash);
    // A tampered signature.
    let bad = env.absolute(&url.replace("sign=", "sign=x"));
    let v: serde_json::Value = env
        .http
        .get(bad)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 40071, "{v}");

    // One-time download: the second request finds no session.
    env.sb.set_one_time_download(true);
    let url = env.download_url(&id).await;
    let r = env
        .http
        .get(env.absolute(&url))
        .header("Range", "bytes=0-0")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    let v: serde_json::Value = env
        .http
        .get(env.absolute(&url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["code"], 404, "{v}");
}

#[tokio::test]
async fn shares_expire_only_with_a_download_limit() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let w = env.id_of("/", "Welcome.txt").await;
    let d = env.id_of("/", "Documents").await;
    // No limit: the expiry is ignored.
    let v = env
        .post(
            "/share",
            json!({"id": w, "is_dir": false, "password": "", "downloads": -1, "expire": 1, "preview": true}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let url = v["data"].as_str().unwrap().to_string();
    assert!(url.contains("/s/"), "{url}");
    // With a limit the expiry counts.
    let v = env
        .post(
            "/share",
            json!({"id": d, "is_dir": true, "password": "pw", "downloads": 2, "expire": 3600, "preview": false}),
        )
        .await;
    assert_eq!(v["code"], 0);
    // A folder id as a file share is not found.
    let v = env
        .post("/share", json!({"id": d, "is_dir": false, "downloads": -1}))
        .await;
    assert_eq!(v["code"], 404);
    let list = env
        .get("/share?page=1&order_by=created_at&order=DESC")
        .await;
    assert_eq!(list["data"]["total"], 2, "{list}");
    let items = list["data"]["items"].as_array().unwrap();
    assert_eq!(items[0]["is_dir"], true);
    assert_eq!(items[0]["remain_downloads"], 2);
    let exp = items[0]["expire"].as_i64().unwrap();
    assert!((3590..=3600).contains(&exp), "{exp}");
    assert_eq!(items[1]["expire"], -1);
    assert_eq!(items[1]["remain_downloads"], -1);
    assert_eq!(items[1]["source"]["name"], "Welcome.txt");

    // A limited file share stops after its downloads, whatever the expiry.
    let v = env
        .post(
            "/share",
            json!({"id": w, "is_dir": false, "downloads": 1, "expire": 3600}),
        )
        .await;
    let key = v["data"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let mut anon = start(SandboxConfig::default()).await;
    anon.sb = std::mem::replace(&mut env.sb, anon.sb);
    let info = anon.get(&format!("/share/info/{key}")).await;
    assert_eq!(info["code"], 0, "{info}");
    assert_eq!(info["data"]["locked"], false);
    let dl = anon
        .call(Method::PUT, &format!("/share/download/{key}"), None)
        .await;
    assert_eq!(dl["code"], 0, "{dl}");
    let u = anon.absolute(dl["data"].as_str().unwrap());
    let body = anon
        .http
        .get(u)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"Welcome to the Cirrus sandbox.\n");
    let gone = anon.get(&format!("/share/info/{key}")).await;
    assert_eq!(gone["code"], 40058, "{gone}");
    std::mem::swap(&mut env.sb, &mut anon.sb);

    // Edit and delete.
    let first = items[1]["key"].as_str().unwrap();
    let v = env
        .patch(
            &format!("/share/{first}"),
            json!({"prop": "password", "value": "x"}),
        )
        .await;
    assert_eq!(v, json!({"code": 0, "data": "x", "msg": ""}));
    assert_eq!(
        env.call(Method::DELETE, &format!("/share/{first}"), None)
            .await["code"],
        0
    );
    assert_eq!(
        env.call(Method::DELETE, &format!("/share/{first}"), None)
            .await["code"],
        40058
    );
}

#[tokio::test]
async fn search_source_links_and_update() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let v = env.get("/file/search/keywords/report").await;
    assert_eq!(v["code"], 0, "{v}");
    let objs = v["data"]["objects"].as_array().unwrap();
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0]["path"], "/Documents");
    let v = env.get("/file/search/image/internal").await;
    assert_eq!(v["data"]["objects"][0]["name"], "sunset.jpg");
    let v = env.get("/file/search/keywords/txt?path=%2FPhotos").await;
    assert_eq!(v["data"]["objects"], json!([]));
    assert_eq!(env.get("/file/search/bogus/x").await["code"], 40001);

    let w = env.id_of("/", "Welcome.txt").await;
    let v = env.post("/file/source", json!({"items": [w]})).await;
    assert_eq!(v["code"], 0, "{v}");
    let url = v["data"][0]["url"].as_str().unwrap().to_string();
    assert!(
        url.contains("/f/") && url.ends_with("/Welcome.txt"),
        "{url}"
    );
    let body = env
        .http
        .get(&url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&body[..], b"Welcome to the Cirrus sandbox.\n");

    let r = env
        .req(Method::PUT, &format!("/file/update/{w}"))
        .body(b"new".to_vec());
    let v = env.send(r).await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(env.download("/", "Welcome.txt").await, b"new");
    assert_eq!(
        env.post("/file/create", json!({"path": "/e/empty.txt"}))
            .await["code"],
        0
    );
    assert_eq!(
        env.post("/file/create", json!({"path": "/e/empty.txt"}))
            .await["code"],
        40004
    );
    assert_eq!(env.download("/e", "empty.txt").await, b"");
}

#[tokio::test]
async fn offline_download_tasks_fetch_into_the_folder() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let w = env.id_of("/", "Welcome.txt").await;
    let src = env.post("/file/source", json!({"items": [w]})).await;
    let url = src["data"][0]["url"].as_str().unwrap().to_string();
    let v = env
        .post(
            "/aria2/url",
            json!({"url": [url.clone(), url.clone()], "dst": "/Empty Folder"}),
        )
        .await;
    assert_eq!(v["code"], 40015, "batch limit of the default group: {v}");
    let v = env
        .post("/aria2/url", json!({"url": [url], "dst": "/nope"}))
        .await;
    assert_eq!(v["code"], 40016);
    let v = env
        .post(
            "/aria2/url",
            json!({"url": [url_of(&src)], "dst": "/Empty Folder"}),
        )
        .await;
    assert_eq!(
        v,
        json!({"code": 0, "data": [{"code": 0, "msg": ""}], "msg": ""})
    );
    let mut finished = json!([]);
    for _ in 0..100 {
        finished = env.get("/aria2/finished?page=1").await["data"].clone();
        if finished.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(finished[0]["status"], 4, "{finished}");
    assert_eq!(finished[0]["name"], "Welcome.txt");
    assert_eq!(
        env.download("/Empty Folder", "Welcome.txt").await,
        b"Welcome to the Cirrus sandbox.\n"
    );
    let gid = finished[0]["gid"].as_str().unwrap();
    let v = env
        .call(Method::DELETE, &format!("/aria2/task/{gid}"), None)
        .await;
    assert_eq!(v["code"], 0);
    assert_eq!(env.get("/aria2/finished?page=1").await["data"], json!([]));
    assert_eq!(
        env.get("/aria2/downloading?page=1").await["data"],
        json!([])
    );
}

fn url_of(src: &serde_json::Value) -> String {
    src["data"][0]["url"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn webdav_accounts_crud() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let v = env
        .post(
            "/webdav/accounts",
            json!({"path": "/Documents", "name": "laptop"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let id = v["data"]["id"].as_u64().unwrap();
    assert_eq!(v["data"]["password"].as_str().unwrap().len(), 32);
    let v = env
        .patch("/webdav/accounts", json!({"id": id, "readonly": true}))
        .await;
    assert_eq!(v, json!({"code": 0, "data": {"readonly": true}, "msg": ""}));
    let l = env.get("/webdav/accounts").await;
    let a = &l["data"]["accounts"][0];
    assert_eq!(a["ID"], id);
    assert_eq!(a["Name"], "laptop");
    assert_eq!(a["Root"], "/Documents");
    assert_eq!(a["Readonly"], true);
    assert_eq!(a["UseProxy"], false);
    assert_eq!(
        env.post("/webdav/accounts", json!({"name": "x"})).await["code"],
        40001
    );
    let v = env
        .call(Method::DELETE, &format!("/webdav/accounts/{id}"), None)
        .await;
    assert_eq!(v["code"], 0);
    assert_eq!(
        env.get("/webdav/accounts").await["data"]["accounts"],
        json!([])
    );
}

#[tokio::test]
async fn thumbnails_are_served_as_content_and_failures_mark_the_file() {
    let mut env = v3_demo(SandboxConfig::default()).await;
    let photo = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/demo/Photos/Storm.jpg"
    ))
    .unwrap();
    env.upload_local("/t", "storm.jpg", &photo).await;
    env.upload_local("/t", "notes.txt", b"words").await;
    // Before any request both are worth asking about (`ShouldLoadThumb`).
    assert_eq!(env.object("/t", "storm.jpg").await.unwrap()["thumb"], true);
    assert_eq!(env.object("/t", "notes.txt").await.unwrap()["thumb"], true);

    let id = env.id_of("/t", "storm.jpg").await;
    let r = env
        .req(Method::GET, &format!("/file/thumb/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert!(r.headers().contains_key("last-modified"));
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..3], &[0xFF, 0xD8, 0xFF]);
    let small = image::load_from_memory(&body).unwrap();
    assert!(
        small.width() <= 400 && small.height() <= 300,
        "{}x{}",
        small.width(),
        small.height()
    );

    // A text file: HTTP 200, code -1, and listed without a thumbnail from then on.
    let id = env.id_of("/t", "notes.txt").await;
    let v = env.get(&format!("/file/thumb/{id}")).await;
    assert_eq!(v["code"], -1, "{v}");
    assert_eq!(v["msg"], "Failed to get thumbnail");
    assert_eq!(env.object("/t", "notes.txt").await.unwrap()["thumb"], false);
    assert_eq!(env.object("/t", "storm.jpg").await.unwrap()["thumb"], true);
    // An id that does not decode is refused by the HashID middleware.
    assert_eq!(env.get("/file/thumb/!!").await["code"], 40001);
}
