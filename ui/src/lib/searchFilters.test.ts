import { FULL_CAPABILITIES } from "./capabilities";
import { activeCount, EMPTY_FORM, toFilters } from "./searchFilters";

const noRanges = { ...FULL_CAPABILITIES, searchFilters: false, searchCategory: false };

test("an empty form means no filters", () => {
  expect(toFilters(EMPTY_FORM, FULL_CAPABILITIES)).toEqual({ filters: null });
  expect(activeCount(null)).toBe(0);
});

test("sizes use the chosen unit and dates cover whole local days", () => {
  const r = toFilters({ ...EMPTY_FORM, kind: "file", minSize: "1,5", maxSize: "2", unit: "KiB", from: "2026-03-01", to: "2026-03-02", category: "image" }, FULL_CAPABILITIES);
  if (!("filters" in r) || !r.filters) throw new Error("expected filters");
  const f = r.filters;
  expect(f.kind).toBe("file");
  expect([f.minSize, f.maxSize]).toEqual([1536, 2048]);
  expect(new Date(f.modifiedAfter!).getTime()).toBe(new Date(2026, 2, 1).getTime());
  expect(new Date(f.modifiedBefore!).getTime()).toBe(new Date(2026, 2, 2, 23, 59, 59, 999).getTime());
  expect(f.category).toBe("image");
  expect(activeCount(f)).toBe(4);
});

test("mistakes are reported, not sent", () => {
  expect(toFilters({ ...EMPTY_FORM, minSize: "-1" }, FULL_CAPABILITIES)).toEqual({ error: "filters.badSize" });
  expect(toFilters({ ...EMPTY_FORM, minSize: "abc" }, FULL_CAPABILITIES)).toEqual({ error: "filters.badSize" });
  expect(toFilters({ ...EMPTY_FORM, minSize: "5", maxSize: "2" }, FULL_CAPABILITIES)).toEqual({ error: "filters.sizeOrder" });
  expect(toFilters({ ...EMPTY_FORM, from: "2026-03-05", to: "2026-03-01" }, FULL_CAPABILITIES)).toEqual({ error: "filters.dateOrder" });
  expect(toFilters({ ...EMPTY_FORM, from: "March" }, FULL_CAPABILITIES)).toEqual({ error: "filters.badDate" });
});

test("what the server cannot filter by is left out", () => {
  const r = toFilters({ ...EMPTY_FORM, kind: "folder", minSize: "1", from: "2026-01-01", category: "video" }, noRanges);
  expect(r).toEqual({ filters: { kind: "folder", minSize: null, maxSize: null, modifiedAfter: null, modifiedBefore: null, category: null } });
  expect(toFilters({ ...EMPTY_FORM, minSize: "1" }, noRanges)).toEqual({ filters: null });
  expect(toFilters({ ...EMPTY_FORM, kind: "folder" }, { ...noRanges, searchFolders: false })).toEqual({ filters: null });
});
