//! `--proxy` / `--no-proxy`: they beat the settings for one command, a wrong proxy is named,
//! and a password on the command line is refused without being echoed.

use cirrus_sandbox::{Sandbox, SandboxConfig};

mod common;
use common::Cli;

fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_flags_override_the_settings() {
    let sb = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let dead = format!("http://127.0.0.1:{}", closed_port());

    // --proxy to nowhere: a network failure that names the proxy.
    let (code, v) = cli.json(&["whoami", "--proxy", &dead]);
    assert_eq!(code, 7, "{v}");
    let msg = v["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(msg.contains("proxy"), "{msg}");

    // The settings point at a dead proxy; --no-proxy connects directly anyway.
    let port = closed_port();
    std::fs::write(
        cli.dir.path().join("settings.json"),
        format!(r#"{{"proxy": {{"mode": "manual", "protocol": "http", "host": "127.0.0.1", "port": {port}}}}}"#),
    )
    .unwrap();
    let (code, v) = cli.json(&["whoami"]);
    assert_eq!(code, 7, "the settings' proxy is used: {v}");
    let (code, v) = cli.json(&["whoami", "--no-proxy"]);
    assert_eq!(code, 0, "{v}");

    // A password in the URL is refused, and not repeated back.
    let (code, v) = cli.json(&["whoami", "--proxy", "http://me:hunter22@127.0.0.1:3128"]);
    assert_eq!(code, 6, "{v}");
    assert!(!v.to_string().contains("hunter22"), "{v}");
}
