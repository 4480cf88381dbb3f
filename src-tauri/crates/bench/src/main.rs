//! `cirrus-bench`: starts two in-process `cirrus-sandbox` servers (plain and with client-side
//! encryption) and measures the `cirrus` CLI against curl and the PyPI `cloudreve` SDK on
//! them, printing one Markdown table of medians and ratios. `scripts/bench.sh` (`make bench`)
//! builds everything in release mode, prepares the SDK's venv and runs this.

mod api;
mod clients;
mod fixtures;
mod link;
mod pan123;
mod process;
mod report;
mod scenario;
mod stats;
mod v3;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use cirrus_sandbox::faults::LinkProfile;
use cirrus_sandbox::{Api as SandboxApi, Sandbox, SandboxConfig, demo};
use clap::Parser;

use crate::api::Api;
use crate::clients::{CirrusCli, PythonSdk};
use crate::scenario::{Bench, Target, criterion_row};

/// Benchmarks Cirrus against wire and SDK baselines on one sandbox.
#[derive(Parser)]
struct Args {
    /// Size of the large upload/download in MiB.
    #[arg(long, default_value_t = 1024)]
    size_mib: u64,
    /// Runs per measurement (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Number of small files.
    #[arg(long, default_value_t = 1000)]
    small_count: usize,
    /// Size of each small file in KiB.
    #[arg(long, default_value_t = 64)]
    small_kib: usize,
    /// Files the CLI uploads at once in the small-file test (its default is 3).
    #[arg(long, default_value_t = 3)]
    small_parallel: usize,
    /// Entries of the listing test.
    #[arg(long, default_value_t = 100_000)]
    list_count: usize,
    /// Page size of the listing test (both clients).
    #[arg(long, default_value_t = 2000)]
    page_size: u32,
    /// Only the 123pan rows (a quicker run while working on them).
    #[arg(long)]
    pan123_only: bool,
    /// Chunk size of the sandbox's local policy in MiB (Cloudreve's default is 25).
    #[arg(long, default_value_t = 25)]
    chunk_mib: u64,
    /// The `cirrus` binary (default: next to this one).
    #[arg(long)]
    cirrus: Option<PathBuf>,
    /// Python of a venv with `cloudreve==2.0.2` installed.
    #[arg(long)]
    python: PathBuf,
    /// criterion's output directory (target/criterion).
    #[arg(long)]
    criterion_dir: PathBuf,
    /// Scratch directory (inputs, sandbox blobs, downloads); removed at the end.
    #[arg(long)]
    work: PathBuf,
    /// Also write the table to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Round trip of the simulated line of the line rows, in ms (0 with `--link-mbit 0`:
    /// no line rows).
    #[arg(long, default_value_t = 40)]
    link_rtt_ms: u64,
    /// Bandwidth of the simulated line each way, in Mbit/s.
    #[arg(long, default_value_t = 200.0)]
    link_mbit: f64,
    /// Only the rows under the simulated line (skips the loopback rows).
    #[arg(long)]
    link_only: bool,
}

async fn target(
    args: &Args,
    cli: PathBuf,
    name: &str,
    encryption: bool,
) -> anyhow::Result<(Sandbox, Target)> {
    let sandbox = Sandbox::start(SandboxConfig {
        data_dir: Some(args.work.join(format!("sandbox-{name}"))),
        chunk_size: args.chunk_mib << 20,
        encryption,
        user_quota: 1 << 42,
        ..SandboxConfig::default()
    })
    .await?;
    let base = sandbox.base_url();
    let cli = CirrusCli {
        bin: cli,
        data_dir: args.work.join(format!("cirrus-{name}")),
    };
    cli.login(&base, demo::EMAIL, demo::PASSWORD)
        .await
        .context("cirrus login")?;
    let api = Api::login(&base, demo::EMAIL, demo::PASSWORD).await?;
    api.mkdir("/bench").await?;
    Ok((sandbox, Target { base, cli, api }))
}

