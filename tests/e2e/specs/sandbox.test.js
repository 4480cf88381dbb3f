// "Try the local sandbox" starts the demo server in-process and lands in the file browser.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";

test("sandbox sign-in shows the demo files", async () => {
  // A first start: other specs leave accounts (signed in, or signed out and kept) behind.
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  try {
    const btn = await browser.$('[data-testid="sandbox-button"]');
    await btn.waitForExist({ timeout: 20000 });
    await screenshot(browser, "signin");
    await btn.click();
    const row = await browser.$('[data-testid="row"]');
    await row.waitForExist({ timeout: 20000 });
    const names = await browser.$$('[data-testid="row"]').map((r) => r.getAttribute("data-name"));
    assert.ok(names.includes("Welcome.txt"), `demo files listed: ${names.join(", ")}`);
    await screenshot(browser, "browser");
  } finally {
    await browser.deleteSession();
  }
});
