//! Account commands: login, logout, accounts, whoami, quota.

use std::io::{BufRead, IsTerminal};

use cirrus_core::account::ProviderKind;
use cirrus_core::{AddAccount, AddAccountOutcome, Cirrus, Error, ErrorKind};
use serde_json::json;

use crate::args::{AccountsAction, AccountsArgs, LoginArgs, LoginProvider};
use crate::exit;
use crate::output::{Out, human_size};

/// The password: CIRRUS_PASSWORD, `--password-stdin`, or a prompt — never argv.
fn read_password(from_stdin: bool) -> Result<String, Error> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_string());
    }
    if let Ok(p) = std::env::var("CIRRUS_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "No password: use a terminal, --password-stdin or CIRRUS_PASSWORD.",
        ));
    }
    rpassword::prompt_password("Password: ")
        .map_err(|e| Error::io(format!("Cannot read the password: {e}")))
}

fn prompt_line(prompt: &str) -> Result<String, Error> {
    eprint!("{prompt}");
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim().to_string())
}

/// The 123pan client secret: CIRRUS_CLIENT_SECRET, `--password-stdin`, or a prompt — never
/// argv.
fn read_client_secret(from_stdin: bool) -> Result<String, Error> {
    if from_stdin {
        return read_password(true);
    }
    if let Ok(p) = std::env::var("CIRRUS_CLIENT_SECRET") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "No client secret: use a terminal, --password-stdin or CIRRUS_CLIENT_SECRET.",
        ));
    }
    rpassword::prompt_password("Client secret: ")
        .map_err(|e| Error::io(format!("Cannot read the client secret: {e}")))
}

/// `cirrus login --provider 123pan --client-id ID [--server URL]`.
async fn login_pan123(
    cirrus: &Cirrus,
    account: Option<&str>,
    a: LoginArgs,
) -> Result<cirrus_core::account::Account, Error> {
    // Signing in again to a selected 123pan account reuses its client id and API host.
    let existing = cirrus
        .account_or_active(account)
        .ok()
        .filter(|x| x.provider == ProviderKind::Pan123);
    let client_id = match a
        .client_id
        .clone()
        .or_else(|| existing.as_ref().map(|x| x.email.clone()))
    {
        Some(id) => id,
        None if std::io::stdin().is_terminal() && !a.password_stdin => prompt_line("Client ID: ")?,
        None => {
            return Err(Error::invalid(
                "Give the 123pan client id with --client-id.",
            ));
        }
    };
    let server = a
        .server
        .clone()
        .or_else(|| existing.as_ref().map(|x| x.server_url.clone()))
        .unwrap_or_default();
    let secret = read_client_secret(a.password_stdin)?;
    let req = AddAccount {
        server_url: server,
        email: client_id,
        password: secret,
        remember_password: true,
        label: a.label.clone(),
        pinned_cert_sha256: a.pin_cert.clone(),
        provider: Some(ProviderKind::Pan123),
    };
    match cirrus.add_account(req).await? {
        AddAccountOutcome::Added(acc) => Ok(acc),
        AddAccountOutcome::TwoFactorRequired { .. } => {
            Err(Error::protocol("123pan does not use two-factor codes."))
        }
    }
}

pub async fn login(
    cirrus: &Cirrus,
    account: Option<&str>,
    a: LoginArgs,
    out: Out,
) -> Result<i32, Error> {
    // Signing in again to a 123pan account needs no --provider.
    let again_pan123 = a.provider.is_none()
        && a.server.is_none()
        && a.email.is_none()
        && cirrus
            .account_or_active(account)
            .is_ok_and(|x| x.provider == ProviderKind::Pan123);
    if a.provider == Some(LoginProvider::Pan123) || a.client_id.is_some() || again_pan123 {
        let added = login_pan123(cirrus, account, a).await?;
        return Ok(signed_in(cirrus, added, out));
    }
    let existing = match (&a.server, account) {
        (None, sel) => Some(cirrus.account_or_active(sel)?),
        (Some(_), Some(sel)) => cirrus.account(sel).ok(),
        _ => None,
    };
    let server = a
        .server
        .clone()
        .or_else(|| existing.as_ref().map(|x| x.server_url.clone()));
    let server = server.ok_or_else(|| Error::invalid("Give the server address with --server."))?;
    let email = match a
        .email
        .clone()
        .or_else(|| existing.as_ref().map(|x| x.email.clone()))
    {
        Some(e) => e,
        None if std::io::stdin().is_terminal() && !a.password_stdin => prompt_line("Email: ")?,
        None => return Err(Error::invalid("Give the email address with --email.")),
    };
    let password = read_password(a.password_stdin)?;
    let req = AddAccount {
        server_url: server,
        email,
        password,
        remember_password: a.remember_password,
        label: a.label.clone(),
        pinned_cert_sha256: a
            .pin_cert
            .clone()
            .or_else(|| existing.and_then(|x| x.pinned_cert_sha256)),
        ..Default::default()
    };
    let added = match cirrus.add_account(req).await? {
        AddAccountOutcome::Added(acc) => acc,
        AddAccountOutcome::TwoFactorRequired { pending_id } => {
            let code = match a.otp {
                Some(c) => c,
                None if std::io::stdin().is_terminal() => prompt_line("Two-factor code: ")?,
                None => return Err(Error::new(ErrorKind::TwoFactorRequired)),
            };
            cirrus.complete_2fa(&pending_id, &code).await?
        }
    };
    Ok(signed_in(cirrus, added, out))
}

