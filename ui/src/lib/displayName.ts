/**
 * Characters that can make a name look like something else: bidi embeddings
 * and overrides (U+202A–U+202E, the "RTLO" extension spoof), bidi isolates
 * (U+2066–U+2069), directional marks (U+200E/F, U+061C), line/paragraph
 * separators, and C0/C1 control characters (incl. DEL).
 */
const SUSPICIOUS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Returns `name` safe to show to a human: every suspicious character is
 * replaced by a visible `⟨U+XXXX⟩` marker, so "invoice\u202Efdp.exe" reads
 * "invoice⟨U+202E⟩fdp.exe" instead of pretending to be a PDF. Only for
 * display — operations always use the entry's URI, never this string.
 */
export function displayName(name: string): string {
  return name.replace(SUSPICIOUS, (ch) => `⟨U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}⟩`);
}

/** True if `displayName(name)` would change the name (used to flag it in the UI). */
export function hasSuspiciousChars(name: string): boolean {
  SUSPICIOUS.lastIndex = 0;
  const found = SUSPICIOUS.test(name);
  SUSPICIOUS.lastIndex = 0;
  return found;
}
