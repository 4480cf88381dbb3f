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

/**
 * The families of the installed fonts that cover Chinese (`fc-list :lang=zh`). Without one, the
 * 简体中文 screens render as empty boxes, which a DOM assertion cannot see.
 */
export function chineseFonts() {
  try {
    return execFileSync("fc-list", [":lang=zh", "family"], { encoding: "utf8", timeout: 20000 })
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  } catch (e) {
    throw new Error(`fc-list failed (is fontconfig installed?): ${e.message}`);
  }
}

/** Fails with a message that says what to install when no font covers Chinese. */
export function assertChineseFont() {
  if (chineseFonts().length === 0) {
    throw new Error(
      "no font covering Chinese is installed (`fc-list :lang=zh` is empty), so 简体中文 screens would show empty boxes; " +
        "install one, e.g. `apt-get install fonts-noto-cjk` (part of TEST_PKGS in the Makefile: `make deps-test`)",
    );
  }
}
