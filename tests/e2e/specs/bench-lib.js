// Shared by the app benches (`make bench`): process memory of the app and WebKit's helper
// processes (read from /proc), sign-in, and results reported by scripts started in the page.
import { readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";

/** Pids whose executable is `exe`. */
export function pidsOf(exe) {
  const want = realpathSync(exe);
  return readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readlinkSync(`/proc/${pid}/exe`) === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Direct children of `pid` (WebKit's web and network processes). */
export function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** Resident and proportional set size of a process, in KiB. */
export function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  let pss = rss;
  try {
    pss = Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"))?.[1] ?? rss);
  } catch {
    // no smaps_rollup: RSS stands in
  }
  return { rss, pss, name: readFileSync(`/proc/${pid}/comm`, "utf8").trim() };
}

/**
 * Memory of the running app at `exe`: its own RSS and PSS, the PSS of each helper process
 * (WebKitWebProcess holds the page), and the total PSS, all in KiB.
 */
export function appMemory(exe) {
  const [pid] = pidsOf(exe);
  if (!pid) throw new Error(`no running process for ${exe}`);
  const own = memory(pid);
  const helpers = childrenOf(pid).map(memory);
  return {
    appRss: own.rss,
    appPss: own.pss,
    helpers: helpers.map((h) => ({ name: h.name, pss: h.pss })),
    totalPss: own.pss + helpers.reduce((s, h) => s + h.pss, 0),
  };
}

/** Signs in to the sandbox at `url` with the demo account and waits for the file list. */
export async function signIn(browser, url) {
  await (await browser.$('[data-testid="signin-server"]')).waitForExist({ timeout: 30000 });
  await (await browser.$('[data-testid="signin-server"]')).setValue(url);
  await (await browser.$('[data-testid="signin-email"]')).setValue("demo@cirrus.local");
  await (await browser.$('[data-testid="signin-password"]')).setValue("cirrus-demo");
  await (await browser.$('[data-testid="signin-submit"]')).click();
  await (await browser.$('[data-testid="row"]')).waitForExist({ timeout: 60000 });
}

/** Waits for `window.__bench[key]` (set by a script started in the page) and returns it. */
export async function pageResult(browser, key, timeout) {
  let value = null;
  await browser.waitUntil(
    async () => {
      value = await browser.execute((k) => window.__bench?.[k] ?? null, key);
      return value !== null;
    },
    { timeout, interval: 250, timeoutMsg: `the page did not report ${key}` },
  );
  if (value.error) throw new Error(`${key}: ${value.error}`);
  return value;
}
