// Accounts as the user sees them, in a data dir of their own: an address typed without http://
// against the plain-http sandbox (warning that the connection is not encrypted), sign out that
// keeps the account (and signing in again), editing a share's limits, and removing an account,
// which asks first and says what happens to its transfers.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const EMAIL = "demo@cirrus.local";
const PASSWORD = "cirrus-demo";

describe("accounts", () => {
  let browser;
  let sandbox;

  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);

  before(async () => {
    sandbox = await startSandbox();
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  });

  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
  });

  test("an address without http:// reaches the plain-http sandbox with a warning", async () => {
    const server = await byTestId("signin-server");
    await server.waitForExist({ timeout: 20000 });
    await server.setValue(sandbox.url.replace(/^http:\/\//, ""));
    await (await byTestId("signin-email")).setValue(EMAIL);
    await (await byTestId("signin-password")).setValue(PASSWORD);
    await (await byTestId("signin-submit")).click();
    const warning = await byTestId("signin-insecure");
    await warning.waitForExist({ timeout: 20000 });
    const text = await warning.getText();
    assert.match(text, /not encrypted/);
    assert.ok(text.includes(sandbox.url), `names the http address: ${text}`);
    assert.ok(!(await (await byTestId("signin-error")).isExisting()), "no error next to the warning");
    await screenshot(browser, "accounts-01-insecure-warning");
    await (await byTestId("signin-insecure-continue")).click();
    await (await row("Welcome.txt")).waitForExist({ timeout: 20000 });
    assert.ok(await (await byTestId("account-not-encrypted")).isExisting(), "the account shows it is not encrypted");
  });

  test("sign out keeps the account, and signing in again is one step", async () => {
    await (await byTestId("account-switcher")).click();
    await (await byTestId("sign-out")).click();
    const note = await byTestId("signin-signed-out");
    await note.waitForExist({ timeout: 15000 });
    assert.equal(await (await byTestId("signin-server")).getValue(), sandbox.url);
    assert.equal(await (await byTestId("signin-email")).getValue(), EMAIL);
    await screenshot(browser, "accounts-02-signed-out");
    await (await byTestId("signin-password")).setValue(PASSWORD);
    await (await byTestId("signin-submit")).click();
    await (await row("Welcome.txt")).waitForExist({ timeout: 20000 });
    await (await byTestId("account-switcher")).click();
    const items = await browser.$$('[data-testid="account-item"]');
    assert.equal(items.length, 1, "the same account came back, not a second one");
    assert.equal(await items[0].getAttribute("data-signed-in"), "true");
    await (await byTestId("account-switcher")).click();
  });

  test("a share's expiry and download limit are edited in the app", async () => {
    await (await row("Welcome.txt")).click({ button: "right" });
    await (await byTestId("menu-share")).click();
    await (await byTestId("share-limit")).waitForExist({ timeout: 5000 });
    await (await byTestId("share-limit")).click();
    const downloads = await byTestId("share-downloads");
    await downloads.clearValue();
    await downloads.setValue("5");
    await (await byTestId("share-create")).click();
    await (await byTestId("share-link")).waitForExist({ timeout: 10000 });
    await (await browser.$("button=Close")).click();
    await (await byTestId("nav-shares")).click();
    const share = await byTestId("share-row");
    await share.waitForExist({ timeout: 10000 });
    assert.equal(await share.getAttribute("data-remain"), "5");
    assert.equal(await share.getAttribute("data-expires"), "");
    await (await byTestId("share-row-edit")).click();
    const limit = await byTestId("share-edit-downloads");
    await limit.waitForExist({ timeout: 5000 });
    assert.equal(await limit.getValue(), "5", "the form is prefilled from the share");
    await limit.clearValue();
    await limit.setValue("2");
    await (await byTestId("share-edit-expiry")).selectByAttribute("value", "2");
    await screenshot(browser, "accounts-03-share-edit");
    await (await byTestId("share-edit-save")).click();
    await browser.waitUntil(async () => (await (await byTestId("share-row")).getAttribute("data-remain")) === "2", {
      timeout: 10000,
      timeoutMsg: "the new download limit is not shown",
    });
    assert.notEqual(await (await byTestId("share-row")).getAttribute("data-expires"), "", "an expiry is set");
    await (await byTestId("nav-files")).click();
  });

  test("removing an account asks first and says what happens to its transfers", async () => {
    await (await byTestId("account-switcher")).click();
    await (await byTestId("account-remove")).click();
    const dialog = await byTestId("confirm-dialog");
    await dialog.waitForExist({ timeout: 5000 });
    const text = await dialog.getText();
    assert.match(text, /transfer list/);
    assert.match(text, /Files on the server are not touched/);
    await screenshot(browser, "accounts-04-remove-confirm");
    await (await dialog.$("button=Cancel")).click();
    await dialog.waitForExist({ timeout: 5000, reverse: true });
    assert.ok(await (await byTestId("browser")).isExisting(), "cancel keeps the account");
    await (await byTestId("account-switcher")).click();
    await (await byTestId("account-remove")).click();
    await (await byTestId("confirm-ok")).click();
    await (await byTestId("signin-form")).waitForExist({ timeout: 10000 });
    assert.ok(!(await (await byTestId("signin-signed-out")).isExisting()), "the account is gone, not signed out");
  });
});
