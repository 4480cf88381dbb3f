import { useState } from "react";
import type { SearchFilters } from "../../backend";
import { useI18n, type MessageKey } from "../../i18n";
import { activeCount, CATEGORIES, EMPTY_FORM, toFilters, type FilterForm, type SizeUnit } from "../../lib/searchFilters";
import { useAccountFeatures } from "../accounts/AccountFeatures";
import "./SearchFiltersPopover.css";

const CATEGORY_KEYS: Record<(typeof CATEGORIES)[number], MessageKey> = {
  image: "filters.catImage",
  video: "filters.catVideo",
  audio: "filters.catAudio",
  document: "filters.catDocument",
};

/**
 * The search box's filter button and its popover: type, size range, modified dates and, where
 * the server has them, categories. Ranges the server cannot filter by are greyed out with the
 * reason. `onApply` gets the form (to reopen it as left) and the filters (null: none).
 */
export function SearchFiltersPopover({
  form,
  applied,
  disabled,
  onApply,
}: {
  form: FilterForm;
  applied: SearchFilters | null;
  /** Why search itself is unavailable (then the button is greyed too). */
  disabled?: string | null;
  onApply: (form: FilterForm, filters: SearchFilters | null) => void;
}) {
  const { t } = useI18n();
  const { caps, providerName } = useAccountFeatures();
  const [open, setOpen] = useState(false);
  const [draft, setDraft] = useState<FilterForm>(form);
  const [error, setError] = useState<MessageKey | null>(null);
  const count = activeCount(applied);
  const noRanges = caps.searchFilters ? null : t("caps.noSearchFilters", { provider: providerName });
  const set = (patch: Partial<FilterForm>) => setDraft((d) => ({ ...d, ...patch }));

  const apply = (next: FilterForm) => {
    const r = toFilters(next, caps);
    if ("error" in r) {
      setError(r.error);
      return;
    }
    setError(null);
    setOpen(false);
    onApply(next, r.filters);
  };

  return (
    <div className="menu-button search-filters">
      <button
        type="button"
        className={`icon-button${count ? " active" : ""}`}
        aria-haspopup="dialog"
        aria-expanded={open}
        aria-disabled={!!disabled}
        title={disabled ?? t("filters.title")}
        aria-label={t("filters.title")}
        data-testid="search-filters-button"
        onClick={() => {
          if (disabled) return;
          setDraft(form);
          setError(null);
          setOpen((v) => !v);
        }}
      >
        <svg width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" aria-hidden="true">
          <path d="M4 5h16l-6 8v5l-4 2v-7z" />
        </svg>
        {count > 0 && (
          <span className="filter-count" data-testid="search-filters-count">
            {count}
          </span>
        )}
      </button>
      {open && (
        <form
          className="dropdown filters-popover"
          role="dialog"
          aria-label={t("filters.title")}
          data-testid="search-filters"
          onKeyDown={(e) => {
            e.stopPropagation();
            if (e.key === "Escape") setOpen(false);
          }}
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <fieldset>
            <legend>{t("filters.type")}</legend>
            <select value={draft.kind} aria-label={t("filters.type")} onChange={(e) => set({ kind: e.target.value as FilterForm["kind"] })} data-testid="filter-kind">
              <option value="any">{t("filters.any")}</option>
              <option value="file">{t("filters.files")}</option>
              <option value="folder" disabled={!caps.searchFolders}>
                {t("filters.folders")}
              </option>
            </select>
            {!caps.searchFolders && (
              <p className="muted filter-note" data-testid="filter-folders-unavailable">
                {t("caps.noFolderSearch", { provider: providerName })}
              </p>
            )}
          </fieldset>
          <fieldset disabled={!!noRanges} title={noRanges ?? undefined} data-testid="filter-size">
            <legend>{t("filters.size")}</legend>
            <div className="filter-row">
              <input inputMode="decimal" placeholder={t("filters.min")} aria-label={t("filters.min")} value={draft.minSize} onChange={(e) => set({ minSize: e.target.value })} data-testid="filter-min-size" />
              <span>–</span>
              <input inputMode="decimal" placeholder={t("filters.max")} aria-label={t("filters.max")} value={draft.maxSize} onChange={(e) => set({ maxSize: e.target.value })} data-testid="filter-max-size" />
              <select value={draft.unit} aria-label={t("filters.unit")} onChange={(e) => set({ unit: e.target.value as SizeUnit })} data-testid="filter-unit">
                <option value="KiB">KiB</option>
                <option value="MiB">MiB</option>
                <option value="GiB">GiB</option>
              </select>
            </div>
          </fieldset>
          <fieldset disabled={!!noRanges} title={noRanges ?? undefined} data-testid="filter-dates">
            <legend>{t("filters.modified")}</legend>
            <div className="filter-row">
              <input type="date" aria-label={t("filters.from")} value={draft.from} onChange={(e) => set({ from: e.target.value })} data-testid="filter-from" />
              <span>–</span>
              <input type="date" aria-label={t("filters.to")} value={draft.to} onChange={(e) => set({ to: e.target.value })} data-testid="filter-to" />
            </div>
          </fieldset>
          {noRanges && (
            <p className="muted filter-note" data-testid="filter-ranges-unavailable">
              {noRanges}
            </p>
          )}
          {caps.searchCategory && (
            <fieldset>
              <legend>{t("filters.category")}</legend>
              <select value={draft.category} aria-label={t("filters.category")} onChange={(e) => set({ category: e.target.value as FilterForm["category"] })} data-testid="filter-category">
                <option value="">{t("filters.any")}</option>
                {CATEGORIES.map((c) => (
                  <option key={c} value={c}>
                    {t(CATEGORY_KEYS[c])}
                  </option>
                ))}
              </select>
            </fieldset>
          )}
          {error && (
            <p className="filter-error" role="alert" data-testid="filter-error">
              {t(error)}
            </p>
          )}
          <div className="filter-buttons">
            <button
              type="button"
              data-testid="filter-clear"
              onClick={() => {
                setDraft(EMPTY_FORM);
                apply(EMPTY_FORM);
              }}
            >
              {t("filters.clear")}
            </button>
            <button type="submit" className="primary" data-testid="filter-apply">
              {t("filters.apply")}
            </button>
          </div>
        </form>
      )}
    </div>
  );
}
