//! Share links: create, list mine, delete, and copying the link text.

use crate::dto::ShareDto;
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use cirrus_core::provider::{Capabilities, RemoteRef, Share, ShareOptions};
use tauri::{AppHandle, Runtime, State};
use tauri_plugin_clipboard_manager::ClipboardExt;

fn dto(s: Share, caps: &Capabilities) -> ShareDto {
    ShareDto {
        limits_editable: caps.share_limits,
        password_editable: caps.share_password_editable,
        password_protected: s.password.as_deref().is_some_and(|p| !p.is_empty()),
        id: s.id,
        name: s.name,
        url: s.url,
        password: s.password.filter(|p| !p.is_empty()),
        expires: s.expires_at.map(|t| t.to_rfc3339()),
        remain_downloads: s.remaining_downloads,
        visited: s.views,
        downloaded: s.downloads,
    }
}

/// Creates a share link (optional password, expiry in seconds, download limit).
#[tauri::command]
pub async fn shares_create(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    password: Option<String>,
    expire_seconds: Option<u64>,
    downloads: Option<u32>,
) -> CmdResult<ShareDto> {
    let password = checked_password(password)?;
    let options = ShareOptions {
        password,
        expires_in_secs: expire_seconds.filter(|s| *s > 0),
        download_limit: downloads.filter(|d| *d > 0),
        ..Default::default()
    };
    let provider = state.provider(&account_id).await?;
    let share = provider.create_share(&RemoteRef(uri), &options).await?;
    Ok(dto(share, &provider.capabilities()))
}

/// A share password as typed: trimmed, empty = none, else up to 32 letters and digits.
fn checked_password(password: Option<String>) -> CmdResult<Option<String>> {
    let password = password
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty());
    if let Some(p) = &password
        && (p.len() > 32 || !p.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return Err(CommandError::new(
            "invalidInput",
            "A share password is up to 32 letters and digits.",
        ));
    }
    Ok(password)
}

/// Changes a share link's expiry, download limit and (where the server allows it) password.
/// The server replaces every limit at once, so the UI sends the complete new set: the values
/// it was prefilled with for fields the user left alone. `None` means "no limit".
#[tauri::command]
pub async fn shares_edit(
    state: State<'_, AppState>,
    account_id: String,
    id: String,
    password: Option<String>,
    expire_seconds: Option<u64>,
    downloads: Option<u32>,
) -> CmdResult<ShareDto> {
    let provider = state.provider(&account_id).await?;
    let caps = provider.capabilities();
    if !caps.share_limits {
        return Err(CommandError::new(
            "unsupported",
            "This server cannot change a share link after it was created.",
        ));
    }
    let current = provider.share(&id).await?;
    let item = current.source.clone().ok_or_else(|| {
        CommandError::new(
            "protocol",
            "The server did not say which file this share link belongs to.",
        )
    })?;
    let password = checked_password(password)?;
    let current_password = current.password.clone().filter(|p| !p.is_empty());
    if password != current_password && !caps.share_password_editable {
        return Err(CommandError::new(
            "unsupported",
            "This server cannot change a share link's password. Delete the link and create a new one instead.",
        ));
    }
    let options = ShareOptions {
        password,
        expires_in_secs: expire_seconds.filter(|s| *s > 0),
        download_limit: downloads.filter(|d| *d > 0),
        ..Default::default()
    };
    let share = provider.edit_share(&current.id, &item, &options).await?;
    Ok(dto(share, &caps))
}

/// Every share link of the account.
#[tauri::command]
pub async fn shares_list(
    state: State<'_, AppState>,
    account_id: String,
) -> CmdResult<Vec<ShareDto>> {
    let provider = state.provider(&account_id).await?;
    let caps = provider.capabilities();
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = provider.list_shares(cursor.as_deref()).await?;
        out.extend(page.shares.into_iter().map(|s| dto(s, &caps)));
        match page.next_cursor {
            Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
            _ => break,
        }
    }
    Ok(out)
}

/// Deletes a share link.
#[tauri::command]
pub async fn shares_delete(
    state: State<'_, AppState>,
    account_id: String,
    id: String,
) -> CmdResult<()> {
    Ok(state.provider(&account_id).await?.delete_share(&id).await?)
}

/// Puts text (a share link) on the system clipboard.
#[tauri::command]
pub async fn clipboard_copy<R: Runtime>(app: AppHandle<R>, text: String) -> CmdResult<()> {
    app.clipboard()
        .write_text(text)
        .map_err(|e| CommandError::new("io", format!("Could not copy to the clipboard: {e}")))
}
