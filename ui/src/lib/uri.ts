/**
 * Helpers for the remote addresses Rust hands out: Cloudreve 4 URIs (`cloudreve://my/a/b`)
 * and Cloudreve 3 references (`cloudreve3:<d|f|?>:<id>:/a/b`, whose path part is plain
 * text). These are remote identifiers, not local paths; the UI never builds local paths.
 */

/** One breadcrumb: the URI to navigate to and the decoded segment name. */
export interface Crumb {
  uri: string;
  name: string;
}

/** Splits `cloudreve://my/a%20b/c?x` into crumbs for `my`, `a b` and `c`. */
export function crumbsOf(uri: string): Crumb[] {
  const v3 = /^cloudreve3:[df?]:[^:]*:(\/.*)$/.exec(uri);
  if (v3) return v3Crumbs(uri, v3[1]);
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

/**
 * Crumbs of a Cloudreve 3 reference: ancestors are addressed by path alone (the provider
 * looks their ids up), the last crumb keeps the reference as given.
 */
function v3Crumbs(uri: string, path: string): Crumb[] {
  const root = "cloudreve3:d::/";
  const crumbs: Crumb[] = [{ uri: root, name: "" }];
  let acc = "";
  for (const seg of path.split("/").filter(Boolean)) {
    acc = `${acc}/${seg}`;
    crumbs.push({ uri: `cloudreve3:d::${acc}`, name: seg });
  }
  if (crumbs.length > 1 && uri.startsWith("cloudreve3:d:")) crumbs[crumbs.length - 1].uri = uri;
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
