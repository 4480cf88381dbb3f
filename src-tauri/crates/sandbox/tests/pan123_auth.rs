//! 123pan Open Platform: `Platform` header, envelope, access tokens (expiry, 3 per client id),
//! user info and the per-endpoint QPS limiter, over raw HTTP.

mod pan123_common;

use std::time::Duration;

use cirrus_sandbox::demo;
use pan123_common::start;
use serde_json::json;

#[tokio::test]
async fn platform_header_is_required_and_envelope_has_trace_id() {
    let env = start(false).await;
    // Without `Platform: open_platform`: HTTP 200, body code 401, data null.
    let r = env
        .http
        .get(env.url("/api/v1/user/info"))
        .header("Authorization", format!("Bearer {}", env.token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_ne!(v["code"], 0, "{v}");
    assert!(v["data"].is_null());
    // The token request needs it too.
    let r = env
        .http
        .post(env.url("/api/v1/access_token"))
        .json(&json!({"clientID": demo::PAN123_CLIENT_ID, "clientSecret": demo::PAN123_CLIENT_SECRET}))
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_ne!(v["code"], 0, "{v}");

    let v = env.get("/api/v1/user/info").await;
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "{v}");
    assert_eq!(v["code"], 0);
    assert_eq!(v["message"], "ok");
    assert!(v["x-traceID"].is_string());
    let d = &v["data"];
    assert_eq!(d["mail"], demo::EMAIL);
    for k in [
        "uid",
        "nickname",
        "headImage",
        "passport",
        "spaceUsed",
        "spacePermanent",
        "spaceTemp",
        "vip",
        "directTraffic",
        "developerInfo",
    ] {
        assert!(d.get(k).is_some(), "user info lacks {k}: {d}");
    }
    assert!(d["spaceUsed"].as_u64().unwrap() > 0, "demo tree is charged");
}

#[tokio::test]
async fn token_shape_wrong_secret_and_bad_bearer() {
    let env = start(false).await;
    let v = env
        .raw_post(
            "/api/v1/access_token",
            None,
            json!({"clientID": demo::PAN123_CLIENT_ID, "clientSecret": demo::PAN123_CLIENT_SECRET}),
        )
        .await;
    let exp = v["data"]["expiredAt"].as_str().unwrap();
    assert!(exp.ends_with("+08:00"), "{exp}");
    let parsed = chrono::DateTime::parse_from_rfc3339(exp).unwrap();
    let days = (parsed.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_days();
    assert!((29..=30).contains(&days), "30-day token: {days}");

    let v = env
        .raw_post(
            "/api/v1/access_token",
            None,
            json!({"clientID": demo::PAN123_CLIENT_ID, "clientSecret": "nope"}),
        )
        .await;
    assert_ne!(v["code"], 0);
    assert!(v["data"].is_null());

    assert_eq!(
        env.get_with("/api/v1/user/info", "garbage").await["code"],
        401
    );
    // "Bearer" with a single space is the scheme; no scheme is no token.
    let r = env
        .http
        .get(env.url("/api/v1/user/info"))
        .header("Platform", "open_platform")
        .header("Authorization", env.token.clone())
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["code"], 401);
}

#[tokio::test]
async fn at_most_three_live_tokens_per_client_the_fourth_kicks_the_oldest() {
    let env = start(false).await;
    let t2 = env.new_token().await;
    let t3 = env.new_token().await;
    for t in [&env.token, &t2, &t3] {
        assert_eq!(env.get_with("/api/v1/user/info", t).await["code"], 0);
    }
    let t4 = env.new_token().await;
    assert_eq!(
        env.get_with("/api/v1/user/info", &env.token).await["code"],
        401
    );
    for t in [&t2, &t3, &t4] {
        assert_eq!(env.get_with("/api/v1/user/info", t).await["code"], 0);
    }
    let s = env.sb.pan123_stats();
    assert_eq!(s.tokens_issued, 4);
    assert_eq!(s.tokens_evicted, 1);
}

#[tokio::test]
async fn tokens_expire() {
    let env = start(false).await;
    env.sb.set_pan123_token_ttl(Duration::from_secs(1));
    let t = env.new_token().await;
    assert_eq!(env.get_with("/api/v1/user/info", &t).await["code"], 0);
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(env.get_with("/api/v1/user/info", &t).await["code"], 401);
    // The long-lived one is unaffected.
    assert_eq!(env.get("/api/v1/user/info").await["code"], 0);
}

#[tokio::test]
async fn qps_limits_answer_429_and_can_be_switched_off() {
    let env = start(true).await;
    // file/delete: 1 QPS on the free tier.
    let body = json!({"fileIDs": [999_999]});
    assert_eq!(
        env.post("/api/v1/file/delete", body.clone()).await["code"],
        0
    );
    let v = env.post("/api/v1/file/delete", body.clone()).await;
    assert_eq!(v["code"], 429, "{v}");
    assert!(v["data"].is_null());
    // v1 list: 0.2 QPS.
    assert_eq!(
        env.get("/api/v1/file/list?parentFileId=0&page=1&limit=10")
            .await["code"],
        0
    );
    assert_eq!(
        env.get("/api/v1/file/list?parentFileId=0&page=1&limit=10")
            .await["code"],
        429
    );
    // v2 list: 5 QPS, a burst of 5 passes, the 6th does not.
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(env.get("/api/v2/file/list?parentFileId=0&limit=10").await["code"].clone());
    }
    assert_eq!(codes[..5], vec![json!(0); 5]);
    assert_eq!(codes[5], 429);
    // After a second the bucket refilled.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        env.post("/api/v1/file/delete", body.clone()).await["code"],
        0
    );
    let s = env.sb.pan123_stats();
    assert_eq!(s.throttled["/api/v1/file/delete"], 1);
    assert_eq!(s.throttled["/api/v2/file/list"], 1);
    assert_eq!(s.requests["/api/v1/file/delete"], 3);

    env.sb.set_pan123_qps_limit(false);
    for _ in 0..5 {
        assert_eq!(
            env.post("/api/v1/file/delete", body.clone()).await["code"],
            0
        );
    }
}
