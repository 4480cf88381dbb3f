//! Random access to a listing that the server only hands out page by page.
//!
//! A virtualised view asks for "rows 40 000 to 40 060"; servers give cursor pages. A
//! `ListingWindow` fetches pages on demand, keeps what it has fetched, and answers row windows,
//! so the UI never holds (or ships over IPC) a 100 000-entry folder at once.

use crate::error::Result;
use crate::provider::{Entry, ListOptions, Provider, RemoteRef, SearchQuery};
use std::collections::HashMap;
use std::sync::Arc;

/// What a window lists.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ListingSource {
    /// A folder's children.
    Folder(RemoteRef),
    /// Search results below a folder.
    Search(RemoteRef, SearchQuery),
    /// The trash.
    Trash,
}

/// A slice of rows plus what is known about the whole listing.
#[derive(Clone, Debug)]
pub struct RowWindow {
    /// The rows asked for (fewer at the end of the listing).
    pub entries: Vec<Entry>,
    /// How many rows are loaded so far; equals the total once `complete`.
    pub loaded: usize,
    /// Whether the whole listing has been fetched.
    pub complete: bool,
    /// Whether the server said the listing is cut short (a search that hit its folder
    /// budget): complete or not, more may match than it lists.
    pub limited: bool,
}

/// A lazily fetched listing with row-window access.
pub struct ListingWindow {
    provider: Arc<dyn Provider>,
    source: ListingSource,
    options: ListOptions,
    entries: Vec<Entry>,
    cursor: Option<String>,
    complete: bool,
    limited: bool,
}

impl ListingWindow {
    /// Page size asked of the server; large pages mean fewer round trips for big folders.
    pub const PAGE_SIZE: u32 = 1000;

    /// Creates an empty window; nothing is fetched until rows are asked for.
    pub fn new(
        provider: Arc<dyn Provider>,
        source: ListingSource,
        mut options: ListOptions,
    ) -> Self {
        options.page_size.get_or_insert(Self::PAGE_SIZE);
        ListingWindow {
            provider,
            source,
            options,
            entries: Vec::new(),
            cursor: None,
            complete: false,
            limited: false,
        }
    }

    /// Returns rows `offset .. offset + limit`, fetching just enough pages to cover them.
    pub async fn rows(&mut self, offset: usize, limit: usize) -> Result<RowWindow> {
        let wanted = offset.saturating_add(limit);
        while !self.complete && self.entries.len() < wanted {
            self.fetch_next_page().await?;
        }
        let end = wanted.min(self.entries.len());
        let start = offset.min(end);
        Ok(RowWindow {
            entries: self.entries[start..end].to_vec(),
            loaded: self.entries.len(),
            complete: self.complete,
            limited: self.limited,
        })
    }

    async fn fetch_next_page(&mut self) -> Result<()> {
        let cursor = self.cursor.as_deref();
        let page = match &self.source {
            ListingSource::Folder(folder) => {
                self.provider.list(folder, &self.options, cursor).await?
            }
            ListingSource::Search(folder, query) => {
                self.provider
                    .search(folder, query, &self.options, cursor)
                    .await?
            }
            ListingSource::Trash => self.provider.list_trash(&self.options, cursor).await?,
        };
        self.entries.extend(page.entries);
        self.limited |= page.limited;
        // A provider that repeats a cursor would loop forever; treat that as the end.
        let stuck = page.next_cursor.is_some() && page.next_cursor == self.cursor;
        self.cursor = page.next_cursor;
        self.complete = self.cursor.is_none() || stuck;
        Ok(())
    }
}

/// Windows kept per account and listing, so scrolling back and forth does not refetch.
#[derive(Default)]
pub struct ListingCache {
    windows: HashMap<(String, ListingSource, String), Arc<tokio::sync::Mutex<ListingWindow>>>,
}

impl ListingCache {
    /// How many listings are kept before the cache starts over (a bound on memory).
    pub const MAX_WINDOWS: usize = 32;

    /// The window for this account, source and sort order, created on first use or when
    /// `refresh` asks for fresh data.
    pub fn window(
        &mut self,
        account: &str,
        provider: Arc<dyn Provider>,
        source: ListingSource,
        options: ListOptions,
        refresh: bool,
    ) -> Arc<tokio::sync::Mutex<ListingWindow>> {
        let sort = format!("{:?}/{:?}", options.order_by, options.direction);
        let key = (account.to_string(), source.clone(), sort);
        if refresh || !self.windows.contains_key(&key) {
            if self.windows.len() >= Self::MAX_WINDOWS {
                self.windows.clear();
            }
            let window = ListingWindow::new(provider, source, options);
            self.windows
                .insert(key.clone(), Arc::new(tokio::sync::Mutex::new(window)));
        }
        self.windows[&key].clone()
    }

    /// Forgets every listing of an account, after anything that may have changed its files.
    pub fn invalidate_account(&mut self, account: &str) {
        self.windows.retain(|(a, _, _), _| a != account);
    }
}
