//! Create, rename, move/copy, delete, trash, restore and quota.

mod common;

use cirrus_sandbox::SandboxConfig;
use common::*;
use serde_json::json;

#[tokio::test]
async fn create_and_rename_rules() {
    let env = demo(SandboxConfig::default()).await;
    let v = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/a/b/c", "type": "folder"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["path"], "cloudreve://my/a/b/c");
    assert_eq!(v["data"]["type"], 1);
    assert!(v["data"]["metadata"].is_null());
    // Same type again: returns the existing object, unless err_on_conflict.
    let again = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/a/b/c", "type": "folder"}),
        )
        .await;
    assert_eq!(again["data"]["id"], v["data"]["id"]);
    let conflict = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/a/b/c", "type": "folder", "err_on_conflict": true}),
        )
        .await;
    assert_eq!(conflict["code"], 40004);
    assert_eq!(conflict["msg"], "Object existed");
    let other_type = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/a/b/c", "type": "file"}),
        )
        .await;
    assert_eq!(other_type["code"], 40004);
    let bad = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/a/x%3Ay", "type": "file"}),
        )
        .await;
    assert_eq!(bad["code"], 40052);
    assert_eq!(bad["msg"], "Invalid object name");
    let f = env
        .post(
            "/file/create",
            json!({"uri": "cloudreve://my/a/empty.txt", "type": "file"}),
        )
        .await;
    assert_eq!(f["data"]["size"], 0);

    let r = env
        .post(
            "/file/rename",
            json!({"uri": "cloudreve://my/a/empty.txt", "new_name": "new name.txt"}),
        )
        .await;
    assert_eq!(r["code"], 0);
    assert_eq!(r["data"]["path"], "cloudreve://my/a/new%20name.txt");
    let clash = env
        .post(
            "/file/rename",
            json!({"uri": "cloudreve://my/a/new%20name.txt", "new_name": "b"}),
        )
        .await;
    assert_eq!(clash["code"], 40004);
    let illegal = env
        .post(
            "/file/rename",
            json!({"uri": "cloudreve://my/a/b", "new_name": "x/y"}),
        )
        .await;
    assert_eq!(illegal["code"], 40052);
    let root = env
        .post(
            "/file/rename",
            json!({"uri": "cloudreve://my", "new_name": "x"}),
        )
        .await;
    assert_eq!(root["code"], 403);
    assert_eq!(root["msg"], "Not supported action");
    let missing = env
        .post(
            "/file/rename",
            json!({"uri": "cloudreve://my/ghost", "new_name": "x"}),
        )
        .await;
    assert_eq!(missing["code"], 40016);
}

#[tokio::test]
async fn move_and_copy_with_partial_failures() {
    let env = demo(SandboxConfig::default()).await;
    env.post(
        "/file/create",
        json!({"uri": "cloudreve://my/dst", "type": "folder"}),
    )
    .await;
    // One good item, one missing: the good one moves, the missing one is aggregated under
    // the server's re-serialised URI.
    let v = env
        .post(
            "/file/move",
            json!({"uris": ["cloudreve://my/Welcome.txt", "cloudreve://MY/no such/file.txt/"], "dst": "cloudreve://my/dst"}),
        )
        .await;
    assert_eq!(v["code"], 40081, "{v}");
    assert_eq!(v["msg"], "Path not exist");
    let agg = v["aggregated_error"].as_object().unwrap();
    assert_eq!(agg.len(), 1);
    let item = &agg["cloudreve://my/no%20such/file.txt"];
    assert_eq!(item["code"], 40016);
    assert!(is_uuid(&item["correlation_id"]));
    assert_eq!(
        Env::names(&env.list("cloudreve://my/dst", "").await),
        vec!["Welcome.txt"]
    );

    // Two failures → generic message.
    let v = env
        .post(
            "/file/move",
            json!({"uris": ["cloudreve://my/x1", "cloudreve://my"], "dst": "cloudreve://my/dst"}),
        )
        .await;
    assert_eq!(v["msg"], "One or more operation failed");
    assert_eq!(v["aggregated_error"]["cloudreve://my/"]["code"], 403);

    // Into itself → 403 per item.
    let v = env
        .post(
            "/file/move",
            json!({"uris": ["cloudreve://my/dst"], "dst": "cloudreve://my/dst"}),
        )
        .await;
    assert_eq!(v["aggregated_error"]["cloudreve://my/dst"]["code"], 403);

    // Copy shares content; a collision aborts the whole batch.
    let v = env
        .post("/file/move", json!({"uris": ["cloudreve://my/Documents"], "dst": "cloudreve://my/dst", "copy": true}))
        .await;
    assert_eq!(v, json!({"code": 0, "msg": ""}));
    let copied = env
        .download("cloudreve://my/dst/Documents/Report%202024.txt")
        .await;
    assert_eq!(copied, b"Quarterly numbers.\n");
    let v = env
        .post(
            "/file/move",
            json!({"uris": ["cloudreve://my/Photos", "cloudreve://my/Documents"], "dst": "cloudreve://my/dst"}),
        )
        .await;
    assert_eq!(v["code"], 40004);
    // Photos did not move (transaction aborted).
    assert_eq!(env.list("cloudreve://my/Photos", "").await["code"], 0);
    assert_eq!(
        env.list("cloudreve://my/dst/Photos", "").await["code"],
        40016
    );
}

