// What survives an app restart: the "Try the local sandbox" account starts its sandbox again
// instead of meeting a closed port; and the notice that secrets fell back to a private file
// (no OS credential store) shows once, in plain words, and stays in Settings.
import { test } from "node:test";
import assert from "node:assert/strict";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";

const byTestId = (browser, id) => browser.$(`[data-testid="${id}"]`);

async function demoFilesShown(browser) {
  const row = await browser.$('[data-testid="row"][data-name="Welcome.txt"]');
  await row.waitForExist({ timeout: 30000 });
}

test("the sandbox account works again after a restart, without a network error", async () => {
  const env = { CIRRUS_DATA_DIR: freshDataDir() };
  let browser = await launchApp({ env });
  try {
    const btn = await byTestId(browser, "sandbox-button");
    await btn.waitForExist({ timeout: 20000 });
    await btn.click();
    await demoFilesShown(browser);
  } finally {
    await browser.deleteSession();
  }
  // The sandbox ran inside the app and is gone now; the account must not point at a dead port.
  browser = await launchApp({ env });
  try {
    await demoFilesShown(browser);
    await screenshot(browser, "restart-01-sandbox-again");
    const errors = await browser.$$('[role="alert"], [data-testid="toast"].toast-error, .toast-error');
    assert.equal(errors.length, 0, "no error is shown for the sandbox account");
    assert.ok(!(await (await byTestId(browser, "signin")).isExisting()), "no sign-in needed");
  } finally {
    await browser.deleteSession();
  }
});

test("secrets in the private file are explained once and in Settings", async () => {
  // No session bus: the OS credential store is unusable, as on a bare desktop without a keyring.
  const env = {
    CIRRUS_DATA_DIR: freshDataDir(),
    CIRRUS_SECRET_STORE: null,
    DBUS_SESSION_BUS_ADDRESS: "unix:path=/nonexistent/cirrus-e2e-bus",
  };
  let browser = await launchApp({ env });
  try {
    const notice = await byTestId(browser, "secrets-notice");
    await notice.waitForExist({ timeout: 20000 });
    const text = await notice.getText();
    assert.match(text, /private file/);
    assert.match(text, /GNOME Keyring or KWallet/);
    assert.match(text, /secrets\.json/);
    await screenshot(browser, "restart-02-secrets-notice");
    await (await byTestId(browser, "secrets-notice-dismiss")).click();
    await notice.waitForExist({ timeout: 5000, reverse: true });
    await (await byTestId(browser, "sandbox-button")).click();
    await demoFilesShown(browser);
    await (await byTestId(browser, "nav-settings")).click();
    const card = await byTestId(browser, "settings-secrets");
    await card.waitForExist({ timeout: 10000 });
    assert.equal(await card.getAttribute("data-backend"), "file");
    assert.match(await card.getText(), /GNOME Keyring or KWallet/);
    await screenshot(browser, "restart-03-settings-secrets");
  } finally {
    await browser.deleteSession();
  }
  // Once: the next start does not show it again.
  browser = await launchApp({ env });
  try {
    await demoFilesShown(browser);
    await browser.pause(1000);
    assert.ok(!(await (await byTestId(browser, "secrets-notice")).isExisting()), "the notice is shown only once");
  } finally {
    await browser.deleteSession();
  }
});
