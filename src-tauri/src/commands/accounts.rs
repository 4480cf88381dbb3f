//! Accounts: sign-in (with the 2FA step), switching, renaming, signing out (the account stays),
//! removing (it goes, with its transfers), and the local sandbox.

use crate::dto::{AccountDto, AddAccountResultDto};
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use cirrus_core::account::{Account, ProviderKind};
use cirrus_core::{AddAccount, AddAccountOutcome};
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::State;

/// The label the sandbox account gets, also used to find stale ones from earlier runs.
pub const SANDBOX_LABEL: &str = "Local sandbox";

/// What the app remembers about the sandbox between runs: which account is the sandbox one
/// and the port it listened on (reused so the account's address stays valid).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SandboxRecord {
    /// The sandbox account's id.
    pub account_id: String,
    /// The port of the last run.
    pub port: u16,
}

fn sandbox_record_path(data_dir: &Path) -> PathBuf {
    data_dir.join("sandbox.json")
}

/// The saved sandbox record, if any (a damaged file counts as none).
pub fn load_sandbox_record(data_dir: &Path) -> Option<SandboxRecord> {
    let text = std::fs::read_to_string(sandbox_record_path(data_dir)).ok()?;
    serde_json::from_str(&text).ok()
}

fn save_sandbox_record(data_dir: &Path, record: &SandboxRecord) -> CmdResult<()> {
    let text = serde_json::to_string(record)
        .map_err(|e| CommandError::new("io", format!("Could not save the sandbox state: {e}")))?;
    std::fs::write(sandbox_record_path(data_dir), text)
        .map_err(|e| CommandError::new("io", format!("Could not save the sandbox state: {e}")))
}

async fn dto(state: &AppState, a: &Account) -> CmdResult<AccountDto> {
    let sandbox =
        load_sandbox_record(state.cirrus.data_dir()).is_some_and(|r| r.account_id == a.id);
    Ok(AccountDto {
        id: a.id.clone(),
        label: a.label.clone(),
        server_url: a.server_url.clone(),
        email: a.email.clone(),
        nickname: a.nickname.clone(),
        active: a.active,
        signed_in: state.cirrus.is_signed_in(&a.id)?,
        encrypted: a.is_encrypted(),
        sandbox,
        pending_transfers: state.hub.unfinished_count(&a.id).await.unwrap_or(0) as u32,
        provider: a.provider.into(),
        capabilities: a.provider.capabilities(),
        root_uri: a.provider.root().0,
    })
}

/// All saved accounts.
#[tauri::command]
pub async fn accounts_list(state: State<'_, AppState>) -> CmdResult<Vec<AccountDto>> {
    let mut out = Vec::new();
    for a in state.cirrus.accounts()? {
        out.push(dto(&state, &a).await?);
    }
    Ok(out)
}

/// Signs in; answers `needs2fa` when the server asks for a code. `provider` absent (or
/// `null`) signs in to a Cloudreve server, its version detected; `"pan123"` signs in to the
/// 123pan Open Platform with the developer client id as `email` and the client secret as
/// `password` (an empty `server_url` means the official API host).
#[tauri::command]
pub async fn account_add(
    state: State<'_, AppState>,
    server_url: String,
    email: String,
    password: String,
    remember: bool,
    provider: Option<String>,
) -> CmdResult<AddAccountResultDto> {
    let provider = match provider.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(name) => Some(ProviderKind::parse(name).ok_or_else(|| {
            CommandError::new("invalidInput", format!("Unknown service {name:?}."))
        })?),
    };
    let req = AddAccount {
        server_url,
        email,
        password,
        remember_password: remember,
        provider,
        ..Default::default()
    };
    Ok(match state.cirrus.add_account(req).await? {
        AddAccountOutcome::Added(a) => AddAccountResultDto::SignedIn {
            account: Box::new(dto(&state, &a).await?),
        },
        AddAccountOutcome::TwoFactorRequired { pending_id } => {
            AddAccountResultDto::Needs2fa { pending_id }
        }
    })
}

/// Completes a sign-in with the one-time code.
#[tauri::command]
pub async fn account_2fa(
    state: State<'_, AppState>,
    pending_id: String,
    code: String,
) -> CmdResult<AccountDto> {
    let a = state.cirrus.complete_2fa(&pending_id, code.trim()).await?;
    dto(&state, &a).await
}