/// The Cloudreve 3 sandbox (local policy) with the CLI and a raw client signed in.
async fn target_v3(args: &Args, cli: PathBuf) -> anyhow::Result<(Sandbox, v3::V3Bench)> {
    let sandbox = Sandbox::start(SandboxConfig {
        api: SandboxApi::V3,
        data_dir: Some(args.work.join("sandbox-v3")),
        chunk_size: args.chunk_mib << 20,
        user_quota: 1 << 42,
        ..SandboxConfig::default()
    })
    .await?;
    let base = sandbox.base_url();
    let cli = CirrusCli {
        bin: cli,
        data_dir: args.work.join("cirrus-v3"),
    };
    cli.login(&base, demo::EMAIL, demo::PASSWORD)
        .await
        .context("cirrus login (v3)")?;
    let api = v3::V3Api::login(&base, demo::EMAIL, demo::PASSWORD).await?;
    api.mkdir("/bench").await?;
    let script = args.work.join("sdk_bench_v3.py");
    std::fs::write(&script, include_str!("sdk_bench_v3.py"))?;
    // The same package speaks v3 too (`cloudreve.v3`).
    let sdk = Some(PythonSdk {
        python: args.python.clone(),
        script,
    });
    let bench = v3::V3Bench {
        cli,
        api,
        base,
        sdk,
        creds: (demo::EMAIL, demo::PASSWORD),
        runs: args.runs,
        small_parallel: args.small_parallel,
    };
    Ok((sandbox, bench))
}

/// The 123pan sandbox with the CLI and a raw client signed in with the demo client id.
async fn target_pan123(args: &Args, cli: PathBuf) -> anyhow::Result<pan123::P123Bench> {
    let sandbox = Sandbox::start(SandboxConfig {
        api: SandboxApi::Pan123,
        data_dir: Some(args.work.join("sandbox-pan123")),
        user_quota: 1 << 42,
        ..SandboxConfig::default()
    })
    .await?;
    // `upload_complete` verifies at once: how long a real server takes to check a file is
    // the server's time, not the client's, and would blur the comparison.
    sandbox.set_pan123_complete_polls(0);
    let base = sandbox.base_url();
    let cli = CirrusCli {
        bin: cli,
        data_dir: args.work.join("cirrus-pan123"),
    };
    cli.login_pan123(&base, demo::PAN123_CLIENT_ID, demo::PAN123_CLIENT_SECRET)
        .await
        .context("cirrus login (123pan)")?;
    let api =
        pan123::P123Api::login(&base, demo::PAN123_CLIENT_ID, demo::PAN123_CLIENT_SECRET).await?;
    let bench_dir = api.mkdir(0, "bench").await?;
    let host = api.upload_host().await?;
    Ok(pan123::P123Bench {
        sandbox,
        cli,
        api,
        host,
        bench_dir,
        slice: cirrus_sandbox::pan123::SLICE_SIZE,
        runs: args.runs,
        small_parallel: args.small_parallel,
    })
}

