import type { Entry } from "../backend";

/** The file's version tag for the thumbnail cache: changes when its content does. */
export function thumbVersion(entry: Entry): string {
  return `${entry.updatedAt ?? ""}/${entry.size}`;
}

/**
 * The `cirrus-thumb:` URL of a file's thumbnail (see src-tauri/src/media_thumb.rs), or null for
 * folders, empty files and files still uploading. The account, the file's reference and the
 * version go as one encoded JSON value: no path is joined here.
 */
export function thumbUrl(accountId: string, entry: Entry): string | null {
  if (entry.kind === "folder" || entry.size === 0 || entry.uploading) return null;
  const token = JSON.stringify({ a: accountId, u: entry.uri, v: thumbVersion(entry) });
  // How Tauri addresses a custom scheme: Windows WebView2 only allows http(s) origins.
  const base = /Windows/.test(navigator.userAgent) ? "http://cirrus-thumb.localhost/" : "cirrus-thumb://localhost/";
  return base + encodeURIComponent(token);
}
