//! Browsing: row windows of folders, search results and the trash; capacity; item details.
//!
//! Paging is done here in Rust: the UI asks for the rows it is about to show and the listing
//! window fetches server pages on demand, so a 100 000-entry folder never crosses IPC at once.

use crate::dto::{CapacityDto, EntryDto, PageDto, SearchFiltersDto};
use crate::error::{CmdResult, CommandError};
use crate::state::AppState;
use cirrus_core::listing_window::{ListingSource, RowWindow};
use cirrus_core::provider::{Direction, ListOptions, OrderBy, RemoteRef};
use tauri::State;

/// Rows asked for at most in one call (a screenful is ~50).
const MAX_LIMIT: u32 = 2000;

fn order_by(s: &str) -> CmdResult<OrderBy> {
    Ok(match s {
        "name" => OrderBy::Name,
        "size" => OrderBy::Size,
        "updated_at" => OrderBy::UpdatedAt,
        "created_at" => OrderBy::CreatedAt,
        other => {
            return Err(CommandError::new(
                "invalidInput",
                format!("Unknown sort key {other:?}."),
            ));
        }
    })
}

fn direction(s: &str) -> CmdResult<Direction> {
    Ok(match s {
        "asc" => Direction::Asc,
        "desc" => Direction::Desc,
        other => {
            return Err(CommandError::new(
                "invalidInput",
                format!("Unknown sort direction {other:?}."),
            ));
        }
    })
}

fn page(w: RowWindow) -> PageDto {
    PageDto {
        entries: w.entries.iter().map(EntryDto::from).collect(),
        total: w.complete.then_some(w.loaded as u32),
        complete: w.complete,
        loaded: w.loaded as u32,
        limited: w.limited,
    }
}

async fn rows(
    state: &AppState,
    account_id: &str,
    source: ListingSource,
    options: ListOptions,
    offset: u32,
    limit: u32,
    refresh: bool,
) -> CmdResult<PageDto> {
    let provider = state.provider(account_id).await?;
    let window = state
        .listings
        .lock()
        .await
        .window(account_id, provider, source, options, refresh);
    let mut window = window.lock().await;
    Ok(page(
        window
            .rows(offset as usize, limit.min(MAX_LIMIT) as usize)
            .await?,
    ))
}

/// Rows `offset .. offset + limit` of a folder in the given order. A window starting at row 0
/// (navigating into a folder, pressing refresh) always refetches, so changes made elsewhere
/// (server tasks, other clients) show up; scrolling further reuses what was fetched.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn browse_list(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    order_by: String,
    direction: String,
    offset: u32,
    limit: u32,
    refresh: Option<bool>,
) -> CmdResult<PageDto> {
    let options = ListOptions {
        order_by: self::order_by(&order_by)?,
        direction: self::direction(&direction)?,
        page_size: None,
    };
    let source = ListingSource::Folder(RemoteRef(uri));
    rows(
        &state,
        &account_id,
        source,
        options,
        offset,
        limit,
        refresh.unwrap_or(offset == 0),
    )
    .await
}

/// Rows `offset .. offset + limit` of a name search below a folder, narrowed by `filters` (type,
/// size, dates, category), paged like a folder: a window starting at row 0 searches afresh,
/// scrolling further fetches more server pages.
#[tauri::command]
#[allow(clippy::too_many_arguments)]
pub async fn browse_search(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
    query: String,
    filters: Option<SearchFiltersDto>,
    offset: Option<u32>,
    limit: Option<u32>,
    refresh: Option<bool>,
) -> CmdResult<PageDto> {
    let offset = offset.unwrap_or(0);
    let query = crate::search_filters::query(&query, &filters.unwrap_or_default())?;
    let source = ListingSource::Search(RemoteRef(uri), query);
    rows(
        &state,
        &account_id,
        source,
        ListOptions::default(),
        offset,
        limit.unwrap_or(MAX_LIMIT),
        refresh.unwrap_or(offset == 0),
    )
    .await
}

/// Rows of the trash.
#[tauri::command]
pub async fn browse_trash(
    state: State<'_, AppState>,
    account_id: String,
    offset: u32,
    limit: u32,
    refresh: Option<bool>,
) -> CmdResult<PageDto> {
    rows(
        &state,
        &account_id,
        ListingSource::Trash,
        ListOptions::default(),
        offset,
        limit,
        refresh.unwrap_or(offset == 0),
    )
    .await
}

/// Storage used and available.
#[tauri::command]
pub async fn capacity(state: State<'_, AppState>, account_id: String) -> CmdResult<CapacityDto> {
    let c = state.provider(&account_id).await?.capacity().await?;
    Ok(CapacityDto {
        used: c.used,
        total: c.total,
    })
}

/// Details of one item.
#[tauri::command]
pub async fn file_info(
    state: State<'_, AppState>,
    account_id: String,
    uri: String,
) -> CmdResult<EntryDto> {
    let entry = state
        .provider(&account_id)
        .await?
        .stat(&RemoteRef(uri))
        .await?;
    Ok(EntryDto::from(&entry))
}