/// Reports a new sign-in (and warns about plain http).
fn signed_in(cirrus: &Cirrus, added: cirrus_core::account::Account, out: Out) -> i32 {
    if !added.is_encrypted() && !out.json {
        eprintln!(
            "warning: {} does not use https; the connection is not encrypted, so your sign-in \
             secrets and files can be read on the network.",
            added.server_url
        );
    }
    let store = cirrus.secret_store_info();
    out.print(
        &json!({ "account": added, "secretStore": store, "encrypted": added.is_encrypted() }),
        || {
            format!(
                "Signed in as {} on {} (account \"{}\").",
                added.email, added.server_url, added.label
            )
        },
    );
    exit::OK
}

pub async fn logout(cirrus: &Cirrus, account: Option<&str>, out: Out) -> Result<i32, Error> {
    let a = cirrus.account_or_active(account)?;
    let a = cirrus.sign_out(&a.id).await?;
    out.print(&json!({ "signedOut": a.id }), || {
        format!("Signed out of \"{}\".", a.label)
    });
    Ok(exit::OK)
}

pub async fn accounts(cirrus: &Cirrus, args: AccountsArgs, out: Out) -> Result<i32, Error> {
    match args.action.unwrap_or(AccountsAction::List) {
        AccountsAction::List => {
            let all = cirrus.accounts()?;
            out.print(&all, || {
                if all.is_empty() {
                    return "No accounts. Add one with: cirrus login --server URL --email EMAIL"
                        .into();
                }
                all.iter()
                    .map(|a| {
                        let mark = if a.active { "*" } else { " " };
                        format!(
                            "{mark} {}  {}  {} ({})",
                            &a.id[..8],
                            a.label,
                            a.server_url,
                            a.email
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        AccountsAction::Switch { account } => {
            let a = cirrus.switch_account(&account)?;
            out.print(&a, || format!("Now using \"{}\".", a.label));
        }
        AccountsAction::Rename { account, label } => {
            let a = cirrus.rename_account(&account, &label)?;
            out.print(&a, || format!("Renamed to \"{}\".", a.label));
        }
        AccountsAction::Rm { account } => {
            let a = cirrus.remove_account(&account).await?;
            out.print(&json!({ "removed": a.id }), || {
                format!("Removed \"{}\".", a.label)
            });
        }
    }
    Ok(exit::OK)
}

pub async fn whoami(cirrus: &Cirrus, account: Option<&str>, out: Out) -> Result<i32, Error> {
    let a = cirrus.account_or_active(account)?;
    let u = cirrus.provider(&a.id).await?.whoami().await?;
    out.print(
        &json!({ "account": a.id, "server": a.server_url, "user": u }),
        || {
            format!(
                "{} <{}> on {}",
                u.nickname,
                u.email.clone().unwrap_or_default(),
                a.server_url
            )
        },
    );
    Ok(exit::OK)
}

pub async fn quota(cirrus: &Cirrus, account: Option<&str>, out: Out) -> Result<i32, Error> {
    let a = cirrus.account_or_active(account)?;
    let c = cirrus.provider(&a.id).await?.capacity().await?;
    out.print(
        &json!({ "total": c.total, "used": c.used, "free": c.free() }),
        || {
            format!(
                "{} used of {} ({} free)",
                human_size(c.used),
                human_size(c.total),
                human_size(c.free())
            )
        },
    );
    Ok(exit::OK)
}
