/**
 * The search box's filters: the form the popover edits, and the `SearchFilters` Rust takes.
 * Parts the account's server cannot filter by are dropped here, so a search never fails with
 * "not supported" because of a field the user could not see was unavailable.
 */
import type { Capabilities, SearchFilters } from "../backend";
import type { MessageKey } from "../i18n";

export type SizeUnit = "KiB" | "MiB" | "GiB";
export type Category = NonNullable<SearchFilters["category"]>;
export const CATEGORIES: Category[] = ["image", "video", "audio", "document"];

/** What the popover's fields hold (text as typed; dates as `YYYY-MM-DD` from date inputs). */
export interface FilterForm {
  kind: "any" | "file" | "folder";
  minSize: string;
  maxSize: string;
  unit: SizeUnit;
  from: string;
  to: string;
  category: Category | "";
}

export const EMPTY_FORM: FilterForm = { kind: "any", minSize: "", maxSize: "", unit: "MiB", from: "", to: "", category: "" };

const UNIT_BYTES: Record<SizeUnit, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

function bytes(text: string, unit: SizeUnit): number | null | "bad" {
  const t = text.trim();
  if (!t) return null;
  const n = Number(t.replace(",", "."));
  if (!Number.isFinite(n) || n < 0) return "bad";
  return Math.round(n * UNIT_BYTES[unit]);
}

/** Start (or end) of a local calendar day as an RFC 3339 time. */
function day(text: string, end: boolean): string | null | "bad" {
  if (!text) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return "bad";
  const d = end ? new Date(+m[1], +m[2] - 1, +m[3], 23, 59, 59, 999) : new Date(+m[1], +m[2] - 1, +m[3]);
  return Number.isNaN(d.getTime()) ? "bad" : d.toISOString();
}

/**
 * The filters a form asks for on a server with `caps`: `null` when none apply, or the message
 * key of what is wrong with the form.
 */
export function toFilters(form: FilterForm, caps: Capabilities): { filters: SearchFilters | null } | { error: MessageKey } {
  const ranges = caps.searchFilters;
  const min = ranges ? bytes(form.minSize, form.unit) : null;
  const max = ranges ? bytes(form.maxSize, form.unit) : null;
  if (min === "bad" || max === "bad") return { error: "filters.badSize" };
  if (min != null && max != null && min > max) return { error: "filters.sizeOrder" };
  const after = ranges ? day(form.from, false) : null;
  const before = ranges ? day(form.to, true) : null;
  if (after === "bad" || before === "bad") return { error: "filters.badDate" };
  if (after && before && after > before) return { error: "filters.dateOrder" };
  const filters: SearchFilters = {
    // A form left from an account whose server looks for folders asks nothing of one that cannot.
    kind: form.kind === "any" || (form.kind === "folder" && !caps.searchFolders) ? null : form.kind,
    minSize: min,
    maxSize: max,
    modifiedAfter: after,
    modifiedBefore: before,
    category: caps.searchCategory && form.category ? form.category : null,
  };
  return { filters: activeCount(filters) ? filters : null };
}

/** How many filters are set (the badge on the filter button). */
export function activeCount(f: SearchFilters | null | undefined): number {
  if (!f) return 0;
  const sizes = f.minSize != null || f.maxSize != null ? 1 : 0;
  const dates = f.modifiedAfter || f.modifiedBefore ? 1 : 0;
  return (f.kind ? 1 : 0) + sizes + dates + (f.category ? 1 : 0);
}
