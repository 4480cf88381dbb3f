//! The CLI against the 123pan Open Platform (the sandbox's pan123 API): sign-in with a client
//! id and a secret that never appears in argv, then the everyday commands.

mod common;

use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_with_a_client_id_then_browse() {
    let sb = Sandbox::start(SandboxConfig {
        api: Api::Pan123,
        ..Default::default()
    })
    .await
    .unwrap();
    let cli = Cli::new();
    let server = sb.base_url();
    // A wrong secret from stdin is refused as a wrong credential.
    let out = cli.run(
        &[
            "--json",
            "login",
            "--provider",
            "123pan",
            "--client-id",
            demo::PAN123_CLIENT_ID,
            "--server",
            &server,
            "--password-stdin",
        ],
        Some("not-the-secret\n"),
    );
    let (code, v) = parse(out);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["error"]["kind"], "wrongPassword", "{v}");

    // The secret from the environment.
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--provider",
            "123pan",
            "--client-id",
            demo::PAN123_CLIENT_ID,
            "--server",
            &server,
        ],
        None,
        &[("CIRRUS_CLIENT_SECRET", demo::PAN123_CLIENT_SECRET)],
    );
    let (code, v) = parse(out);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["account"]["provider"], "pan123", "{v}");
    assert_eq!(v["account"]["email"], demo::PAN123_CLIENT_ID, "{v}");
    // Nothing of the secret in what was stored outside the secret store.
    let db = std::fs::read(cli.dir.path().join("accounts.sqlite3")).unwrap();
    assert!(
        !String::from_utf8_lossy(&db).contains(demo::PAN123_CLIENT_SECRET),
        "the secret is not in the database"
    );

    let (code, v) = cli.json(&["whoami"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["mkdir", "/From the CLI"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["ls", "/"]);
    assert_eq!(code, 0, "{v}");
    assert!(v.to_string().contains("From the CLI"), "{v}");
    let (code, v) = cli.json(&["rm", "/From the CLI"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["stat", "/From the CLI"]);
    assert_eq!(code, 4, "{v}");
    // Each command was a new process: the stored token was reused, not one per command.
    assert_eq!(sb.pan123_stats().tokens_issued, 1);
}

/// Signs `cli` in to the 123pan sandbox `sb` with the demo application.
fn login_123(cli: &Cli, sb: &Sandbox) {
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--provider",
            "123pan",
            "--client-id",
            demo::PAN123_CLIENT_ID,
            "--server",
            &sb.base_url(),
        ],
        None,
        &[("CIRRUS_CLIENT_SECRET", demo::PAN123_CLIENT_SECRET)],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shares_trash_and_offline_downloads_from_the_cli() {
    let sb = Sandbox::start(SandboxConfig {
        api: Api::Pan123,
        ..Default::default()
    })
    .await
    .unwrap();
    sb.seed_file_with_content(demo::EMAIL, "/Docs/report.pdf", 2000, 1)
        .unwrap();
    let cli = Cli::new();
    login_123(&cli, &sb);

    // Shares: the expiry must be one of 123pan's choices.
    let (code, v) = cli.json(&[
        "share",
        "create",
        "/Docs/report.pdf",
        "--password",
        "abc123",
        "--expires",
        "7d",
    ]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["share"]["password"], "abc123");
    assert!(v["share"]["expiresAt"].is_string(), "{v}");
    let id = v["share"]["id"].as_str().unwrap().to_string();
    let (code, v) = cli.json(&["share", "create", "/Docs", "--expires", "2d"]);
    assert_eq!(code, 6, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("1, 7 or 30"),
        "{v}"
    );
    let (code, v) = cli.json(&["share", "list"]);
    assert_eq!(code, 0, "{v}");
    assert!(v.to_string().contains(&id), "{v}");
    let (code, v) = cli.json(&["share", "rm", &id]);
    assert_eq!(
        (code, v["error"]["kind"].as_str()),
        (6, Some("unsupported")),
        "{v}"
    );

    // The trash, across separate commands (separate processes).
    let (code, v) = cli.json(&["rm", "/Docs/report.pdf"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["ls", "--trash"]);
    assert_eq!(code, 0, "{v}");
    assert!(v.to_string().contains("report.pdf"), "{v}");
    let (code, v) = cli.json(&["restore", "/Docs/report.pdf"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["stat", "/Docs/report.pdf"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["size"], 2000, "{v}");
}
