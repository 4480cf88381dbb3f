//! `cirrus versions …` and the `ls --search` filters against the sandbox.

use cirrus_sandbox::seed_versions::VERSIONS;
use cirrus_sandbox::{Sandbox, SandboxConfig};

mod common;
use common::Cli;

const DOC: &str = "/Drafts/Proposal.md";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_ls_get_restore_rm() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let (code, v) = cli.json(&["versions", "ls", DOC]);
    assert_eq!(code, 0, "{v}");
    let list = v.as_array().unwrap().clone();
    assert_eq!(list.len(), 3);
    assert_eq!(list[0]["current"], true);
    assert_eq!(list[2]["size"], VERSIONS[0].len() as u64);
    let oldest = list[2]["id"].as_str().unwrap().to_string();
    let newest = list[0]["id"].as_str().unwrap().to_string();
    // Download the oldest through the queue.
    let dest = cli.dir.path().join("old.md");
    let (code, v) = cli.json(&["versions", "get", DOC, &oldest, dest.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(std::fs::read(&dest).unwrap(), VERSIONS[0].as_bytes());
    // Restore it: the file's size follows.
    let (code, v) = cli.json(&["versions", "restore", DOC, &oldest]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["size"], VERSIONS[0].len() as u64);
    // The newest is no longer current and can be deleted; the current one cannot.
    let (code, v) = cli.json(&["versions", "rm", DOC, &oldest]);
    assert_ne!(code, 0, "{v}");
    let (code, v) = cli.json(&["versions", "rm", DOC, &newest]);
    assert_eq!(code, 0, "{v}");
    let (_, v) = cli.json(&["versions", "ls", DOC]);
    assert_eq!(v.as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_filters() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["ls", "/", "--search", "o"];
        all.extend_from_slice(args);
        let (code, v) = cli.json(&all);
        assert_eq!(code, 0, "{v}");
        let mut n: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        n.sort();
        n
    };
    let folders = names(&["--type", "folder"]);
    assert!(folders.contains(&"Documents".to_string()), "{folders:?}");
    assert!(!folders.contains(&"Welcome.txt".to_string()));
    // Proposal.md (a folder down) is the only "o" file larger than 60 bytes.
    assert_eq!(
        names(&["--type", "file", "--min-size", "60"]),
        vec!["Proposal.md"]
    );
    assert!(names(&["--modified-before", "2001-01-01"]).is_empty());
    assert!(!names(&["--modified-after", "2001-01-01"]).is_empty());
    let docs = names(&["--category", "document"]);
    assert!(docs.contains(&"Report 2024.txt".to_string()), "{docs:?}");
    assert!(docs.iter().all(|n| !n.ends_with(".jpg")));
    // A bad category is a usage error.
    let out = cli.run(&["ls", "/", "--search", "o", "--category", "bogus"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bogus"));
}
