//! What the CLI suites share: the built `cirrus` binary run with its own data dir and the
//! file secret store, signed in to a sandbox.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use cirrus_sandbox::demo;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// One user's `cirrus`, with a private data dir.
pub struct Cli {
    pub dir: tempfile::TempDir,
}

impl Cli {
    /// A CLI with a fresh data dir (not signed in).
    pub fn new() -> Self {
        Cli {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// The command, not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_cirrus"));
        c.args(args)
            .env("CIRRUS_DATA_DIR", self.dir.path())
            .env("CIRRUS_SECRET_STORE", "file")
            .env_remove("CIRRUS_PASSWORD")
            .env_remove("CIRRUS_CLIENT_SECRET")
            .env_remove("CIRRUS_ACCOUNT")
            .env_remove("CIRRUS_OTP")
            .env_remove("CIRRUS_LOG")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Started in the background (as in a second terminal).
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut child = self.command(args).spawn().unwrap();
        drop(child.stdin.take());
        child
    }

    /// Run to the end with `stdin`.
    pub fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        self.run_with(args, stdin, &[])
    }

    /// Run to the end with `stdin` and extra environment variables.
    pub fn run_with(&self, args: &[&str], stdin: Option<&str>, envs: &[(&str, &str)]) -> Output {
        let mut cmd = self.command(args);
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        if let Some(s) = stdin {
            child.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
        }
        drop(child.stdin.take());
        child.wait_with_output().unwrap()
    }

    /// Run with `--json`; the exit code and the parsed output.
    pub fn json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        parse(self.run(&all, None))
    }

    /// Runs with `--json` a command that prints several JSON documents (`tasks watch`).
    pub fn json_lines(&self, args: &[&str]) -> (i32, Vec<Value>) {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let out = self.run(&all, None);
        // A stream of documents: progress lines, or one pretty-printed error.
        let lines = serde_json::Deserializer::from_slice(&out.stdout)
            .into_iter::<Value>()
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
        (out.status.code().unwrap(), lines)
    }

    /// Sign in to the sandbox at `base` as the demo user; the `--json` answer.
    pub fn login(&self, base: &str) -> Value {
        let out = self.run(
            &[
                "--json",
                "login",
                "--server",
                base,
                "--email",
                demo::EMAIL,
                "--password-stdin",
            ],
            Some(&format!("{}\n", demo::PASSWORD)),
        );
        assert_eq!(out.status.code(), Some(0), "{out:?}");
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Exit code and JSON output of a finished `--json` command.
pub fn parse(out: Output) -> (i32, Value) {
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {} / {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), v)
}

/// Deterministic pseudo-random bytes.
pub fn content(len: usize, seed: u32) -> Vec<u8> {
    let mut x = 0x2545_F491u32 ^ seed.wrapping_mul(0x9E37_79B9);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// SHA-256 hex.
pub fn sha_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// Waits until `cond` holds, failing the test after `limit`.
pub async fn wait_until(limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends SIGINT (Ctrl-C) to a child process.
pub fn interrupt(child: &Child) {
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for a child to exit (at most `limit`) and returns its output.
pub async fn finish(mut child: Child, limit: Duration) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("the process did not stop within {limit:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.wait_with_output().unwrap()
}
