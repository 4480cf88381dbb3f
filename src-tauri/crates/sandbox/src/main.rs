//! `cirrus-sandbox`: run a local Cloudreve-compatible server until Ctrl-C.

use std::path::PathBuf;
use std::time::Duration;

use cirrus_sandbox::faults::{FaultConfig, LinkProfile};
use cirrus_sandbox::policy::PolicyKind;
use cirrus_sandbox::{Api, Sandbox, SandboxConfig, demo};
use clap::Parser;

/// A local server speaking the Cloudreve v4 API, seeded with demo users and files.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// API to serve: v4 (Cloudreve 4.18, `/api/v4`), v3 (Cloudreve 3.8.3, `/api/v3`) or
    /// pan123 (123pan Open Platform on an API host plus an upload host).
    #[arg(long, default_value = "v4")]
    api: Api,
    /// Port on 127.0.0.1 (0 = random).
    #[arg(long, default_value_t = 5212)]
    port: u16,
    /// Directory for file blobs (default: a temporary directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Access-token lifetime in seconds.
    #[arg(long, default_value_t = 3600)]
    access_ttl: u64,
    /// Refresh-token lifetime in seconds.
    #[arg(long, default_value_t = 1_209_600)]
    refresh_ttl: u64,
    /// Upload chunk size in bytes.
    #[arg(long, default_value_t = 26_214_400)]
    chunk_size: u64,
    /// Chunks a client may send at once (`storage_policy.chunk_concurrency` of every policy).
    #[arg(long, default_value_t = 1)]
    chunk_concurrency: u32,
    /// Enable client-side encryption on the local policy.
    #[arg(long)]
    encryption: bool,
    /// Upload-session lifetime in seconds.
    #[arg(long, default_value_t = 86_400)]
    upload_session_ttl: u64,
    /// Seed of the fault sequence (the same seed replays the same faults).
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
    /// Probability (0..1) that a chunk upload fails.
    #[arg(long, default_value_t = 0.0)]
    chunk_fail_rate: f64,
    /// Probability (0..1) that a provider part upload fails.
    #[arg(long, default_value_t = 0.0)]
    part_fail_rate: f64,
    /// Probability (0..1) that an upload callback fails.
    #[arg(long, default_value_t = 0.0)]
    callback_fail_rate: f64,
    /// Probability (0..1) that a download fails.
    #[arg(long, default_value_t = 0.0)]
    download_fail_rate: f64,
    /// Probability (0..1) that any request's connection is dropped mid-body.
    #[arg(long, default_value_t = 0.0)]
    drop_rate: f64,
    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Per-request body bandwidth cap in KiB/s (0 = unlimited).
    #[arg(long, default_value_t = 0)]
    bandwidth_kbps: u64,
    /// Simulated line: round trip added to every request of every listener, in milliseconds.
    #[arg(long, default_value_t = 0)]
    link_rtt_ms: u64,
    /// Simulated line: megabits per second each way, one budget shared by every connection
    /// of every listener (0 = unlimited).
    #[arg(long, default_value_t = 0.0)]
    link_mbit: f64,
    /// Artificial delay between background task steps, in milliseconds.
    #[arg(long, default_value_t = 500)]
    task_step_ms: u64,
    /// Storage policy handed to users: local|relay|remote|s3|ks3|cos|oss|obs|onedrive|qiniu|upyun
    /// (kinds this build does not offer are refused at start).
    #[arg(long, default_value = "local")]
    policy: PolicyKind,
    /// Folders a recursive search walks before it stops and says so (`recursion_limit_reached`).
    #[arg(long, default_value_t = 65_535)]
    max_search_folders: usize,
    /// Versions kept per file when its content is replaced (1 = no version history).
    #[arg(long, default_value_t = 1)]
    max_versions: usize,
    /// Leave out the showcase folder (photos, PDF, video, a large folder) of the demo drive.
    #[arg(long)]
    no_demo_media: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let link = LinkProfile::new(args.link_rtt_ms, args.link_mbit);
    if link.is_on() {
        println!(
            "Simulated line: {} ms round trip, {} Mbit/s each way (shared by all connections)",
            link.rtt.as_millis(),
            args.link_mbit
        );
    }
    let sandbox = Sandbox::start(SandboxConfig {
        api: args.api,
        data_dir: args.data_dir,
        port: args.port,
        access_ttl: Duration::from_secs(args.access_ttl),
        refresh_ttl: Duration::from_secs(args.refresh_ttl),
        chunk_size: args.chunk_size,
        chunk_concurrency: args.chunk_concurrency.max(1),
        link,
        encryption: args.encryption,
        upload_session_ttl: Duration::from_secs(args.upload_session_ttl),
        faults: FaultConfig {
            seed: args.fault_seed,
            chunk_fail_rate: args.chunk_fail_rate,
            part_fail_rate: args.part_fail_rate,
            callback_fail_rate: args.callback_fail_rate,
            download_fail_rate: args.download_fail_rate,
            drop_rate: args.drop_rate,
            latency: Duration::from_millis(args.latency_ms),
            bandwidth_bps: args.bandwidth_kbps * 1024,
            ..FaultConfig::default()
        },
        task_step_delay: Duration::from_millis(args.task_step_ms),
        policy: args.policy,
        max_search_folders: args.max_search_folders,
        max_versions: args.max_versions,
        demo_media: !args.no_demo_media,
        ..SandboxConfig::default()
    })
    .await?;
    if args.api == Api::Pan123 {
        println!(
            "Cirrus sandbox (123pan Open Platform) listening on {}",
            sandbox.base_url()
        );
        println!("  API host:    {}", sandbox.base_url());
        println!(
            "  upload host: {}",
            sandbox.pan123_upload_url().unwrap_or_default()
        );
        println!(
            "  client id:   {} / secret {}",
            demo::PAN123_CLIENT_ID,
            demo::PAN123_CLIENT_SECRET
        );
        println!("  headers:     Platform: open_platform, Authorization: Bearer <accessToken>");
        println!("Press Ctrl-C to stop.");
        tokio::signal::ctrl_c().await?;
        sandbox.shutdown().await;
        return Ok(());
    }
    let (version, prefix) = match args.api {
        Api::V4 => ("4.18", "/api/v4"),
        Api::V3 => ("3.8.3", "/api/v3"),
        Api::Pan123 => unreachable!("handled above"),
    };
    println!(
        "Cirrus sandbox (Cloudreve {version} API) listening on {}",
        sandbox.base_url()
    );
    println!("  API:        {}{prefix}", sandbox.base_url());
    println!("  policy:     {}", args.policy);
    println!("  demo user:  {} / {}", demo::EMAIL, demo::PASSWORD);
    println!(
        "  2FA user:   {} / {} (TOTP secret {})",
        demo::TOTP_EMAIL,
        demo::TOTP_PASSWORD,
        demo::TOTP_SECRET
    );
    println!("Press Ctrl-C to stop.");
    tokio::signal::ctrl_c().await?;
    sandbox.shutdown().await;
    Ok(())
}
