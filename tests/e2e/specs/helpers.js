// Shared helpers for the end-to-end specs: one WebDriver session per app launch.
import { remote } from "webdriverio";
import { mkdirSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";

/** Launches the real app binary through tauri-driver and returns the WebDriver browser. */
export async function launchApp() {
  const app = process.env.CIRRUS_APP;
  if (!app) throw new Error("CIRRUS_APP must name the cirrus-desktop binary");
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
