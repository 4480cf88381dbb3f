//! Accounts: sign-in (with the 2FA step), switching, renaming, removing, and the local sandbox.

use crate::dto::{AccountDto, AddAccountResultDto};
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use cirrus_core::account::Account;
use cirrus_core::{AddAccount, AddAccountOutcome};
use cirrus_sandbox::{Sandbox, SandboxConfig, demo};
use tauri::State;

/// The label the sandbox account gets, also used to find stale ones from earlier runs.
pub const SANDBOX_LABEL: &str = "Local sandbox";

fn dto(a: &Account) -> AccountDto {
    AccountDto {
        id: a.id.clone(),
        label: a.label.clone(),
        server_url: a.server_url.clone(),
        email: a.email.clone(),
        nickname: a.nickname.clone(),
        active: a.active,
    }
}

/// All saved accounts.
#[tauri::command]
pub async fn accounts_list(state: State<'_, AppState>) -> CmdResult<Vec<AccountDto>> {
    Ok(state.cirrus.accounts()?.iter().map(dto).collect())
}

/// Signs in with a password; answers `needs2fa` when the server asks for a code.
#[tauri::command]
pub async fn account_add(
    state: State<'_, AppState>,
    server_url: String,
    email: String,
    password: String,
    remember: bool,
) -> CmdResult<AddAccountResultDto> {
    let req = AddAccount {
        server_url,
        email,
        password,
        remember_password: remember,
        ..Default::default()
    };
    Ok(match state.cirrus.add_account(req).await? {
        AddAccountOutcome::Added(a) => AddAccountResultDto::SignedIn { account: dto(&a) },
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
    Ok(dto(&state
        .cirrus
        .complete_2fa(&pending_id, code.trim())
        .await?))
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

/// Signs out and removes an account with its saved secrets.
#[tauri::command]
pub async fn account_remove(state: State<'_, AppState>, account_id: String) -> CmdResult<()> {
    state.cirrus.remove_account(&account_id).await?;
    state.invalidate(&account_id).await;
    Ok(())
}

/// Starts the in-process demo server (once) and signs in to it as the demo user.
#[tauri::command]
pub async fn sandbox_start(state: State<'_, AppState>) -> CmdResult<AccountDto> {
    let mut slot = state.sandbox.lock().await;
    if slot.is_none() {
        let sandbox = Sandbox::start(SandboxConfig::default())
            .await
            .map_err(|e| {
                CommandError::new("io", format!("The local sandbox could not start: {e}"))
            })?;
        *slot = Some(sandbox);
    }
    let url = slot.as_ref().map(Sandbox::base_url).unwrap_or_default();
    // A sandbox from an earlier run lived on another port and its data is gone: drop it.
    for old in state.cirrus.accounts()? {
        if old.label == SANDBOX_LABEL && old.server_url.trim_end_matches('/') != url {
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
            Ok(dto(&a))
        }
        AddAccountOutcome::TwoFactorRequired { .. } => Err(CommandError::new(
            "protocol",
            "The sandbox demo user unexpectedly asked for a code.",
        )),
    }
}
