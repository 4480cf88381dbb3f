//! End-to-end: `cirrus put`, `cirrus get` and `cirrus transfers` against the sandbox.

use cirrus_sandbox::{Sandbox, SandboxConfig, demo};

mod common;
use common::Cli;

#[tokio::test(flavor = "multi_thread")]
async fn put_then_get_round_trips_files_and_folders_with_conflict_policies() {
    let sandbox = Sandbox::start(SandboxConfig {
        chunk_size: 1000,
        encryption: true,
        ..Default::default()
    })
    .await
    .unwrap();
    let cli = Cli::new();
    let base = sandbox.base_url();
    let login = cli.run(
        &[
            "--json",
            "login",
            "--server",
            &base,
            "--email",
            demo::EMAIL,
            "--password-stdin",
        ],
        Some(&format!("{}\n", demo::PASSWORD)),
    );
    assert_eq!(
        login.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&login.stdout)
    );

    let work = tempfile::tempdir().unwrap();
    let file = work.path().join("notes.bin");
    let content: Vec<u8> = (0..4321u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&file, &content).unwrap();
    let folder = work.path().join("album");
    std::fs::create_dir_all(folder.join("2024")).unwrap();
    std::fs::write(folder.join("2024/a.jpg"), b"jpeg bytes").unwrap();

    let (code, v) = cli.json(&[
        "put",
        file.to_str().unwrap(),
        folder.to_str().unwrap(),
        "/",
        "--parallel",
        "2",
        "--bwlimit",
        "10M",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v.as_array().unwrap().len(), 2);
    assert!(
        v.as_array()
            .unwrap()
            .iter()
            .all(|i| i["state"] == "completed"),
        "{v}"
    );

    // Same name again: `ask` refuses with the conflict exit code, `keep-both` renames.
    let (code, v) = cli.json(&["put", file.to_str().unwrap(), "/"]);
    assert_eq!(code, 5, "{v}");
    assert_eq!(v[0]["errorKind"], "alreadyExists");
    let (code, v) = cli.json(&[
        "put",
        file.to_str().unwrap(),
        "/",
        "--conflict",
        "keep-both",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v[0]["name"], "notes (1).bin");

    let out = work.path().join("out");
    let (code, v) = cli.json(&["get", "/notes.bin", "/album", out.to_str().unwrap()]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(std::fs::read(out.join("notes.bin")).unwrap(), content);
    assert_eq!(
        std::fs::read(out.join("album/2024/a.jpg")).unwrap(),
        b"jpeg bytes"
    );

    let (code, v) = cli.json(&["transfers", "list"]);
    assert_eq!(code, 0);
    assert!(v.as_array().unwrap().len() >= 6, "{v}");
    // Retry runs the failed transfers only (the finished ones are left alone), and the
    // refused upload is refused again.
    let (code, v) = cli.json(&["transfers", "retry", "--all"]);
    assert_eq!(code, 5, "the refused upload is still refused: {v}");
    let retried = v.as_array().unwrap();
    assert_eq!(retried.len(), 1, "{v}");
    assert_eq!(retried[0]["state"], "failed");
    assert_eq!(retried[0]["errorKind"], "alreadyExists");
    let (code, v) = cli.json(&["transfers", "clear"]);
    assert_eq!(code, 0);
    assert!(v["removed"].as_u64().unwrap() >= 4, "{v}");
    assert_eq!(sandbox.active_upload_sessions(), 0);
}