#[tokio::test]
async fn soft_delete_trash_restore_and_purge() {
    let env = demo(SandboxConfig::default()).await;
    let before = env.get("/user/capacity").await["data"]["used"]
        .as_u64()
        .unwrap();
    let v = env
        .delete(
            "/file",
            json!({"uris": ["cloudreve://my/Documents/notes%20%231.md", "cloudreve://my/Photos"]}),
        )
        .await;
    assert_eq!(v, json!({"code": 0, "msg": ""}));
    assert_eq!(env.list("cloudreve://my/Photos", "").await["code"], 40016);

    let t = env.list("cloudreve://trash", "").await;
    assert_eq!(t["code"], 0, "{t}");
    assert_eq!(t["data"]["props"]["capability"], "AMIK");
    assert_eq!(t["data"]["parent"]["id"], "");
    assert_eq!(t["data"]["parent"]["created_at"], "0001-01-01T00:00:00Z");
    let items = t["data"]["files"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    let notes = items
        .iter()
        .find(|f| f["name"] == "notes #1.md")
        .expect("display name");
    let path = notes["path"].as_str().unwrap();
    let internal = path.strip_prefix("cloudreve://trash/").unwrap();
    assert!(uuid::Uuid::parse_str(internal).is_ok(), "{path}");
    assert_eq!(
        notes["metadata"]["sys:restore_uri"],
        "cloudreve://my/Documents/notes%20%231.md"
    );
    let collect: i64 = notes["metadata"]["sys:expected_collect_time"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(collect > chrono::Utc::now().timestamp() + 6 * 86400);

    // Deleting a trash item without skip_soft_delete is refused per item.
    let v = env.delete("/file", json!({"uris": [path]})).await;
    assert_eq!(v["code"], 40081);
    assert_eq!(v["aggregated_error"][path]["code"], 403);

    // Restore puts it back under its original name.
    let v = env.post("/file/restore", json!({"uris": [path]})).await;
    assert_eq!(v["code"], 0, "{v}");
    let docs = Env::names(&env.list("cloudreve://my/Documents", "").await);
    assert!(docs.contains(&"notes #1.md".to_string()));
    let meta = env
        .get(&format!(
            "/file/info?uri={}",
            enc("cloudreve://my/Documents/notes%20%231.md")
        ))
        .await;
    assert!(meta["data"]["metadata"].get("sys:restore_uri").is_none());

    // Restore conflict: recreate Photos, then restoring the trashed Photos collides.
    let photos = items.iter().find(|f| f["name"] == "Photos").unwrap()["path"]
        .as_str()
        .unwrap()
        .to_string();
    env.post(
        "/file/create",
        json!({"uri": "cloudreve://my/Photos", "type": "folder"}),
    )
    .await;
    let v = env
        .post("/file/restore", json!({"uris": [photos.clone()]}))
        .await;
    assert_eq!(v["aggregated_error"][photos.as_str()]["code"], 40004);

    // Trash still counts against the quota until purged.
    assert_eq!(env.get("/user/capacity").await["data"]["used"], before);
    let v = env.delete("/file/trash", json!({})).await;
    assert_eq!(v["code"], 0);
    assert!(
        env.list("cloudreve://trash", "").await["data"]["files"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let after = env.get("/user/capacity").await["data"]["used"]
        .as_u64()
        .unwrap();
    assert_eq!(after, before - 6, "sunset.jpg's 6 bytes returned");

    // Permanent delete straight from the drive.
    let v = env
        .delete(
            "/file",
            json!({"uris": ["cloudreve://my/Welcome.txt"], "skip_soft_delete": true}),
        )
        .await;
    assert_eq!(v["code"], 0);
    assert!(
        env.list("cloudreve://trash", "").await["data"]["files"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn quota_is_enforced() {
    let env = demo(SandboxConfig {
        user_quota: 1000,
        ..SandboxConfig::default()
    })
    .await;
    let used = env.get("/user/capacity").await["data"]["used"]
        .as_u64()
        .unwrap();
    assert_eq!(env.get("/user/capacity").await["data"]["total"], 1000);
    let too_big = vec![7u8; (1000 - used + 1) as usize];
    let v = env.write("cloudreve://my/big.bin", &too_big).await;
    assert_eq!(v["code"], 40051);
    assert_eq!(v["msg"], "Insufficient capacity");
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/big2.bin", "size": 1000 - used + 1}),
        )
        .await;
    assert_eq!(v["code"], 40051);
    // Exactly fitting is fine, and is reserved immediately by the upload session.
    let v = env
        .put(
            "/file/upload",
            json!({"uri": "cloudreve://my/fits.bin", "size": 1000 - used}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(env.get("/user/capacity").await["data"]["used"], 1000);
    // Copy needs room too.
    let v = env
        .post("/file/move", json!({"uris": ["cloudreve://my/Documents"], "dst": "cloudreve://my/Photos", "copy": true}))
        .await;
    assert_eq!(v["code"], 40051);
}
