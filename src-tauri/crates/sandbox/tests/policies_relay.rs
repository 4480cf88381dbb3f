//! Relay policies: an object-storage policy with `relay: true` takes the whole file through
//! Cloudreve's chunk endpoint in one request and is encrypted by the server.

mod policies_common;

use cirrus_sandbox::policy::PolicyKind;
use policies_common::*;
use serde_json::json;

#[tokio::test]
async fn relay_one_request_with_server_side_encryption() {
    let env = env_with(PolicyKind::Relay, 1024, true).await;
    let data = pattern(3000);
    let s = create_session(
        &env,
        "cloudreve://my/relay/r.bin",
        data.len(),
        json!({"encryption_supported": ["aes-256-ctr"]}),
    )
    .await;
    assert_eq!(s["chunk_size"], 0, "relay sessions are one request");
    assert_eq!(s["storage_policy"]["relay"], true);
    assert_eq!(s["storage_policy"]["type"], "s3");
    assert!(s.get("encrypt_metadata").is_none(), "the server encrypts");
    assert!(s.get("upload_urls").is_none());
    let sid = s["session_id"].as_str().unwrap();
    assert_eq!(env.chunk(sid, 1, vec![0; 10]).await["code"], 40012);
    let v = env.chunk(sid, 0, data[..1024].to_vec()).await;
    assert_eq!(v["msg"], "Invalid Content-Length (expected: 3000)");
    assert_eq!(env.chunk(sid, 0, data.clone()).await["code"], 0);
    assert_eq!(
        entry(&env, "cloudreve://my/relay", "r.bin").await["size"],
        3000
    );
    assert_eq!(
        sha(&fetch(&env, "cloudreve://my/relay/r.bin").await),
        sha(&data)
    );

    // Empty file.
    let s = create_session(&env, "cloudreve://my/relay/empty", 0, json!({})).await;
    assert_eq!(
        env.chunk(s["session_id"].as_str().unwrap(), 0, vec![])
            .await["code"],
        0
    );
    assert!(fetch(&env, "cloudreve://my/relay/empty").await.is_empty());
}

#[tokio::test]
async fn policy_is_chosen_per_user_and_per_folder() {
    let env = env_with(PolicyKind::Local, 1024, false).await;
    let ty = |s: &serde_json::Value| s["storage_policy"]["type"].as_str().unwrap().to_string();
    let s = create_session(&env, "cloudreve://my/a", 1, json!({})).await;
    assert_eq!(ty(&s), "local");
    env.sb
        .set_folder_policy(cirrus_sandbox::demo::EMAIL, "/to-node", PolicyKind::Remote)
        .unwrap();
    let s = create_session(&env, "cloudreve://my/to-node/deeper/b", 1, json!({})).await;
    assert_eq!(ty(&s), "remote");
    env.sb
        .set_user_policy(cirrus_sandbox::demo::EMAIL, PolicyKind::Relay)
        .unwrap();
    let s = create_session(&env, "cloudreve://my/c", 1, json!({})).await;
    assert_eq!(s["storage_policy"]["relay"], true);
    let s = create_session(&env, "cloudreve://my/to-node/d", 1, json!({})).await;
    assert_eq!(ty(&s), "remote", "folder beats user");
    // `policy_id` in the request is ignored, as on the real server.
    env.sb
        .set_policy_chunking(PolicyKind::Remote, 4096, 5)
        .unwrap();
    let s = create_session(&env, "cloudreve://my/to-node/e", 10_000, json!({})).await;
    assert_eq!(s["chunk_size"], 4096);
    assert_eq!(s["storage_policy"]["chunk_concurrency"], 5);
}
