//! `cirrus`: the Cirrus command line, a thin layer over `cirrus-core`.

mod account_cmds;
mod args;
mod drive_cmds;
mod exit;
mod output;
mod transfer_cmds;
mod versions_cmds;
mod work_cmds;

use cirrus_core::net::proxy::{ProxyConfig, parse_proxy_url};
use cirrus_core::{Cirrus, Error};
use std::io::IsTerminal;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use args::{Cli, Command};
use clap::Parser;
use output::Out;

fn init_logging(verbose: bool) {
    // Logs go to stderr so `--json` output on stdout stays clean. The core never logs secrets.
    // Without -v or CIRRUS_LOG, stderr carries only messages meant for people: every failure
    // already reaches them as a sentence (and in --json), not as a log line.
    let filter = std::env::var("CIRRUS_LOG").unwrap_or_else(|_| {
        if verbose {
            "debug".into()
        } else {
            "off".into()
        }
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(cli: Cli, out: Out) -> Result<i32, Error> {
    let cirrus = Cirrus::open_default()?;
    if let Some(reason) = &cirrus.secret_store_info().fallback_reason
        && !out.json
        && matches!(cli.command, Command::Login(_))
    {
        eprintln!("note: {reason}");
    }
    if let Some(proxy) = proxy_choice(cli.proxy.as_deref(), cli.no_proxy)? {
        cirrus.set_proxy_override(Some(proxy));
    }
    let account = cli.account.as_deref();
    let result = match cli.command {
        Command::Login(a) => account_cmds::login(&cirrus, account, a, out).await,
        Command::Logout => account_cmds::logout(&cirrus, account, out).await,
        Command::Accounts(a) => account_cmds::accounts(&cirrus, a, out).await,
        Command::Whoami => account_cmds::whoami(&cirrus, account, out).await,
        Command::Quota => account_cmds::quota(&cirrus, account, out).await,
        Command::Ls(a) => drive_cmds::ls(&cirrus, account, a, out).await,
        Command::Stat { path } => drive_cmds::stat(&cirrus, account, &path, out).await,
        Command::Mkdir { paths } => drive_cmds::mkdir(&cirrus, account, &paths, out).await,
        Command::Mv { paths } => drive_cmds::mv(&cirrus, account, &paths, out).await,
        Command::Cp { paths } => drive_cmds::cp(&cirrus, account, &paths, out).await,
        Command::Rm { paths, permanent } => {
            drive_cmds::rm(&cirrus, account, &paths, permanent, out).await
        }
        Command::Restore { items } => drive_cmds::restore(&cirrus, account, &items, out).await,
        Command::Versions(v) => versions_cmds::versions(&cirrus, account, v, out).await,
        Command::Share(s) => work_cmds::share(&cirrus, account, s, out).await,
        Command::Tasks(t) => work_cmds::tasks(&cirrus, account, t, out).await,
        Command::Put(a) => transfer_cmds::put(&cirrus, account, a, out).await,
        Command::Get(a) => transfer_cmds::get(&cirrus, account, a, out).await,
        Command::Transfers(t) => transfer_cmds::transfers(&cirrus, account, t, out).await,
    };
    // A connection failure names the proxy in the way, if any: a wrong proxy otherwise
    // reads as an unreachable server.
    result.map_err(|e| {
        let proxy = cirrus
            .account_or_active(account)
            .ok()
            .and_then(|a| cirrus.proxy_for(Some(&a.id)).ok());
        match proxy {
            Some(p) => p.explain(e),
            None => e,
        }
    })
}

/// `--proxy URL` / `--no-proxy`, if given. A proxy user name needs a password, which never
/// comes from the command line: CIRRUS_PROXY_PASSWORD, else a prompt on a terminal.
fn proxy_choice(url: Option<&str>, none: bool) -> Result<Option<ProxyConfig>, Error> {
    if none {
        return Ok(Some(ProxyConfig::Direct));
    }
    let Some(url) = url else { return Ok(None) };
    let proxy = parse_proxy_url(url)?;
    let password = match &proxy.username {
        None => None,
        Some(user) => match std::env::var("CIRRUS_PROXY_PASSWORD") {
            Ok(p) => Some(p),
            Err(_) if std::io::stdin().is_terminal() => Some(
                rpassword::prompt_password(format!("Proxy password for {user}: "))
                    .map_err(|e| Error::io(format!("Cannot read the proxy password: {e}")))?,
            ),
            Err(_) => {
                return Err(Error::invalid(
                    "The proxy has a user name but no password: set CIRRUS_PROXY_PASSWORD \
                     or run in a terminal to be asked.",
                ));
            }
        },
    };
    Ok(Some(ProxyConfig::Manual { proxy, password }))
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            std::process::exit(if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            });
        }
    };
    init_logging(cli.verbose);
    let out = Out { json: cli.json };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cirrus: cannot start: {e}");
            std::process::exit(exit::LOCAL);
        }
    };
    let code = match rt.block_on(run(cli, out)) {
        Ok(code) => code,
        Err(e) => out.error(&e),
    };
    std::process::exit(code);
}
