//! File versions (entities of type 0) and the search filters a client uses.

mod common;

use cirrus_sandbox::SandboxConfig;
use cirrus_sandbox::seed_versions::{FILE, FOLDER, VERSIONS};
use common::*;
use serde_json::{Value, json};

fn demo_doc() -> String {
    format!("cloudreve://my/{FOLDER}/{FILE}")
}

async fn versions(env: &Env, uri: &str) -> Vec<Value> {
    let v = env
        .get(&format!("/file/info?uri={}&extended=true", enc(uri)))
        .await;
    assert_eq!(v["code"], 0, "{v}");
    v["data"]["extended_info"]["entities"]
        .as_array()
        .unwrap()
        .clone()
}

async fn download_version(env: &Env, uri: &str, version: &str) -> Vec<u8> {
    let v = env
        .post("/file/url", json!({"uris": [uri], "entity": version}))
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let url = v["data"]["urls"][0]["url"].as_str().unwrap();
    env.http
        .get(url)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn demo_document_has_three_versions_newest_first() {
    let env = demo(SandboxConfig::default()).await;
    let list = versions(&env, &demo_doc()).await;
    assert_eq!(list.len(), 3);
    let sizes: Vec<u64> = list.iter().map(|e| e["size"].as_u64().unwrap()).collect();
    let want: Vec<u64> = VERSIONS.iter().rev().map(|v| v.len() as u64).collect();
    assert_eq!(sizes, want);
    assert!(list.iter().all(|e| e["type"] == 0));
    // Each version downloads its own bytes.
    let oldest = list[2]["id"].as_str().unwrap();
    assert_eq!(
        download_version(&env, &demo_doc(), oldest).await,
        VERSIONS[0].as_bytes()
    );
    assert_eq!(env.download(&demo_doc()).await, VERSIONS[2].as_bytes());
}

#[tokio::test]
async fn making_an_old_version_current_changes_size_and_content() {
    let env = demo(SandboxConfig::default()).await;
    let list = versions(&env, &demo_doc()).await;
    let oldest = list[2]["id"].as_str().unwrap().to_string();
    let v = env
        .post(
            "/file/version/current",
            json!({"uri": demo_doc(), "version": oldest}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let info = env
        .get(&format!("/file/info?uri={}", enc(&demo_doc())))
        .await;
    assert_eq!(info["data"]["size"], VERSIONS[0].len() as u64);
    assert_eq!(info["data"]["primary_entity"], oldest.as_str());
    assert_eq!(env.download(&demo_doc()).await, VERSIONS[0].as_bytes());
    // No version is lost by switching.
    assert_eq!(versions(&env, &demo_doc()).await.len(), 3);
}

#[tokio::test]
async fn deleting_versions_follows_cloudreve_rules() {
    let env = demo(SandboxConfig::default()).await;
    let list = versions(&env, &demo_doc()).await;
    let current = list[0]["id"].as_str().unwrap().to_string();
    let older = list[1]["id"].as_str().unwrap().to_string();
    let del = |version: String, uri: String| {
        let env = &env;
        async move {
            env.delete("/file/version", json!({"uri": uri, "version": version}))
                .await
        }
    };
    // The current version cannot be deleted.
    assert_eq!(del(current.clone(), demo_doc()).await["code"], 403);
    // Folders have no versions.
    assert_eq!(
        del(older.clone(), format!("cloudreve://my/{FOLDER}")).await["code"],
        403
    );
    // Unknown version.
    assert_eq!(del("zzzz".into(), demo_doc()).await["code"], 40077);
    // Missing file.
    assert_eq!(
        del(older.clone(), "cloudreve://my/nope.md".into()).await["code"],
        40016
    );
    let ok = del(older.clone(), demo_doc()).await;
    assert_eq!(ok["code"], 0, "{ok}");
    let left: Vec<String> = versions(&env, &demo_doc())
        .await
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(left.len(), 2);
    assert!(!left.contains(&older));
    // A deleted version is no longer a version of the file.
    let again = env
        .post(
            "/file/version/current",
            json!({"uri": demo_doc(), "version": older}),
        )
        .await;
    assert_eq!(again["code"], 40077);
    // Signed out: login required.
    let mut anon = env.http.delete(env.api("/file/version"));
    anon = anon.json(&json!({"uri": demo_doc(), "version": current}));
    let v: Value = anon.send().await.unwrap().json().await.unwrap();
    assert_eq!(v["code"], 401);
}

#[tokio::test]
async fn writes_add_versions_up_to_the_retention_limit() {
    let env = demo(SandboxConfig {
        max_versions: 2,
        ..SandboxConfig::default()
    })
    .await;
    let uri = "cloudreve://my/log.txt";
    assert_eq!(env.write(uri, b"one").await["code"], 0);
    assert_eq!(versions(&env, uri).await.len(), 1);
    assert_eq!(env.write(uri, b"two!").await["code"], 0);
    let list = versions(&env, uri).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["size"], 4);
    assert_eq!(list[1]["size"], 3);
    // A third write drops the oldest version.
    assert_eq!(env.write(uri, b"three").await["code"], 0);
    let list = versions(&env, uri).await;
    let sizes: Vec<u64> = list.iter().map(|e| e["size"].as_u64().unwrap()).collect();
    assert_eq!(sizes, vec![5, 4]);
    // With the default (retention off) a write replaces the only version.
    let plain = demo(SandboxConfig::default()).await;
    plain.write(uri, b"one").await;
    plain.write(uri, b"two!").await;
    assert_eq!(versions(&plain, uri).await.len(), 1);
}

#[tokio::test]
async fn search_filters_by_size_date_and_depth() {
    let env = demo(SandboxConfig::default()).await;
    env.write("cloudreve://my/A/B/deep-report.txt", &[b'x'; 100])
        .await;
    env.write("cloudreve://my/A/small-report.txt", b"x").await;
    let q = |s: &str| format!("cloudreve://my?{s}");
    // Recursive: two folders down.
    let v = env.list(&q("name=deep&case_folding"), "").await;
    assert_eq!(Env::names(&v), vec!["deep-report.txt"]);
    assert_eq!(
        v["data"]["files"][0]["path"],
        "cloudreve://my/A/B/deep-report.txt"
    );
    // Size range: both bounds are applied.
    let big = Env::names(
        &env.list(&q("name=report&size_gte=50&size_lte=1000"), "")
            .await,
    );
    assert_eq!(big, vec!["deep-report.txt"]);
    // Only a lower bound means an upper bound of 0: nothing matches.
    assert!(Env::names(&env.list(&q("name=report&size_gte=50"), "").await).is_empty());
    // Updated range in Unix seconds.
    let now = chrono::Utc::now().timestamp();
    let recent = Env::names(
        &env.list(
            &q(&format!(
                "name=-report&updated_gte={}&updated_lte={}",
                now - 60,
                now + 60
            )),
            "",
        )
        .await,
    );
    assert_eq!(recent.len(), 2, "{recent:?}");
    let old = Env::names(
        &env.list(&q(&format!("name=-report&updated_lte={}", now - 3600)), "")
            .await,
    );
    assert!(old.is_empty());
    // Below a folder only, and category.
    let in_b = Env::names(&env.list("cloudreve://my/A/B?name=report", "").await);
    assert_eq!(in_b, vec!["deep-report.txt"]);
    let docs = Env::names(&env.list(&q("category=document&name=report"), "").await);
    assert!(docs.contains(&"deep-report.txt".to_string()), "{docs:?}");
    assert!(!docs.contains(&"sunset.jpg".to_string()));
}
