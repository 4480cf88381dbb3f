/** Human-readable byte count in binary units ("1.5 MiB"). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Transfer speed, e.g. "2.0 MiB/s". */
export function formatSpeed(bps: number): string {
  return `${formatBytes(bps)}/s`;
}

/** Remaining time as "1:05:09" / "5:09"; null → "—". */
export function formatEta(seconds: number | null): string {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return "—";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** Local date and time for an ISO string; shows the raw string if unparsable. */
export function formatDate(iso: string | null, locale: string): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // One formatter per locale: `toLocaleString` builds a new one per call, which the UI bench
  // measured at tens of µs in WebKit, paid for every visible row on every scroll frame.
  let format = dateFormats.get(locale);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" });
    dateFormats.set(locale, format);
  }
  return format.format(d);
}
