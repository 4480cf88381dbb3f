// Shared helpers for the end-to-end specs: one WebDriver session per app launch.
import { remote } from "webdriverio";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Launches the real app binary through tauri-driver and returns the WebDriver browser.
 * `env` changes the app's environment for this launch (null unsets a variable); tauri-driver
 * cannot pass one, so the app starts through a small wrapper script that sets it and execs.
 */
export async function launchApp({ env } = {}) {
  let app = process.env.CIRRUS_APP;
  if (!app) throw new Error("CIRRUS_APP must name the cirrus-desktop binary");
  if (env) {
    const dir = mkdtempSync(join(tmpdir(), "cirrus-e2e-app-"));
    const lines = Object.entries(env).map(([k, v]) => (v === null ? `unset ${k}` : `export ${k}=${quote(v)}`));
    const script = join(dir, "cirrus-desktop");
    writeFileSync(script, `#!/bin/sh\n${lines.join("\n")}\nexec ${quote(app)} "$@"\n`, { mode: 0o755 });
    app = script;
  }
  return remote({
    hostname: "127.0.0.1",
    port: Number(process.env.TAURI_DRIVER_PORT ?? 4444),
    logLevel: process.env.WDIO_LOG ?? "warn",
    capabilities: {
      "tauri:options": { application: app },
    },
  });
}

/**
 * Saves a screenshot of the virtual display. WebKitWebDriver's own screenshot command can hang
 * on a window with a tray icon, so the X server is captured instead (ImageMagick `import`),
 * after a short pause because painting lags the DOM.
 */
export async function screenshot(browser, name) {
  mkdirSync(artifacts, { recursive: true });
  await browser.pause(800);
  execFileSync("import", ["-window", "root", join(artifacts, `${name}.png`)], { timeout: 20000 });
}

/** A fresh, empty data directory for an app launch that must not share the suite's accounts. */
export function freshDataDir() {
  return mkdtempSync(join(tmpdir(), "cirrus-e2e-data-"));
}