/// The 123pan rows: instant upload, large upload, small files, MD5 speed.
async fn pan123_rows(
    args: &Args,
    cli: PathBuf,
    big: &std::path::Path,
    small_dir: &std::path::Path,
    small: &[PathBuf],
) -> anyhow::Result<Vec<report::Row>> {
    eprintln!("123pan");
    let p = target_pan123(args, cli).await?;
    let mut rows = p.upload(big, &args.work.join("in/slices")).await?;
    rows.push(p.small_files(small_dir, small).await?);
    rows.push(p.hashing(big).await?);
    p.sandbox.shutdown().await;
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let started = Instant::now();
    let cli = match &args.cirrus {
        Some(p) => p.clone(),
        None => std::env::current_exe()?.with_file_name("cirrus"),
    };
    std::fs::create_dir_all(&args.work)?;
    eprintln!("writing inputs under {}", args.work.display());
    let size = args.size_mib << 20;
    let big = args.work.join("in/big.bin");
    std::fs::create_dir_all(big.parent().context("parent")?)?;
    let chunks = fixtures::large_file(
        &big,
        size,
        args.chunk_mib << 20,
        &args.work.join("in/chunks"),
    )?;
    let small_dir = args.work.join("in/small");
    let small = fixtures::small_files(&small_dir, args.small_count, args.small_kib << 10)?;
    let script = args.work.join("sdk_bench.py");
    std::fs::write(&script, include_str!("sdk_bench.py"))?;
    let sdk = PythonSdk {
        python: args.python.clone(),
        script,
    };
    let mut rows = Vec::new();
    if args.pan123_only {
        rows = pan123_rows(&args, cli.clone(), &big, &small_dir, &small).await?;
    } else if !args.link_only {
        rows = loopback_rows(
            &args,
            cli.clone(),
            sdk.clone(),
            &big,
            &chunks,
            &small_dir,
            &small,
        )
        .await?;
    }
    let profile = LinkProfile::new(args.link_rtt_ms, args.link_mbit);
    if profile.is_on() && !args.pan123_only {
        let line = link::LinkBench {
            profile,
            cli,
            sdk,
            work: args.work.clone(),
            runs: args.runs,
            chunk_size: args.chunk_mib << 20,
            list_count: args.list_count,
            page_size: args.page_size,
        };
        rows.extend(line.rows(&big, &small_dir, &small).await?);
    }
    match criterion_row(&args.criterion_dir) {
        Ok(r) => rows.push(r),
        // The rest of the table is still worth printing.
        Err(e) => eprintln!("no AES-CTR row: {e:#}"),
    }

    let title = format!(
        "Cirrus benchmark, {} — {} run(s) each, medians; large file {} MiB, chunks {} MiB \
         (sandbox default: 1 chunk in flight); line rows: {} ms round trip, {} Mbit/s each way \
         ({:.1} MB/s); {} s in total",
        chrono::Local::now().format("%Y-%m-%d %H:%M"),
        args.runs,
        args.size_mib,
        args.chunk_mib,
        args.link_rtt_ms,
        args.link_mbit,
        profile.bytes_per_sec() as f64 / 1e6,
        started.elapsed().as_secs()
    );
    let table = report::render(&title, &rows);
    println!("{table}");
    if let Some(out) = &args.out {
        std::fs::write(out, &table)?;
    }
    let _ = std::fs::remove_dir_all(&args.work);
    Ok(())
}

/// The loopback rows: Cirrus against curl and the SDK with nothing between them.
async fn loopback_rows(
    args: &Args,
    cli: PathBuf,
    sdk: PythonSdk,
    big: &std::path::Path,
    chunks: &[PathBuf],
    small_dir: &std::path::Path,
    small: &[PathBuf],
) -> anyhow::Result<Vec<report::Row>> {
    let size = args.size_mib << 20;
    let (plain_sb, plain) = target(args, cli.clone(), "plain", false).await?;
    let (_enc_sb, enc) = target(args, cli.clone(), "enc", true).await?;
    let (_v3_sb, v3) = target_v3(args, cli.clone()).await?;
    plain_sb.seed_files(demo::EMAIL, "/list", args.list_count);

    let bench = Bench {
        plain,
        enc,
        sdk,
        creds: (demo::EMAIL, demo::PASSWORD),
        work: args.work.clone(),
        runs: args.runs,
        small_parallel: args.small_parallel,
    };
    let mut rows = Vec::new();
    eprintln!("large uploads");
    let ups = bench.uploads(big, chunks).await?;
    // One file in flight, `chunk_concurrency` (1 on the sandbox) chunks at a time.
    let budget = 64.0 + args.chunk_mib as f64;
    let mut up_rows = ups.rows(size, budget).into_iter();
    rows.extend(up_rows.next());
    rows.extend(up_rows.next());
    eprintln!("small files");
    rows.push(bench.small_files(small_dir, small).await?);
    eprintln!("download");
    rows.push(bench.download("/bench/up-c0/big.bin", size).await?);
    rows.extend(up_rows);
    eprintln!("Cloudreve 3");
    rows.push(v3.upload(big, chunks).await?);
    rows.push(v3.small_files(small_dir, small).await?);
    rows.extend(pan123_rows(args, cli, big, small_dir, small).await?);
    eprintln!("listing");
    rows.push(
        bench
            .listing("/list", args.list_count, args.page_size)
            .await?,
    );
    drop(bench);
    Ok(rows)
}
