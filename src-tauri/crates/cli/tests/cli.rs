//! End-to-end: the built `cirrus` binary against the sandbox, checking `--json` output and
//! exit codes. Each test uses its own data dir and the file secret store.

use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use serde_json::Value;

mod common;
use common::Cli;

async fn sandbox() -> Sandbox {
    Sandbox::start(SandboxConfig::default()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_accounts_whoami_quota() {
    let sb = sandbox().await;
    let cli = Cli::new();
    let v = cli.login(&sb.base_url());
    assert_eq!(v["account"]["email"], demo::EMAIL);
    assert_eq!(v["account"]["active"], true);
    assert_eq!(v["secretStore"]["backend"], "file");
    let (code, v) = cli.json(&["accounts"]);
    assert_eq!(code, 0);
    assert_eq!(v.as_array().unwrap().len(), 1);
    let (code, v) = cli.json(&["whoami"]);
    assert_eq!(code, 0);
    assert_eq!(v["user"]["email"], demo::EMAIL);
    let (code, v) = cli.json(&["quota"]);
    assert_eq!(code, 0);
    assert!(v["total"].as_u64().unwrap() > 0);
    assert!(v["used"].is_u64() && v["free"].is_u64());
    let (code, v) = cli.json(&["accounts", "rename", demo::EMAIL, "Home"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["label"], "Home");
    let (code, _) = cli.json(&["logout"]);
    assert_eq!(code, 0);
    let (code, v) = cli.json(&["whoami"]);
    assert_eq!(code, 3, "{v}");
    assert_eq!(v["error"]["kind"], "signInAgain");
    let (code, _) = cli.json(&["accounts", "rm", "Home"]);
    assert_eq!(code, 0);
    let (_, v) = cli.json(&["accounts"]);
    assert!(v.as_array().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_from_env_and_errors_have_exit_codes() {
    let sb = sandbox().await;
    let cli = Cli::new();
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--server",
            &sb.base_url(),
            "--email",
            demo::EMAIL,
        ],
        None,
        &[("CIRRUS_PASSWORD", "wrong-password")],
    );
    assert_eq!(out.status.code(), Some(3));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "wrongPassword");
    assert_eq!(v["error"]["code"], 40080);
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--server",
            &sb.base_url(),
            "--email",
            demo::EMAIL,
        ],
        None,
        &[("CIRRUS_PASSWORD", demo::PASSWORD)],
    );
    assert_eq!(out.status.code(), Some(0));
    let (code, v) = cli.json(&["stat", "/nope"]);
    assert_eq!(code, 4);
    assert_eq!(v["error"]["kind"], "notFound");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--server",
            &format!("http://127.0.0.1:{port}"),
            "--email",
            "a@b.c",
        ],
        None,
        &[("CIRRUS_PASSWORD", "x")],
    );
    assert_eq!(out.status.code(), Some(7));
    // Usage errors exit 2 and --help documents the exit codes.
    assert_eq!(
        cli.run_with(&["ls", "--bogus"], None, &[]).status.code(),
        Some(2)
    );
    let help = cli.run_with(&["--help"], None, &[]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("Exit codes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_login_with_otp() {
    let sb = sandbox().await;
    let cli = Cli::new();
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--server",
            &sb.base_url(),
            "--email",
            demo::TOTP_EMAIL,
        ],
        None,
        &[("CIRRUS_PASSWORD", demo::TOTP_PASSWORD)],
    );
    assert_eq!(out.status.code(), Some(3), "no code, no terminal");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"]["kind"], "twoFactorRequired");
    let code = demo::totp_code(demo::TOTP_SECRET);
    let out = cli.run_with(
        &[
            "--json",
            "login",
            "--server",
            &sb.base_url(),
            "--email",
            demo::TOTP_EMAIL,
            "--otp",
            &code,
        ],
        None,
        &[("CIRRUS_PASSWORD", demo::TOTP_PASSWORD)],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_commands_end_to_end() {
    let sb = sandbox().await;
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let (code, v) = cli.json(&["mkdir", "/work/a b/中文", "/dest"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v[0]["name"], "中文");
    let (code, v) = cli.json(&["ls", "/work"]);
    assert_eq!(code, 0);
    assert_eq!(v[0]["name"], "a b");
    assert_eq!(v[0]["kind"], "folder");
    let (code, v) = cli.json(&["stat", "/work/a b"]);
    assert_eq!(code, 0);
    assert_eq!(v["remote"], "cloudreve://my/work/a%20b");
    let (code, v) = cli.json(&["cp", "/work/a b", "/dest"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["done"], 1);
    let (code, v) = cli.json(&["mv", "/dest/a b", "/dest/renamed"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["name"], "renamed");
    let (code, v) = cli.json(&["mv", "/dest/renamed", "/work"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["rm", "/work/renamed", "/work/missing"]);
    assert_eq!(code, 9, "partial failure: {v}");
    assert_eq!(v["done"], 1);
    assert_eq!(v["failed"][0]["kind"], "notFound");
    let (code, v) = cli.json(&["ls", "--trash"]);
    assert_eq!(code, 0);
    assert!(v.as_array().unwrap().iter().any(|e| e["name"] == "renamed"));
    let (code, v) = cli.json(&["restore", "renamed"]);
    assert_eq!(code, 0, "{v}");
    let (code, _) = cli.json(&["stat", "/work/renamed"]);
    assert_eq!(code, 0);
    let (code, v) = cli.json(&["ls", "/", "--search", "中"]);
    assert_eq!(code, 0);
    assert!(v.as_array().unwrap().iter().any(|e| e["name"] == "中文"));
    let (code, v) = cli.json(&["rm", "--permanent", "/work/renamed"]);
    assert_eq!(code, 0, "{v}");
}
