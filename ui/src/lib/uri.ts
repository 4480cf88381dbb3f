/**
 * Helpers for Cloudreve file URIs (`cloudreve://my/a/b`). These are remote
 * identifiers, not local paths; the UI never builds local paths.
 */

/** One breadcrumb: the URI to navigate to and the decoded segment name. */
export interface Crumb {
  uri: string;
  name: string;
}

/** Splits `cloudreve://my/a%20b/c?x` into crumbs for `my`, `a b` and `c`. */
export function crumbsOf(uri: string): Crumb[] {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)((?:\/[^?#]*)?)/i.exec(uri);
  if (!m) return [{ uri, name: uri }];
  const [, scheme, fs, rest] = m;
  const root = `${scheme}${fs}`;
  const crumbs: Crumb[] = [{ uri: root, name: fs }];
  let acc = root;
  for (const seg of rest.split("/").filter(Boolean)) {
    acc = `${acc}/${seg}`;
    let name = seg;
    try {
      name = decodeURIComponent(seg);
    } catch {
      // keep the raw segment if it is not valid percent-encoding
    }
    crumbs.push({ uri: acc, name });
  }
  return crumbs;
}

/** URI of the folder containing `uri`, or null at a filesystem root. */
export function parentOf(uri: string): string | null {
  const crumbs = crumbsOf(uri);
  return crumbs.length > 1 ? crumbs[crumbs.length - 2].uri : null;
}

/** URI of a child named `name` inside folder `parent` (the name is percent-encoded). */
export function childUri(parent: string, name: string): string {
  return `${parent.replace(/\/+$/, "")}/${encodeURIComponent(name)}`;
}

/** A folder URI as a path to show: `cloudreve://my/a%20b/c` → `/a b/c`, a root → `/`. */
export function folderPathOf(uri: string): string {
  return `/${crumbsOf(uri)
    .slice(1)
    .map((c) => c.name)
    .join("/")}`;
}
