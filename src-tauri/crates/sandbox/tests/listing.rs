//! URIs, listings, pagination and search.

mod common;

use std::collections::HashSet;

use cirrus_sandbox::{SandboxConfig, demo};
use common::*;
use serde_json::json;

#[tokio::test]
async fn odd_names_round_trip_in_paths() {
    let env = demo(SandboxConfig::default()).await;
    let names = [
        "a b+c(1).txt",
        "100% #1.md",
        "中文 文件.txt",
        "emoji 🎉.txt",
        "it's!~(x).txt",
    ];
    let expect = |n: &str| -> String {
        let enc: String = n
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        format!("cloudreve://my/odd%20dir/{enc}")
    };
    for (i, n) in names.iter().enumerate() {
        let uri = expect(n);
        let v = env.write(&uri, format!("content {i}").as_bytes()).await;
        assert_eq!(v["code"], 0, "{n}: {v}");
    }
    let l = env.list("cloudreve://my/odd%20dir", "").await;
    assert_eq!(l["code"], 0, "{l}");
    assert_eq!(l["data"]["parent"]["path"], "cloudreve://my/odd%20dir");
    let files = l["data"]["files"].as_array().unwrap();
    for n in names {
        let f = files
            .iter()
            .find(|f| f["name"] == n)
            .unwrap_or_else(|| panic!("{n} listed"));
        assert_eq!(f["path"], expect(n));
        // The emitted path addresses the same file.
        let info = env
            .get(&format!(
                "/file/info?uri={}",
                enc(f["path"].as_str().unwrap())
            ))
            .await;
        assert_eq!(info["data"]["name"], n, "{info}");
    }
    assert_eq!(
        expect("a b+c(1).txt"),
        "cloudreve://my/odd%20dir/a%20b%2Bc(1).txt"
    );
    let got = env.download("cloudreve://my/odd dir/100%25 %231.md").await;
    assert_eq!(got, b"content 1");

    // Root serialisation and host case.
    let root = env.list("cloudreve://MY/", "").await;
    assert_eq!(root["data"]["parent"]["path"], "cloudreve://my/");
    assert_eq!(root["data"]["parent"]["name"], "");
    assert!(root["data"]["parent"]["metadata"].is_null());
}

#[tokio::test]
async fn listing_shape_and_errors() {
    let env = demo(SandboxConfig::default()).await;
    let l = env.list("cloudreve://my", "").await;
    let d = &l["data"];
    assert_eq!(d["props"]["capability"], "w8edAQ==");
    assert_eq!(d["props"]["max_page_size"], 2000);
    assert_eq!(
        d["props"]["order_by_options"],
        json!(["name", "size", "updated_at", "created_at"])
    );
    assert!(is_uuid(&d["context_hint"]));
    assert_eq!(d["mixed_type"], false);
    assert_eq!(
        d["pagination"],
        json!({"page": 0, "page_size": 100, "is_cursor": true})
    );
    assert_eq!(d["storage_policy"]["type"], "local");
    assert_eq!(d["view"]["page_size"], 100);
    let names = Env::names(&l);
    assert_eq!(
        names,
        vec![
            "Documents",
            "Drafts",
            "Empty Folder",
            "Photos",
            "Welcome.txt"
        ]
    );
    let f = &d["files"][4];
    assert_eq!(f["type"], 0);
    assert_eq!(f["metadata"], json!({}));
    assert_eq!(f["owned"], true);
    // RFC 3339 with fractional seconds and an offset.
    let ts = f["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.contains('.'),
        "{ts}"
    );

    assert_eq!(env.list("cloudreve://my/nope", "").await["code"], 40016);
    let file_as_folder = env.list("cloudreve://my/Welcome.txt", "").await;
    assert_eq!(file_as_folder["code"], 40016);
    assert_eq!(file_as_folder["msg"], "Path not exist");
    let unknown = env.list("cloudreve://elsewhere", "").await;
    assert_eq!(unknown["code"], -1);
    assert_eq!(unknown["msg"], "");
    let no_uri = env.get("/file").await;
    assert_eq!(no_uri["code"], 40001);
    assert!(no_uri.get("correlation_id").is_none());

    // Another user's drive (by owner id in the URI) is forbidden; one's own id is fine.
    let demo_id = env.get("/user/me").await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    env.sb.add_user("eve@cirrus.local", "password1", None);
    let mut eve = Env {
        sb: env.sb,
        http: env.http.clone(),
        token: None,
    };
    eve.login("eve@cirrus.local", "password1").await;
    let v = eve.list(&format!("cloudreve://{demo_id}@my"), "").await;
    assert_eq!(v["code"], 403);
    let own = eve.get("/user/me").await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        eve.list(&format!("cloudreve://{own}@my"), "").await["code"],
        0
    );
    // An id of the wrong kind is not a user.
    assert_eq!(eve.list("cloudreve://zzzz@my", "").await["code"], 40016);
}

