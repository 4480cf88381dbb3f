//! Secrets: after a full CLI session (sign in with `--remember-password`, upload, download,
//! list, transfers, whoami, with debug logging), neither the password nor any token the
//! server issued appears in the logs, the SQLite databases (with their journals) or the
//! config files. Tokens are taken from the wire by a recording TCP tap, so every token the
//! client ever saw is checked. `secrets.json` is the keyring stand-in (`CIRRUS_SECRET_STORE=
//! file`) and the one place secrets belong, so it is the only file not searched.

use std::process::{Command, Stdio};

use cirrus_sandbox::{Sandbox, SandboxConfig};
use cirrus_tests::tap::Tap;
use cirrus_tests::{cli_bin, files_below, seeded_file};

const EMAIL: &str = "keeper@cirrus.local";
const PASSWORD: &str = "Pw-9f3c1e77-do-not-leak";

/// Values of `"key":"value"` pairs and `Bearer value` in the recorded traffic.
fn tokens_in(wire: &str) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["\"access_token\":\"", "\"refresh_token\":\"", "Bearer "] {
        for (i, _) in wire.match_indices(key) {
            let rest = &wire[i + key.len()..];
            let end = rest
                .find(|c: char| c == '"' || c.is_whitespace())
                .unwrap_or(rest.len());
            if end >= 16 {
                out.push(rest[..end].to_string());
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_password_or_token_outside_the_secret_store() {
    let sandbox = Sandbox::start(SandboxConfig {
        // Short-lived access tokens: the run refreshes, so several token pairs exist.
        access_ttl: std::time::Duration::from_secs(2),
        chunk_size: 64 << 10,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    sandbox.add_user(EMAIL, PASSWORD, None);
    let tap = Tap::start(sandbox.addr(), true).await.unwrap();
    let bin = tokio::task::spawn_blocking(cli_bin).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let src = dir.path().join("payload.bin");
    seeded_file(&src, 300 << 10, 3).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let base = tap.base_url();
    let (src_s, out_s) = (src.to_str().unwrap(), out.to_str().unwrap());
    let steps: Vec<Vec<&str>> = vec![
        vec![
            "login",
            "--server",
            &base,
            "--email",
            EMAIL,
            "--password-stdin",
            "--remember-password",
        ],
        vec!["whoami"],
        vec!["put", src_s, "/"],
        vec!["ls", "/"],
        vec!["get", "/payload.bin", out_s],
        vec!["transfers", "list"],
        vec!["quota"],
    ];
    let mut logs = Vec::new();
    for (i, args) in steps.iter().enumerate() {
        if i == 3 {
            // Outlive the access token so the next commands refresh it.
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        }
        let mut child = Command::new(&bin)
            .args(["--verbose", "--json"])
            .args(args)
            .env("CIRRUS_DATA_DIR", &data)
            .env("CIRRUS_SECRET_STORE", "file")
            .env("CIRRUS_LOG", "debug")
            .env_remove("CIRRUS_PASSWORD")
            .env_remove("CIRRUS_ACCOUNT")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            if i == 0 {
                writeln!(stdin, "{PASSWORD}").unwrap();
            }
        }
        let o = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert!(
            o.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        logs.extend_from_slice(&o.stderr);
        logs.extend_from_slice(&o.stdout);
    }
    assert!(!logs.is_empty(), "debug logging produced nothing to search");

    let wire = String::from_utf8_lossy(&tap.recording()).into_owned();
    let tokens = tokens_in(&wire);
    // Two sign-ins' worth at least: the login pair and the refreshed access token.
    assert!(
        tokens.len() >= 3,
        "too few tokens seen on the wire: {}",
        tokens.len()
    );
    let mut secrets: Vec<String> = tokens;
    secrets.push(PASSWORD.to_string());

    let mut searched = vec![("logs".to_string(), logs)];
    for f in files_below(&data) {
        if f.file_name().is_some_and(|n| n == "secrets.json") {
            continue;
        }
        searched.push((f.display().to_string(), std::fs::read(&f).unwrap()));
    }
    assert!(
        searched.iter().any(|(n, _)| n.ends_with(".sqlite3")),
        "no database found: {:?}",
        searched.iter().map(|s| &s.0).collect::<Vec<_>>()
    );
    for (name, bytes) in &searched {
        let hay = String::from_utf8_lossy(bytes);
        for s in &secrets {
            let label = if s == PASSWORD {
                "the password"
            } else {
                "a token"
            };
            assert!(!hay.contains(s.as_str()), "{label} found in {name}");
        }
    }
    eprintln!(
        "{} secrets checked in {} places",
        secrets.len(),
        searched.len()
    );
}
