//! Request binding follows Go + Gin like real Cloudreve: `null` is "not set", unknown keys are
//! ignored, keys match case-insensitively, types stay strict, and query values go through
//! `strconv` (`extended=True`, `page_size=+10`).

mod common;

use cirrus_sandbox::{SandboxConfig, demo};
use common::*;
use reqwest::Method;
use serde_json::{Value, json};

fn assert_binding_error(v: &Value, msg: &str) {
    assert_eq!(v["code"], 40001, "{v}");
    assert_eq!(v["msg"], msg, "{v}");
    assert!(
        v.get("correlation_id").is_none(),
        "binding errors carry none: {v}"
    );
}

fn share_id(url: &Value) -> String {
    let u = url.as_str().expect("share url string");
    u.rsplit("/s/").next().unwrap().to_string()
}

#[tokio::test]
async fn share_create_and_edit_accept_null_for_optional_fields() {
    let env = demo(SandboxConfig::default()).await;
    let v = env
        .put(
            "/share",
            json!({"uri": "cloudreve://my/Welcome.txt", "downloads": null, "expire": null,
                   "is_private": null, "password": null, "share_view": null}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let id = share_id(&v["data"]);

    let edited = env
        .post(
            &format!("/share/{id}"),
            json!({"uri": "cloudreve://my/Welcome.txt", "downloads": null, "expire": null,
                   "show_readme": true}),
        )
        .await;
    assert_eq!(edited["code"], 0, "{edited}");
    let info = env.get(&format!("/share/info/{id}")).await;
    assert_eq!(info["code"], 0, "the share is kept: {info}");
    assert!(info["data"].get("remain_downloads").is_none(), "{info}");
    assert!(info["data"].get("expires").is_none(), "{info}");
    assert_eq!(info["data"]["show_readme"], true);
}

#[tokio::test]
async fn file_info_extended_takes_go_booleans() {
    let env = demo(SandboxConfig::default()).await;
    let uri = enc("cloudreve://my/Welcome.txt");
    for t in ["True", "1", "t", "TRUE", "true"] {
        let v = env.get(&format!("/file/info?uri={uri}&extended={t}")).await;
        assert_eq!(v["code"], 0, "{t}: {v}");
        assert!(v["data"]["extended_info"].is_object(), "{t}: {v}");
    }
    for f in ["False", "0", "f", ""] {
        let v = env.get(&format!("/file/info?uri={uri}&extended={f}")).await;
        assert_eq!(v["code"], 0, "{f}: {v}");
        assert!(v["data"].get("extended_info").is_none(), "{f}: {v}");
    }
    let v = env.get(&format!("/file/info?uri={uri}&extended=yes")).await;
    assert_binding_error(&v, "Invalid parameters.");
}

#[tokio::test]
async fn query_integers_follow_parse_int() {
    let env = demo(SandboxConfig::default()).await;
    // `+` is a space in a query, so the sign travels escaped.
    let v = env.get("/share?page_size=%2B10").await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["pagination"]["page_size"], 10, "{v}");
    assert_binding_error(
        &env.get("/share?page_size=10.0").await,
        "Invalid parameters.",
    );
    assert_binding_error(
        &env.get("/share?page_size=+10").await,
        "Invalid parameters.",
    );
    // The first of repeated values is the one bound.
    let v = env
        .get("/workflow?category=general&page_size=10&page_size=5")
        .await;
    assert_eq!(v["code"], 0, "{v}");
}

#[tokio::test]
async fn unknown_json_fields_are_ignored() {
    let env = demo(SandboxConfig::default()).await;
    let v = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/New", "type": "folder", "colour": "red",
                   "nested": {"deep": [1, null]}}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["name"], "New");
}

#[tokio::test]
async fn json_keys_match_case_insensitively() {
    let mut env = start(SandboxConfig::default()).await;
    let v = env
        .post(
            "/session/token",
            json!({"Email": demo::EMAIL, "PASSWORD": demo::PASSWORD}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    env.login(demo::EMAIL, demo::PASSWORD).await;
    let v = env
        .post(
            "/file/rename",
            json!({"URI": "cloudreve://my/Welcome.txt", "New_Name": "Hello.txt"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["name"], "Hello.txt");
}

#[tokio::test]
async fn numbers_sent_as_strings_are_type_errors() {
    let env = demo(SandboxConfig::default()).await;
    let v = env
        .put(
            "/share",
            json!({"uri": "cloudreve://my/Welcome.txt", "downloads": "5"}),
        )
        .await;
    assert_binding_error(&v, "JSON marshall error");
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/n.bin", "size": "3"}),
        )
        .await;
    assert_binding_error(&v, "JSON marshall error");
    let v = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/x", "type": "folder", "err_on_conflict": "true"}),
        )
        .await;
    assert_binding_error(&v, "JSON marshall error");
}

#[tokio::test]
async fn nulls_in_nested_values_are_zero_values() {
    let env = demo(SandboxConfig::default()).await;
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/n.bin", "size": 3, "last_modified": null,
                   "policy_id": null, "metadata": null, "encryption_supported": null,
                   "entity_type": null, "previous": null, "mime_type": null}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(
        env.delete(
            "/file",
            json!({"uris": ["cloudreve://my/Welcome.txt"], "unlink": null, "skip_soft_delete": null})
        )
        .await["code"],
        0
    );
}

#[tokio::test]
async fn empty_or_broken_bodies_are_parameter_errors() {
    let env = demo(SandboxConfig::default()).await;
    for body in ["", "   ", "{\"uri\":", "not json"] {
        let r = env
            .req(Method::POST, "/file/create")
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let v: Value = r.json().await.unwrap();
        assert_binding_error(&v, "Invalid parameters.");
    }
    // A JSON null body binds nothing, so validation speaks.
    let r = env
        .req(Method::POST, "/session/token/refresh")
        .body("null")
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_binding_error(&v, "RefreshToken cannot be empty");
}