#[tokio::test]
async fn cursor_pagination_sees_every_entry_once() {
    let env = demo(SandboxConfig::default()).await;
    env.sb.seed_files(demo::EMAIL, "/big", 2500);
    for i in 0..7 {
        let v = env
            .post(
                "/file/create",
                json!({"uri": format!("cloudreve://my/big/zz-folder-{i}"), "type": "folder"}),
            )
            .await;
        assert_eq!(v["code"], 0);
    }
    for (order, dir) in [
        ("name", "asc"),
        ("name", "desc"),
        ("size", "asc"),
        ("created_at", "desc"),
    ] {
        let mut seen = HashSet::new();
        let mut sequence = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut extra = format!("&page_size=300&order_by={order}&order_direction={dir}");
            if let Some(t) = &token {
                extra.push_str(&format!("&next_page_token={}", enc(t)));
            }
            let v = env.list("cloudreve://my/big", &extra).await;
            assert_eq!(v["code"], 0, "{v}");
            pages += 1;
            for f in v["data"]["files"].as_array().unwrap() {
                assert!(
                    seen.insert(f["id"].as_str().unwrap().to_string()),
                    "duplicate {f}"
                );
                sequence.push((
                    f["type"].as_i64().unwrap(),
                    f["name"].as_str().unwrap().to_string(),
                ));
            }
            match v["data"]["pagination"]["next_token"].as_str() {
                Some(t) => token = Some(t.to_string()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 2507, "{order} {dir}");
        assert_eq!(pages, 9);
        // Folders first.
        assert!(sequence[..7].iter().all(|(t, _)| *t == 1), "{order} {dir}");
        assert!(sequence[7..].iter().all(|(t, _)| *t == 0));
        if order == "name" {
            let files: Vec<&String> = sequence[7..].iter().map(|(_, n)| n).collect();
            let mut sorted = files.clone();
            sorted.sort();
            if dir == "desc" {
                sorted.reverse();
            }
            assert_eq!(files, sorted);
        }
    }
    // Page size clamps to max_page_size.
    let v = env.list("cloudreve://my/big", "&page_size=5000").await;
    assert_eq!(v["data"]["pagination"]["page_size"], 2000);
    assert_eq!(v["data"]["files"].as_array().unwrap().len(), 2000);
    // The token is standard base64 of a small JSON object.
    use base64::Engine;
    let t = v["data"]["pagination"]["next_token"].as_str().unwrap();
    let raw = base64::engine::general_purpose::STANDARD.decode(t).unwrap();
    let obj: serde_json::Value = serde_json::from_slice(&raw).unwrap();
    assert!(obj["id"].is_string());
}

#[tokio::test]
async fn hundred_thousand_entries_list_quickly() {
    let env = demo(SandboxConfig::default()).await;
    env.sb.seed_files(demo::EMAIL, "/huge", 100_000);
    let started = std::time::Instant::now();
    let mut token: Option<String> = None;
    let mut count = 0;
    for _ in 0..10 {
        let mut extra = "&page_size=100".to_string();
        if let Some(t) = &token {
            extra.push_str(&format!("&next_page_token={}", enc(t)));
        }
        let v = env.list("cloudreve://my/huge", &extra).await;
        count += v["data"]["files"].as_array().unwrap().len();
        token = v["data"]["pagination"]["next_token"]
            .as_str()
            .map(str::to_string);
    }
    assert_eq!(count, 1000);
    assert!(token.is_some());
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn search_by_name_type_and_flags() {
    let env = demo(SandboxConfig::default()).await;
    let q = |s: &str| format!("cloudreve://my?{s}");
    let v = env.list(&q("name=report&case_folding"), "").await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["mixed_type"], true);
    assert!(v["data"]["props"]["order_by_options"].is_null());
    assert_eq!(Env::names(&v), vec!["Report 2024.txt"]);
    assert_eq!(
        v["data"]["files"][0]["path"],
        "cloudreve://my/Documents/Report%202024.txt"
    );
    // Without case folding the plain match is case-sensitive.
    assert!(Env::names(&env.list(&q("name=report"), "").await).is_empty());
    // OR of two names.
    let mut both = Env::names(&env.list(&q("name=sunset&name=Welcome&use_or"), "").await);
    both.sort();
    assert_eq!(both, vec!["Welcome.txt", "sunset.jpg"]);
    // AND (default) of two names matches nothing.
    assert!(Env::names(&env.list(&q("name=sunset&name=Welcome"), "").await).is_empty());
    // Type filter and wildcard.
    let folders = Env::names(&env.list(&q("type=folder"), "").await);
    assert_eq!(folders.len(), 5, "{folders:?}");
    let txt = Env::names(&env.list(&q("name=*.txt&type=file"), "").await);
    assert!(txt.contains(&"中文文件.txt".to_string()) && !txt.iter().any(|n| n.ends_with(".md")));
    // Search below a folder only.
    let docs = Env::names(&env.list("cloudreve://my/Photos?type=file", "").await);
    assert_eq!(docs, vec!["sunset.jpg"]);
    // Search paginates with tokens too.
    let p1 = env.list(&q("name=*.txt"), "&page_size=2").await;
    let t = p1["data"]["pagination"]["next_token"]
        .as_str()
        .unwrap()
        .to_string();
    let p2 = env
        .list(
            &q("name=*.txt"),
            &format!("&page_size=2&next_page_token={}", enc(&t)),
        )
        .await;
    let a: HashSet<String> = Env::names(&p1).into_iter().collect();
    let b: HashSet<String> = Env::names(&p2).into_iter().collect();
    assert_eq!(a.len(), 2);
    assert!(a.is_disjoint(&b) && !b.is_empty());
    assert_eq!(env.list(&q("category=bogus"), "").await["code"], -1);
}

#[tokio::test]
async fn search_reports_when_its_folder_budget_runs_out() {
    // The demo tree has more than two folders: a budget of two stops the walk early.
    let env = demo(SandboxConfig {
        max_search_folders: 2,
        ..SandboxConfig::default()
    })
    .await;
    let v = env.list("cloudreve://my?name=*.txt", "").await;
    assert_eq!(v["code"], 0, "{v}");
    assert_eq!(v["data"]["recursion_limit_reached"], true, "{v}");
    // With the default budget the same search walks everything and says nothing.
    let full = demo(SandboxConfig::default()).await;
    let v = full.list("cloudreve://my?name=*.txt", "").await;
    assert!(v["data"].get("recursion_limit_reached").is_none(), "{v}");
}