/// Makes an account the active one.
#[tauri::command]
pub async fn account_switch(state: State<'_, AppState>, account_id: String) -> CmdResult<()> {
    state.cirrus.switch_account(&account_id)?;
    Ok(())
}

/// Renames an account.
#[tauri::command]
pub async fn account_rename(
    state: State<'_, AppState>,
    account_id: String,
    label: String,
) -> CmdResult<()> {
    let label = label.trim();
    if label.is_empty() {
        return Err(CommandError::new(
            "invalidInput",
            "The account name cannot be empty.",
        ));
    }
    state.cirrus.rename_account(&account_id, label)?;
    Ok(())
}

/// Signs out: the account stays listed (signed out), its unfinished transfers are paused and
/// kept, and the server session and saved tokens are dropped. Signing in again to the same
/// server and email brings the same account back.
#[tauri::command]
pub async fn account_sign_out(state: State<'_, AppState>, account_id: String) -> CmdResult<()> {
    state.hub.park_account(&account_id).await?;
    state.cirrus.sign_out(&account_id).await?;
    state.invalidate(&account_id).await;
    Ok(())
}

/// Removes an account from this computer: cancels and forgets its transfers, signs out and
/// deletes its saved secrets. Files on the server are not touched.
#[tauri::command]
pub async fn account_remove(state: State<'_, AppState>, account_id: String) -> CmdResult<()> {
    let id = state.cirrus.account(&account_id)?.id;
    state.hub.forget_account(&id).await?;
    state.cirrus.remove_account(&id).await?;
    state.invalidate(&id).await;
    Ok(())
}

/// Starts the in-process demo server (once per run) and signs in to it as the demo user.
/// After a restart the sandbox comes back on its previous port when that port is free, so the
/// sandbox account (and its transfer list) stays the same.
#[tauri::command]
pub async fn sandbox_start(state: State<'_, AppState>) -> CmdResult<AccountDto> {
    let data_dir = state.cirrus.data_dir().to_path_buf();
    let record = load_sandbox_record(&data_dir);
    let mut slot = state.sandbox.lock().await;
    if slot.is_none() {
        let start = |port| {
            Sandbox::start(SandboxConfig {
                port,
                demo_media: true,
                ..SandboxConfig::default()
            })
        };
        let mut reused = None;
        if let Some(port) = record.as_ref().map(|r| r.port).filter(|p| *p != 0) {
            // The previous run may still be letting go of the port: a few short tries.
            for attempt in 0..10 {
                match start(port).await {
                    Ok(s) => {
                        reused = Some(s);
                        break;
                    }
                    Err(e) if attempt == 9 => {
                        tracing::info!("sandbox port {port} is taken ({e}); using a new one");
                    }
                    Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
                }
            }
        }
        let sandbox = match reused {
            Some(s) => Ok(s),
            None => start(0).await,
        }
        .map_err(|e| CommandError::new("io", format!("The local sandbox could not start: {e}")))?;
        *slot = Some(sandbox);
    }
    let url = slot.as_ref().map(Sandbox::base_url).unwrap_or_default();
    // A sandbox from an earlier run on another port: its address is dead and its data gone.
    for old in state.cirrus.accounts()? {
        let was_sandbox =
            old.label == SANDBOX_LABEL || record.as_ref().is_some_and(|r| r.account_id == old.id);
        if was_sandbox && old.server_url.trim_end_matches('/') != url {
            let _ = state.hub.forget_account(&old.id).await;
            let _ = state.cirrus.remove_account(&old.id).await;
        }
    }
    let req = AddAccount {
        server_url: url,
        email: demo::EMAIL.into(),
        password: demo::PASSWORD.into(),
        remember_password: false,
        label: Some(SANDBOX_LABEL.into()),
        ..Default::default()
    };
    match state.cirrus.add_account(req).await? {
        AddAccountOutcome::Added(a) => {
            let a = state.cirrus.switch_account(&a.id)?;
            let port = slot.as_ref().map(|s| s.addr().port()).unwrap_or(0);
            save_sandbox_record(
                &data_dir,
                &SandboxRecord {
                    account_id: a.id.clone(),
                    port,
                },
            )?;
            drop(slot);
            dto(&state, &a).await
        }
        AddAccountOutcome::TwoFactorRequired { .. } => Err(CommandError::new(
            "protocol",
            "The sandbox demo user unexpectedly asked for a code.",
        )),
    }
}
