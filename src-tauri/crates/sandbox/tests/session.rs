//! Sessions, tokens and the envelope.

mod common;

use std::time::Duration;

use cirrus_sandbox::{SandboxConfig, demo};
use common::*;
use serde_json::json;

#[tokio::test]
async fn ping_and_envelope_shapes() {
    let env = start(SandboxConfig::default()).await;
    let v = env.get("/site/ping").await;
    assert_eq!(v, json!({"code": 0, "data": "4.18.0", "msg": ""}));

    // Typed error: code + msg + correlation id, no data.
    let v = env.get("/user/me").await;
    assert_eq!(v["code"], 401);
    assert_eq!(v["msg"], "Login required");
    assert!(is_uuid(&v["correlation_id"]));
    assert!(v.get("data").is_none());

    // Binding error: 40001 without correlation id.
    let v = env.post("/session/token", json!({"password": "x"})).await;
    assert_eq!(v["code"], 40001);
    assert_eq!(v["msg"], "Email cannot be empty");
    assert!(v.get("correlation_id").is_none());

    // The client can choose the correlation id.
    let cid = uuid::Uuid::new_v4().to_string();
    let v: serde_json::Value = env
        .http
        .get(env.api("/user/me"))
        .header("X-Cr-Correlation-Id", &cid)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["correlation_id"], cid);

    // Unknown routes are gin's plain-text 404.
    let r = env.http.get(env.api("/nope")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.text().await.unwrap(), "404 page not found");

    // Cache header on API responses.
    let r = env.http.get(env.api("/site/ping")).send().await.unwrap();
    assert_eq!(r.headers()["cache-control"], "private, no-cache");
}

#[tokio::test]
async fn login_success_and_wrong_password() {
    let env = start(SandboxConfig::default()).await;
    let v = env
        .post(
            "/session/token",
            json!({"email": demo::EMAIL, "password": "nope-nope"}),
        )
        .await;
    assert_eq!(v["code"], 40080);
    assert_eq!(v["msg"], "Incorrect password or email address");
    let v = env
        .post(
            "/session/token",
            json!({"email": "ghost@x.y", "password": "whatever"}),
        )
        .await;
    assert_eq!(v["code"], 40080);

    let v = env
        .post(
            "/session/token",
            json!({"email": demo::EMAIL, "password": demo::PASSWORD}),
        )
        .await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["data"]["user"]["email"], demo::EMAIL);
    let t = &v["data"]["token"];
    for k in [
        "access_token",
        "refresh_token",
        "access_expires",
        "refresh_expires",
    ] {
        assert!(t[k].is_string(), "{k}");
    }
    let exp = chrono::DateTime::parse_from_rfc3339(t["access_expires"].as_str().unwrap()).unwrap();
    let left = exp.timestamp() - chrono::Utc::now().timestamp();
    assert!((3500..=3601).contains(&left), "access ttl {left}");

    // JWT claims as the real server writes them.
    use base64::Engine;
    let claims = |tok: &str| -> serde_json::Value {
        let p = tok.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p)
                .unwrap(),
        )
        .unwrap()
    };
    let a = claims(t["access_token"].as_str().unwrap());
    assert_eq!(a["token_type"], "access");
    assert_eq!(a["sub"], v["data"]["user"]["id"]);
    assert!(a["exp"].is_i64() && a["nbf"].is_i64());
    let r = claims(t["refresh_token"].as_str().unwrap());
    assert_eq!(r["token_type"], "refresh");
    assert!(is_uuid(&r["root_token_id"]));
    assert!(r["state_hash"].is_string());
}

