//! Independent clients against the sandbox: the PyPI `cloudreve` SDK (2.0.2, written against
//! the real Cloudreve 3.8 and 4 servers) runs its users' flows unchanged — sign in, list,
//! mkdir, upload, download, source link, share, rename, copy, move, delete — through the
//! scripts in `tests/python_sdk/`. `make test` prepares the SDK's venv and passes its Python
//! as `CIRRUS_SDK_PYTHON`.

use std::path::PathBuf;
use std::process::Command;

use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};

/// The venv's interpreter, or `None` (with the reason printed) when it is not set up.
fn python() -> Option<PathBuf> {
    match std::env::var_os("CIRRUS_SDK_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!(
                "skipped: CIRRUS_SDK_PYTHON is not set (make test creates the SDK's venv and \
                 sets it)"
            );
            None
        }
    }
}

async fn run_flows(api: Api, script: &str) {
    let Some(python) = python() else { return };
    let sb = Sandbox::start(SandboxConfig {
        api,
        ..Default::default()
    })
    .await
    .unwrap();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python_sdk")
        .join(script);
    let base = sb.base_url();
    let out = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .args([base.as_str(), demo::EMAIL, demo::PASSWORD])
            .output()
            .expect("python runs")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("ALL OK"),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_v3_client_works_unchanged_against_the_v3_sandbox() {
    run_flows(Api::V3, "v3_flows.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_v4_client_works_unchanged_against_the_v4_sandbox() {
    run_flows(Api::V4, "v4_flows.py").await;
}
