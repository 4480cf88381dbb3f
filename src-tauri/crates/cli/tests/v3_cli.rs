//! The CLI against a Cloudreve 3 server (the sandbox's v3 API): the same commands as on v4,
//! and nothing irreversible without being asked for it.

mod common;

use cirrus_sandbox::{Api, Sandbox, SandboxConfig};
use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rm_on_a_server_without_trash_deletes_only_with_permanent() {
    let sb = Sandbox::start(SandboxConfig {
        api: Api::V3,
        ..Default::default()
    })
    .await
    .unwrap();
    let cli = Cli::new();
    cli.login(&sb.base_url());
    let (code, v) = cli.json(&["mkdir", "/Keep me"]);
    assert_eq!(code, 0, "{v}");

    let (code, v) = cli.json(&["rm", "/Keep me"]);
    assert_eq!(code, 6, "a plain rm must not delete for good: {v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("--permanent"),
        "{v}"
    );
    let (code, v) = cli.json(&["stat", "/Keep me"]);
    assert_eq!(code, 0, "the folder is still there: {v}");

    let (code, v) = cli.json(&["rm", "--permanent", "/Keep me"]);
    assert_eq!(code, 0, "{v}");
    let (code, v) = cli.json(&["stat", "/Keep me"]);
    assert_eq!(code, 4, "{v}");
}
