/**
 * Helpers for the remote addresses Rust hands out: Cloudreve 4 URIs (`cloudreve://my/a/b`),
 * and the references of path-carrying providers, whose path part is plain text: Cloudreve 3
 * (`cloudreve3:<d|f|?>:<id>:/a/b`) and 123pan (`p123:<id>:/a/b`). Ancestors are addressed by
 * path alone (the provider looks their ids up). These are remote identifiers, not local
 * paths; the UI never builds local paths.
 */

/** One breadcrumb: the URI to navigate to and the decoded segment name. */
export interface Crumb {
  uri: string;
  name: string;
}

/** Splits `cloudreve://my/a%20b/c?x` into crumbs for `my`, `a b` and `c`. */
export function crumbsOf(uri: string): Crumb[] {
  for (const scheme of PATH_REFS) {
    const m = scheme.match.exec(uri);
    if (m) return pathCrumbs(uri, m[1], scheme);
  }
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

/** A reference form that carries an absolute path: how to read it and how to name a folder. */
interface PathRef {
  match: RegExp;
  root: string;
  folder: (path: string) => string;
  /** Whether a reference of this form names a folder (so it can stand as the last crumb). */
  isFolder: (uri: string) => boolean;
}

const PATH_REFS: PathRef[] = [
  {
    match: /^cloudreve3:[df?]:[^:]*:(\/.*)$/,
    root: "cloudreve3:d::/",
    folder: (path) => `cloudreve3:d::${path}`,
    isFolder: (uri) => uri.startsWith("cloudreve3:d:"),
  },
  {
    match: /^p123:[^:]*:(\/.*)$/,
    root: "p123:0:/",
    folder: (path) => `p123::${path}`,
    isFolder: () => true,
  },
];

/** Crumbs of a path-carrying reference; the last keeps the reference as given when it is a folder. */
function pathCrumbs(uri: string, path: string, scheme: PathRef): Crumb[] {
  const crumbs: Crumb[] = [{ uri: scheme.root, name: "" }];
  let acc = "";
  for (const seg of path.split("/").filter(Boolean)) {
    acc = `${acc}/${seg}`;
    crumbs.push({ uri: scheme.folder(acc), name: seg });
  }
  if (crumbs.length > 1 && scheme.isFolder(uri)) crumbs[crumbs.length - 1].uri = uri;
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
