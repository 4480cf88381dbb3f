// A short smoke journey, meant for the binary unpacked from the .deb (`make test-package` points
// CIRRUS_APP at it) and harmless for the dev build: sign in to a sandbox, list the drive, quit.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

let sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox?.stop());

test("the app signs in, lists the drive and quits", async () => {
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  try {
    await (await byTestId("signin-server")).waitForExist({ timeout: 20000 });
    await (await byTestId("signin-server")).setValue(sandbox.url);
    await (await byTestId("signin-email")).setValue("demo@cirrus.local");
    await (await byTestId("signin-password")).setValue("cirrus-demo");
    await (await byTestId("signin-submit")).click();
    await (await browser.$('[data-testid="row"][data-name="Welcome.txt"]')).waitForExist({ timeout: 20000 });
    const names = await browser.$$('[data-testid="row"]').map((r) => r.getAttribute("data-name"));
    assert.ok(names.length >= 2, `the demo drive is listed: ${names.join(", ")}`);
    await screenshot(browser, "package-smoke");
  } finally {
    // Ending the session quits the app (tauri-driver stops the process it started).
    await browser.deleteSession();
  }
});
