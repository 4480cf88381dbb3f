//! The search box's filters (from the UI) turned into the core's [`SearchQuery`], checked
//! before anything is sent so a typo in a bound is reported rather than silently ignored.

use crate::dto::SearchFiltersDto;
use crate::error::{CmdResult, CommandError};
use chrono::{DateTime, Utc};
use cirrus_core::provider::{EntryKind, SearchCategory, SearchQuery};

fn invalid(message: String) -> CommandError {
    CommandError::new("invalidInput", message)
}

fn time(field: &str, value: &Option<String>) -> CmdResult<Option<DateTime<Utc>>> {
    value
        .as_deref()
        .map(|s| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| invalid(format!("{field} is not a time: {s:?}.")))
        })
        .transpose()
}

/// A search for `name` (trimmed, not empty) narrowed by `filters`.
pub fn query(name: &str, filters: &SearchFiltersDto) -> CmdResult<SearchQuery> {
    let name = name.trim();
    if name.is_empty() {
        return Err(invalid("Type something to search for.".into()));
    }
    let kind = match filters.kind.as_deref() {
        None => None,
        Some("file") => Some(EntryKind::File),
        Some("folder") => Some(EntryKind::Folder),
        Some(other) => return Err(invalid(format!("Unknown item type {other:?}."))),
    };
    let category = filters
        .category
        .as_deref()
        .map(|c| {
            SearchCategory::parse(c).ok_or_else(|| invalid(format!("Unknown category {c:?}.")))
        })
        .transpose()?;
    if let (Some(min), Some(max)) = (filters.min_size, filters.max_size)
        && min > max
    {
        return Err(invalid(
            "The smallest size is larger than the largest.".into(),
        ));
    }
    let modified_after = time("The start date", &filters.modified_after)?;
    let modified_before = time("The end date", &filters.modified_before)?;
    if let (Some(a), Some(b)) = (modified_after, modified_before)
        && a > b
    {
        return Err(invalid("The start date is after the end date.".into()));
    }
    Ok(SearchQuery {
        name: name.to_string(),
        kind,
        min_size: filters.min_size,
        max_size: filters.max_size,
        modified_after,
        modified_before,
        category,
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_filters_is_a_plain_name_search() {
        let q = query("  report ", &SearchFiltersDto::default()).unwrap();
        assert_eq!(q.name, "report");
        assert!(q.kind.is_none() && q.category.is_none() && !q.has_range_filters());
        assert!(query("   ", &SearchFiltersDto::default()).is_err());
    }

    #[test]
    fn filters_are_parsed_and_bad_ones_are_refused() {
        let f = SearchFiltersDto {
            kind: Some("file".into()),
            min_size: Some(10),
            max_size: Some(2048),
            modified_after: Some("2026-01-01T00:00:00+01:00".into()),
            modified_before: Some("2026-02-01T00:00:00Z".into()),
            category: Some("document".into()),
        };
        let q = query("x", &f).unwrap();
        assert_eq!(q.kind, Some(EntryKind::File));
        assert_eq!((q.min_size, q.max_size), (Some(10), Some(2048)));
        assert_eq!(
            q.modified_after.unwrap().to_rfc3339(),
            "2025-12-31T23:00:00+00:00"
        );
        assert_eq!(q.category, Some(SearchCategory::Document));

        let bad = |f: SearchFiltersDto| query("x", &f).unwrap_err().kind;
        assert_eq!(
            bad(SearchFiltersDto {
                kind: Some("link".into()),
                ..f.clone()
            }),
            "invalidInput"
        );
        assert_eq!(
            bad(SearchFiltersDto {
                min_size: Some(4096),
                ..f.clone()
            }),
            "invalidInput"
        );
        assert_eq!(
            bad(SearchFiltersDto {
                modified_after: Some("yesterday".into()),
                ..f.clone()
            }),
            "invalidInput"
        );
        assert_eq!(
            bad(SearchFiltersDto {
                modified_after: Some("2026-03-01T00:00:00Z".into()),
                ..f.clone()
            }),
            "invalidInput"
        );
        assert_eq!(
            bad(SearchFiltersDto {
                category: Some("music".into()),
                ..f
            }),
            "invalidInput"
        );
    }
}
