import { formatBytes, formatDate, formatEta, formatSpeed } from "./format";

test("formatBytes picks binary units", () => {
  expect(formatBytes(0)).toBe("0 B");
  expect(formatBytes(1023)).toBe("1023 B");
  expect(formatBytes(1536)).toBe("1.5 KiB");
  expect(formatBytes(10 * 1024 ** 3)).toBe("10 GiB");
  expect(formatBytes(-1)).toBe("—");
});

test("formatSpeed and formatEta", () => {
  expect(formatSpeed(2 * 1024 * 1024)).toBe("2.0 MiB/s");
  expect(formatEta(null)).toBe("—");
  expect(formatEta(65)).toBe("1:05");
  expect(formatEta(3600 + 5 * 60 + 9)).toBe("1:05:09");
});

test("formatDate reads as toLocaleString did, per locale, with the raw string when unparsable", () => {
  const iso = "2026-01-02T03:04:05Z";
  const opts = { dateStyle: "medium", timeStyle: "short" } as const;
  for (const locale of ["en", "zh-CN", "en"]) expect(formatDate(iso, locale)).toBe(new Date(iso).toLocaleString(locale, opts));
  expect(formatDate("zh", "en")).toBe("zh");
  expect(formatDate(null, "en")).toBe("—");
});
