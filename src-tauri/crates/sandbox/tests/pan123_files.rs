//! 123pan Open Platform file management: v2 list paging (with trashed items), mkdir, rename,
//! move, trash, recover (`abnormalFileIDs`), delete only from the trash, detail and infos.

mod pan123_common;

use cirrus_sandbox::demo;
use pan123_common::start;
use serde_json::json;

#[tokio::test]
async fn v2_list_pages_with_last_file_id_and_field_casing() {
    let env = start(false).await;
    env.sb.seed_files(demo::EMAIL, "Many", 250);
    let many = env.sb.pan123_file_id(demo::EMAIL, "Many").unwrap();
    let root = env.list_all(0).await;
    let names: Vec<&str> = root
        .iter()
        .map(|x| x["filename"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Welcome.txt") && names.contains(&"Documents"),
        "{names:?}"
    );
    let item = root
        .iter()
        .find(|x| x["filename"] == "Welcome.txt")
        .unwrap();
    for k in [
        "fileId",
        "filename",
        "type",
        "size",
        "etag",
        "status",
        "parentFileId",
        "category",
        "punishFlag",
        "s3KeyFlag",
        "storageNode",
        "trashed",
        "createAt",
        "updateAt",
    ] {
        assert!(item.get(k).is_some(), "list item lacks {k}: {item}");
    }
    assert_eq!(item["type"], 0);
    assert_eq!(item["parentFileId"], 0);
    assert_eq!(
        item["etag"],
        pan123_common::md5_hex(b"Welcome to the Cirrus sandbox.\n")
    );
    let t = item["createAt"].as_str().unwrap();
    assert!(
        chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").is_ok(),
        "{t}"
    );
    let docs = root.iter().find(|x| x["filename"] == "Documents").unwrap();
    assert_eq!(docs["type"], 1);
    assert_eq!(docs["etag"], "");

    let p1 = env
        .get(&format!("/api/v2/file/list?parentFileId={many}&limit=100"))
        .await;
    assert_eq!(p1["data"]["fileList"].as_array().unwrap().len(), 100);
    let last = p1["data"]["lastFileId"].as_i64().unwrap();
    assert!(last > 0);
    let p2 = env
        .get(&format!(
            "/api/v2/file/list?parentFileId={many}&limit=100&lastFileId={last}"
        ))
        .await;
    assert!(p2["data"]["fileList"][0]["fileId"].as_i64().unwrap() > last);
    let all = env.list_all(many).await;
    assert_eq!(all.len(), 250);
    let mut ids: Vec<i64> = all.iter().map(|x| x["fileId"].as_i64().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 250);
    // Exactly one page left → -1 on it.
    let v = env
        .get(&format!(
            "/api/v2/file/list?parentFileId={many}&limit=100&lastFileId={}",
            ids[149]
        ))
        .await;
    assert_eq!(v["data"]["fileList"].as_array().unwrap().len(), 100);
    assert_eq!(v["data"]["lastFileId"], -1);

    // limit is required and at most 100.
    assert_ne!(
        env.get("/api/v2/file/list?parentFileId=0&limit=101").await["code"],
        0
    );
    assert_ne!(env.get("/api/v2/file/list?parentFileId=0").await["code"], 0);

    // Search ignores parentFileId.
    let v = env
        .get("/api/v2/file/list?parentFileId=0&limit=100&searchData=sunset&searchMode=1")
        .await;
    assert_eq!(v["data"]["fileList"].as_array().unwrap().len(), 0);
    let v = env
        .get("/api/v2/file/list?parentFileId=0&limit=100&searchData=sunset")
        .await;
    assert_eq!(v["data"]["fileList"][0]["filename"], "sunset.jpg");
}

#[tokio::test]
async fn mkdir_returns_dir_id_and_code_1_on_an_existing_name() {
    let env = start(false).await;
    let v = env
        .post(
            "/upload/v1/file/mkdir",
            json!({"name": "New", "parentID": 0}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let id = v["data"]["dirID"].as_i64().unwrap();
    let v = env
        .post(
            "/upload/v1/file/mkdir",
            json!({"name": "New", "parentID": 0}),
        )
        .await;
    assert_eq!(v["code"], 1, "{v}");
    assert!(v["message"].as_str().unwrap().contains("同名"));
    // parentID as a string (as OpenList sends it) and a nested folder.
    let v = env
        .post(
            "/upload/v1/file/mkdir",
            json!({"name": "Sub", "parentID": id.to_string()}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let found = env.find(id, "Sub").await.unwrap();
    assert_eq!(found["parentFileId"], id);
    // Illegal names.
    for bad in ["a/b", "x?", "   ", ""] {
        let v = env
            .post("/upload/v1/file/mkdir", json!({"name": bad, "parentID": 0}))
            .await;
        assert_eq!(v["code"], 1, "{bad:?}: {v}");
    }
}

#[tokio::test]
async fn rename_one_and_batch_and_move() {
    let env = start(false).await;
    let welcome = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();
    let docs = env.sb.pan123_file_id(demo::EMAIL, "Documents").unwrap();
    let v = env
        .put(
            "/api/v1/file/name",
            json!({"fileId": welcome, "fileName": "Hi.txt"}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert!(env.find(0, "Hi.txt").await.is_some());
    // Clash with a sibling.
    let v = env
        .put(
            "/api/v1/file/name",
            json!({"fileId": welcome, "fileName": "Photos"}),
        )
        .await;
    assert_eq!(v["code"], 1);
    let v = env
        .post(
            "/api/v1/file/rename",
            json!({"renameList": [format!("{welcome}|Hello.txt"), "1|"]}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["successList"][0]["fileID"], welcome);
    assert_eq!(v["data"]["failList"].as_array().unwrap().len(), 1);

    let v = env
        .post(
            "/api/v1/file/move",
            json!({"fileIDs": [welcome], "toParentFileID": docs}),
        )
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(
        env.find(docs, "Hello.txt").await.unwrap()["fileId"],
        welcome
    );
    // A folder cannot go below itself.
    let v = env
        .post(
            "/api/v1/file/move",
            json!({"fileIDs": [docs], "toParentFileID": docs}),
        )
        .await;
    assert_eq!(v["code"], 1);
    let v = env
        .post(
            "/api/v1/file/move",
            json!({"fileIDs": [welcome], "toParentFileID": 0}),
        )
        .await;
    assert_eq!(v["code"], 0);
    assert!(env.find(0, "Hello.txt").await.is_some());
}

#[tokio::test]
async fn trash_is_listed_delete_needs_trash_recover_reports_abnormal() {
    let env = start(false).await;
    let docs = env.sb.pan123_file_id(demo::EMAIL, "Documents").unwrap();
    let report = env
        .sb
        .pan123_file_id(demo::EMAIL, "Documents/Report 2024.txt")
        .unwrap();
    let welcome = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();

    // Permanent delete refuses items outside the trash.
    let v = env
        .post("/api/v1/file/delete", json!({"fileIDs": [welcome]}))
        .await;
    assert_eq!(v["code"], 1, "{v}");
    assert!(env.find(0, "Welcome.txt").await.is_some());

    let v = env
        .post("/api/v1/file/trash", json!({"fileIDs": [welcome]}))
        .await;
    assert_eq!(v["code"], 0);
    // Still listed, flagged trashed=1, in its old folder.
    let w = env.find(0, "Welcome.txt").await.unwrap();
    assert_eq!(w["trashed"], 1);
    assert_eq!(w["parentFileId"], 0);
    let v = env
        .post("/api/v1/file/recover", json!({"fileIDs": [welcome]}))
        .await;
    assert_eq!(v["code"], 0);
    assert_eq!(v["data"]["abnormalFileIDs"], json!([]));
    assert_eq!(env.find(0, "Welcome.txt").await.unwrap()["trashed"], 0);

    // Trash a file, then its folder, then purge the folder: the file's parent is gone.
    env.post("/api/v1/file/trash", json!({"fileIDs": [report]}))
        .await;
    env.post("/api/v1/file/trash", json!({"fileIDs": [docs]}))
        .await;
    assert_eq!(env.find(0, "Documents").await.unwrap()["trashed"], 1);
    let v = env
        .post("/api/v1/file/delete", json!({"fileIDs": [docs]}))
        .await;
    assert_eq!(v["code"], 0, "{v}");
    assert!(env.find(0, "Documents").await.is_none());
    let v = env
        .post("/api/v1/file/recover", json!({"fileIDs": [report]}))
        .await;
    assert_eq!(v["data"]["abnormalFileIDs"], json!([report]), "{v}");
    // …which recover/by_path restores somewhere else.
    let v = env
        .post(
            "/api/v1/file/recover/by_path",
            json!({"fileIDs": [report], "parentFileID": 0}),
        )
        .await;
    assert_eq!(v["code"], 0);
    let r = env.find(0, "Report 2024.txt").await.unwrap();
    assert_eq!(r["trashed"], 0);
    assert_eq!(r["fileId"], report);

    // Trash → delete removes it for good.
    env.post("/api/v1/file/trash", json!({"fileIDs": [welcome]}))
        .await;
    assert_eq!(
        env.post("/api/v1/file/delete", json!({"fileIDs": [welcome]}))
            .await["code"],
        0
    );
    assert!(env.find(0, "Welcome.txt").await.is_none());
    let v = env
        .get(&format!("/api/v1/file/detail?fileID={welcome}"))
        .await;
    assert_eq!(v["code"], 5066);
}

#[tokio::test]
async fn detail_and_infos_casing() {
    let env = start(false).await;
    let docs = env.sb.pan123_file_id(demo::EMAIL, "Documents").unwrap();
    let v = env.get(&format!("/api/v1/file/detail?fileID={docs}")).await;
    let d = &v["data"];
    assert_eq!(d["fileID"], docs);
    assert_eq!(d["parentFileID"], 0);
    assert_eq!(d["type"], 1);
    assert!(
        d["size"].as_u64().unwrap() > 0,
        "folder size is cumulative: {d}"
    );
    let v = env
        .post("/api/v1/file/infos", json!({"fileIds": [docs, 987654]}))
        .await;
    let list = v["data"]["list"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["fileId"], docs);
    assert_eq!(
        env.get("/api/v1/file/detail?fileID=987654").await["code"],
        5066
    );
}

#[tokio::test]
async fn v1_list_filters_trash_with_its_own_casing() {
    let env = start(false).await;
    let w = env.sb.pan123_file_id(demo::EMAIL, "Welcome.txt").unwrap();
    env.post("/api/v1/file/trash", json!({"fileIDs": [w]}))
        .await;
    let v = env
        .get("/api/v1/file/list?parentFileId=0&page=1&limit=100&orderBy=file_name&orderDirection=asc&trashed=false")
        .await;
    assert_eq!(v["code"], 0, "{v}");
    let list = v["data"]["fileList"].as_array().unwrap();
    assert_eq!(v["data"]["total"].as_u64().unwrap() as usize, list.len());
    assert!(list.iter().all(|x| x["filename"] != "Welcome.txt"));
    assert!(list[0].get("fileID").is_some() && list[0].get("fileId").is_none());
    let names: Vec<&str> = list
        .iter()
        .map(|x| x["filename"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let v = env
        .get("/api/v1/file/list?parentFileId=0&page=1&limit=100&trashed=true")
        .await;
    let list = v["data"]["fileList"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["fileID"], w);
}
