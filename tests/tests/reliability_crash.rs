//! Crashes: `kill -9` the `cirrus` CLI three times at seeded random points of a large upload,
//! restarting it with `cirrus transfers resume --all` after each kill. The final file must be
//! identical and, measured by a TCP tap in front of the sandbox, the bytes sent beyond the
//! file size must stay within one chunk per in-flight slot per kill.
//!
//! Quick (`make test`): 48 MiB in 2 MiB chunks. Soak (`CIRRUS_SOAK=1`): 256 MiB in 4 MiB chunks.
//! (The single-kill CLI test lives with the CLI; this is the repeated-kill variant.)

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use cirrus_tests::tap::Tap;
use cirrus_tests::{cli_bin, scale, seeded_file};
use rand::{Rng, SeedableRng};

const KILLS: usize = 3;
/// Chunks the sandbox lets one upload send at once.
const SLOTS: u64 = 2;
/// Request lines, headers and JSON calls of a whole run (generous; chunk bodies dominate).
const OVERHEAD: u64 = 512 << 10;

struct Cli {
    bin: std::path::PathBuf,
    data: std::path::PathBuf,
}

impl Cli {
    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env("CIRRUS_DATA_DIR", &self.data)
            .env("CIRRUS_SECRET_STORE", "file")
            .env_remove("CIRRUS_ACCOUNT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    }

    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args).spawn().expect("spawn cirrus")
    }
}

/// Lets `child` run until the tap has seen `at` bytes, then SIGKILLs it.
fn kill_at(mut child: Child, tap: &Tap, at: u64) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while tap.up_bytes() < at {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("cirrus exited ({status}) before the kill point {at}");
        }
        assert!(Instant::now() < deadline, "no progress towards {at}");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

fn same_content(a: &Path, b: &Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = fa.read(&mut ba).unwrap();
        let mut nb = 0;
        while nb < na {
            let n = fb.read(&mut bb[nb..na]).unwrap();
            if n == 0 {
                return false;
            }
            nb += n;
        }
        if na == 0 {
            return fb.read(&mut bb).unwrap() == 0;
        }
        if ba[..na] != bb[..na] {
            return false;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_kills_resume_and_resend_at_most_a_chunk_per_slot() {
    let started = Instant::now();
    let size = scale(48u64 << 20, 256 << 20);
    let chunk = scale(2u64 << 20, 4 << 20);
    let sandbox = Sandbox::start(SandboxConfig {
        chunk_size: chunk,
        chunk_concurrency: SLOTS as u32,
        user_quota: 1 << 40,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let tap = Tap::start(sandbox.addr(), false).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cli = Cli {
        bin: tokio::task::spawn_blocking(cli_bin).await.unwrap(),
        data: dir.path().join("data"),
    };
    let src = dir.path().join("big.bin");
    seeded_file(&src, size, 0xC4A5).unwrap();
    let base = tap.base_url();
    let login = cli
        .command(&["login", "--server", &base, "--email", demo::EMAIL])
        .env("CIRRUS_PASSWORD", demo::PASSWORD)
        .status()
        .unwrap();
    assert!(login.success());

    // Kill points: seeded, increasing, all before the file could be complete.
    let before = tap.up_bytes();
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5EED_0C1A);
    let mut points: Vec<u64> = (0..KILLS)
        .map(|_| before + rng.random_range(size / 10..size * 9 / 10))
        .collect();
    points.sort();
    let src_s = src.to_str().unwrap().to_string();
    let tap_ref = &tap;
    let cli_ref = &cli;
    let points_ref = &points;
    tokio::task::block_in_place(move || {
        let first = cli_ref.spawn(&["--json", "put", &src_s, "/"]);
        kill_at(first, tap_ref, points_ref[0]);
        for &at in &points_ref[1..] {
            let again = cli_ref.spawn(&["--json", "transfers", "resume", "--all"]);
            kill_at(again, tap_ref, at);
        }
        let last = cli_ref
            .command(&["--json", "transfers", "resume", "--all"])
            .status()
            .unwrap();
        assert!(last.success(), "final resume failed: {last}");
    });
    let sent = tap.up_bytes() - before;

    let out = dir.path().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let get = cli
        .command(&["--json", "get", "/big.bin", out.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(get.success());
    assert!(
        same_content(&src, &out.join("big.bin")),
        "the uploaded file differs"
    );
    assert_eq!(sandbox.active_upload_sessions(), 0, "orphan upload session");

    let resent = sent.saturating_sub(size);
    let bound = KILLS as u64 * SLOTS * chunk + OVERHEAD;
    eprintln!(
        "{KILLS} kills at {points:?}; sent {sent} for {size} (re-sent {resent}, bound {bound}) in {:?}",
        started.elapsed()
    );
    assert!(sent >= size);
    assert!(resent <= bound, "re-sent {resent} bytes, more than {bound}");
}