#[tokio::test]
async fn two_factor_flow() {
    let mut env = start(SandboxConfig::default()).await;
    let v = env
        .post(
            "/session/token",
            json!({"email": demo::TOTP_EMAIL, "password": demo::TOTP_PASSWORD}),
        )
        .await;
    assert_eq!(v["code"], 203);
    assert_eq!(v["msg"], "");
    let sid = v["data"].as_str().unwrap().to_string();
    assert!(is_uuid(&v["data"]));

    let wrong = env
        .post(
            "/session/token/2fa",
            json!({"otp": "000000", "session_id": sid}),
        )
        .await;
    let good_code = demo::totp_code(demo::TOTP_SECRET);
    if good_code != "000000" {
        assert_eq!(wrong["code"], 40022);
    }
    let unknown = env
        .post(
            "/session/token/2fa",
            json!({"otp": good_code, "session_id": uuid::Uuid::new_v4()}),
        )
        .await;
    assert_eq!(unknown["code"], 404);

    let v = env
        .post(
            "/session/token/2fa",
            json!({"otp": demo::totp_code(demo::TOTP_SECRET), "session_id": sid}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["user"]["email"], demo::TOTP_EMAIL);
    env.token = Some(v["data"]["token"]["access_token"].as_str().unwrap().into());
    assert_eq!(env.get("/user/me").await["data"]["email"], demo::TOTP_EMAIL);

    // The 2FA session is single use.
    let again = env
        .post(
            "/session/token/2fa",
            json!({"otp": demo::totp_code(demo::TOTP_SECRET), "session_id": sid}),
        )
        .await;
    assert_eq!(again["code"], 404);
}

#[tokio::test]
async fn refresh_without_rotation_and_sign_out_revokes_family() {
    let mut env = start(SandboxConfig::default()).await;
    let v = env.login(demo::EMAIL, demo::PASSWORD).await;
    let r1 = v["data"]["token"]["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    let a = env
        .post("/session/token/refresh", json!({"refresh_token": r1}))
        .await;
    assert_eq!(a["code"], 0, "{a}");
    assert!(a["data"].get("user").is_none());
    let r2 = a["data"]["refresh_token"].as_str().unwrap().to_string();
    // No rotation: the first refresh token still works.
    let b = env
        .post("/session/token/refresh", json!({"refresh_token": r1}))
        .await;
    assert_eq!(b["code"], 0);
    // New access token works.
    env.token = Some(b["data"]["access_token"].as_str().unwrap().into());
    assert_eq!(env.get("/user/me").await["code"], 0);

    let bad = env
        .post(
            "/session/token/refresh",
            json!({"refresh_token": "garbage"}),
        )
        .await;
    assert_eq!(bad["code"], 40020);
    assert_eq!(bad["msg"], "Failed to issue token pair");

    let out = env
        .delete("/session/token", json!({"refresh_token": r2}))
        .await;
    assert_eq!(out, json!({"code": 0, "data": "", "msg": ""}));
    for r in [&r1, &r2] {
        let v = env
            .post("/session/token/refresh", json!({"refresh_token": r}))
            .await;
        assert_eq!(v["code"], 40020, "family revoked");
    }
    // Access tokens are stateless and survive sign-out.
    assert_eq!(env.get("/user/me").await["code"], 0);
    let v = env
        .delete("/session/token", json!({"refresh_token": "nope"}))
        .await;
    assert_eq!(v["code"], 40020);
}

#[tokio::test]
async fn expired_or_garbage_access_token_is_anonymous() {
    let mut env = demo(SandboxConfig {
        access_ttl: Duration::from_secs(1),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(env.get("/user/me").await["code"], 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let me = env.get("/user/me").await;
    assert_eq!(me["code"], 401);
    let l = env.list("cloudreve://my", "").await;
    assert_eq!(l["code"], 401);
    assert_eq!(l["msg"], "Login required");
    // Public routes still answer.
    assert_eq!(env.get("/site/ping").await["code"], 0);
    let basic = env.get("/site/config/basic").await;
    assert_eq!(basic["data"]["user"]["anonymous"], true);

    env.token = Some("not.a.jwt".into());
    assert_eq!(env.get("/user/me").await["code"], 401);
    assert_eq!(env.get("/site/ping").await["code"], 0);
}

#[tokio::test]
async fn refresh_token_as_bearer_is_invalid_token_type() {
    let mut env = start(SandboxConfig::default()).await;
    let v = env.login(demo::EMAIL, demo::PASSWORD).await;
    env.token = Some(v["data"]["token"]["refresh_token"].as_str().unwrap().into());
    for path in ["/user/me", "/site/ping"] {
        let v = env.get(path).await;
        assert_eq!(v["code"], 40020, "{path}");
        assert_eq!(v["msg"], "Invalid token type");
    }
}

#[tokio::test]
async fn captcha_required_when_enabled() {
    let env = start(SandboxConfig {
        login_captcha: true,
        ..SandboxConfig::default()
    })
    .await;
    let cfg = env.get("/site/config/login").await;
    assert_eq!(cfg["data"]["login_captcha"], true);
    let v = env
        .post(
            "/session/token",
            json!({"email": demo::EMAIL, "password": demo::PASSWORD}),
        )
        .await;
    assert_eq!(v["code"], 40026);
    let c = env.get("/site/captcha").await;
    assert!(
        c["data"]["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    let ticket = c["data"]["ticket"].as_str().unwrap();
    let v = env
        .post(
            "/session/token",
            json!({"email": demo::EMAIL, "password": demo::PASSWORD, "ticket": ticket, "captcha": "cirrus"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");

    let off = start(SandboxConfig::default()).await;
    assert!(
        off.get("/site/config/login").await["data"]
            .get("login_captcha")
            .is_none()
    );
}

#[tokio::test]
async fn prepare_login_and_capacity() {
    let env = demo(SandboxConfig::default()).await;
    let v = env
        .get(&format!("/session/prepare?email={}", enc(demo::EMAIL)))
        .await;
    assert_eq!(v["data"]["password_enabled"], true);
    let v = env.get("/session/prepare?email=ghost%40nowhere.io").await;
    assert_eq!(v["code"], 404);
    let cap = env.get("/user/capacity").await;
    assert_eq!(cap["data"]["total"], 1u64 << 30);
    assert!(
        cap["data"]["used"].as_u64().unwrap() > 0,
        "demo tree has content"
    );
}

#[tokio::test]
async fn drop_and_shutdown_stop_the_server() {
    let http = reqwest::Client::new();
    let sb = cirrus_sandbox::Sandbox::start(SandboxConfig::default())
        .await
        .unwrap();
    let url = format!("{}/api/v4/site/ping", sb.base_url());
    assert!(sb.base_url().starts_with("http://127.0.0.1:") && !sb.base_url().ends_with('/'));
    assert_eq!(
        sb.addr().port(),
        url.split(':')
            .nth(2)
            .unwrap()
            .split('/')
            .next()
            .unwrap()
            .parse::<u16>()
            .unwrap()
    );
    assert!(http.get(&url).send().await.is_ok());
    drop(sb);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        reqwest::Client::new().get(&url).send().await.is_err(),
        "dropped sandbox still serving"
    );

    let sb = cirrus_sandbox::Sandbox::start(SandboxConfig::default())
        .await
        .unwrap();
    let url = format!("{}/api/v4/site/ping", sb.base_url());
    sb.shutdown().await;
    assert!(
        reqwest::Client::new().get(&url).send().await.is_err(),
        "shut-down sandbox still serving"
    );
}
