// Shared helpers for the end-to-end specs: one WebDriver session per app launch.
import { remote } from "webdriverio";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";

/** Launches the real app binary through tauri-driver and returns the WebDriver browser. */
export async function launchApp(env = {}) {
  const app = process.env.CIRRUS_APP;
  if (!app) throw new Error("CIRRUS_APP must name the cirrus-desktop binary");
  return remote({
    hostname: "127.0.0.1",
    port: Number(process.env.TAURI_DRIVER_PORT ?? 4444),
    logLevel: "warn",
    capabilities: {
      "tauri:options": { application: app, env },
    },
  });
}

/** Saves a screenshot after a short pause, because WebKit screenshots lag the DOM. */
export async function screenshot(browser, name) {
  mkdirSync(artifacts, { recursive: true });
  await browser.pause(800);
  await browser.saveScreenshot(join(artifacts, `${name}.png`));
}
