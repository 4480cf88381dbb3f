// Thumbnails: an uploaded photo gets one in the grid view (through the cirrus-thumb: scheme),
// and the sandbox's showcase photos make the README's grid screenshot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, "..", "..", "..");
const PHOTO = "holiday photo.jpg";

test("an uploaded image shows its thumbnail in the grid view", async () => {
  const dropDir = process.env.CIRRUS_E2E_DROP_DIR;
  mkdirSync(dropDir, { recursive: true });
  copyFileSync(join(repo, "src-tauri/crates/sandbox/demo/Photos/LadyBird.jpg"), join(dropDir, PHOTO));
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  const loadedThumbOf = async (name) =>
    browser.execute((n) => {
      const tile = document.querySelector(`[data-testid="row"][data-name="${CSS.escape(n)}"]`);
      const img = tile?.querySelector('img[data-testid="thumb"]');
      return img && img.complete && img.classList.contains("loaded") ? img.naturalWidth : 0;
    }, name);
  try {
    const btn = await byTestId("sandbox-button");
    await btn.waitForExist({ timeout: 20000 });
    await btn.click();
    await (await row("Welcome.txt")).waitForExist({ timeout: 30000 });
    await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-drop");
    await (await row(PHOTO)).waitForExist({ timeout: 30000 });
    await browser.waitUntil(async () => !(await (await row(PHOTO)).getAttribute("class")).includes("uploading"), { timeout: 30000 });
    await (await byTestId("view-grid")).click();
    // The grid sort control is in the toolbar.
    // (Waited for: the click re-renders the toolbar, which takes a moment on a loaded machine.)
    await browser.waitUntil(() => browser.execute(() => !!document.querySelector('.toolbar [data-testid="grid-sort"]')), {
      timeout: 10000,
      timeoutMsg: "sort control in the toolbar",
    });
    await browser.waitUntil(async () => (await loadedThumbOf(PHOTO)) > 0, { timeout: 30000, timeoutMsg: "no thumbnail for the uploaded photo" });
    // A text file keeps its icon: no image is shown for it.
    assert.equal(await loadedThumbOf("Welcome.txt"), 0);

    // The showcase photos, for the README.
    await (await row("Showcase")).doubleClick();
    await (await row("Photos")).waitForExist({ timeout: 20000 });
    await (await row("Photos")).doubleClick();
    await (await row("Storm.jpg")).waitForExist({ timeout: 20000 });
    await browser.waitUntil(async () => (await loadedThumbOf("Storm.jpg")) > 0 && (await loadedThumbOf("Aqua.jpg")) > 0, {
      timeout: 30000,
      timeoutMsg: "showcase thumbnails did not load",
    });
    await browser.pause(1000);
    await screenshot(browser, "thumbs-grid");
    // The README's picture (WebKitWebDriver's own screenshot command times out under Xvfb).
    mkdirSync(join(repo, "docs"), { recursive: true });
    copyFileSync(join(process.env.CIRRUS_ARTIFACTS, "thumbs-grid.png"), join(repo, "docs", "grid-thumbnails.png"));
  } finally {
    await browser.deleteSession();
  }
});
