// The main journey through the real app binary against a real sandbox server: sign in with 2FA,
// browse, create a folder, upload through the drop path, watch the transfer, share, archive,
// change language and theme, sign out. Each step saves a screenshot of the screen it reaches.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { assertAccessible, assertChineseFont, createFolderAndEnter, launchApp, screenshot, uploadDroppedAndWait } from "./helpers.js";
import { startSandbox, totp } from "./sandbox-server.js";

const TOTP_EMAIL = "2fa@cirrus.local";
const TOTP_PASSWORD = "cirrus-2fa";
const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const FOLDER = "E2E 文件夹 #1";
const DROPPED = "dropped report.txt";

describe("journey", () => {
  let browser;
  let sandbox;

  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  async function rowNames() {
    return browser.$$('[data-testid="row"]').map((r) => r.getAttribute("data-name"));
  }
  async function rightClick(el) {
    await el.click({ button: "right" });
    await byTestId("context-menu").waitForExist({ timeout: 5000 });
  }

  before(async () => {
    // A search budget of one folder: a search at the root stops before the new folder.
    sandbox = await startSandbox(["--max-search-folders", "1"]);
    const dropDir = process.env.CIRRUS_E2E_DROP_DIR;
    mkdirSync(dropDir, { recursive: true });
    writeFileSync(join(dropDir, DROPPED), "Dropped onto the Cirrus window by the end-to-end suite.\n".repeat(2000));
    browser = await launchApp();
  });

  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
  });

  test("a wrong password gets a clear error", async () => {
    const server = await byTestId("signin-server");
    await server.waitForExist({ timeout: 20000 });
    await server.setValue(sandbox.url);
    await (await byTestId("signin-email")).setValue(TOTP_EMAIL);
    await (await byTestId("signin-password")).setValue("not-the-password");
    await (await byTestId("signin-submit")).click();
    const error = await byTestId("signin-error");
    await error.waitForExist({ timeout: 15000 });
    assert.equal(await error.getAttribute("data-kind"), "wrongPassword");
    await screenshot(browser, "01-signin-error");
    await assertAccessible(browser, "the sign-in screen with an error");
  });

  test("sign in with a two-factor code", async () => {
    const password = await byTestId("signin-password");
    await password.clearValue();
    await password.setValue(TOTP_PASSWORD);
    await (await byTestId("signin-submit")).click();
    const code = await byTestId("signin-code");
    await code.waitForExist({ timeout: 15000 });
    await screenshot(browser, "02-signin-2fa");
    await assertAccessible(browser, "the two-factor step");
    await code.setValue(totp(TOTP_SECRET));
    await (await byTestId("signin-verify")).click();
    await (await byTestId("browser")).waitForExist({ timeout: 20000 });
  });

  test("browse the (empty) drive of the new account", async () => {
    const status = await byTestId("statusbar");
    await status.waitForExist({ timeout: 15000 });
    await browser.waitUntil(async () => /\b0\b/.test(await status.getText()), { timeout: 10000, timeoutMsg: "status bar" });
    assert.deepEqual(await rowNames(), []);
    await screenshot(browser, "03-browser-empty");
  });

  test("create a folder with an unusual name", async () => {
    await createFolderAndEnter(browser, FOLDER);
  });

  test("upload a dropped file and watch the transfer complete", async () => {
    await uploadDroppedAndWait(browser, DROPPED, {
      timeout: 30000,
      onTransfers: async () => {
        await screenshot(browser, "04-transfers");
        await assertAccessible(browser, "the transfers page");
      },
    });
  });

  test("share the file and read the link", async () => {
    await rightClick(await row(DROPPED));
    await (await byTestId("menu-share")).click();
    await (await byTestId("share-create")).waitForExist({ timeout: 5000 });
    await (await byTestId("share-use-password")).click();
    await (await byTestId("share-create")).click();
    const link = await byTestId("share-link");
    await link.waitForExist({ timeout: 10000 });
    const url = await link.getValue();
    assert.match(url, new RegExp(`^${sandbox.url}/s/\\w+`));
    await screenshot(browser, "05-share");
    await assertAccessible(browser, "the share dialog");
    await (await browser.$("button=Close")).click();
    await (await byTestId("nav-shares")).click();
    await (await byTestId("share-row")).waitForExist({ timeout: 10000 });
  });

  test("run an archive task on the server", async () => {
    await (await byTestId("nav-files")).click();
    await rightClick(await row(DROPPED));
    await (await byTestId("menu-archive")).click();
    const input = await byTestId("prompt-input");
    await input.waitForExist({ timeout: 5000 });
    await input.clearValue();
    await input.setValue("e2e-archive.zip");
    await (await byTestId("prompt-ok")).click();
    await (await byTestId("nav-tasks")).click();
    const task = await byTestId("task-row");
    await task.waitForExist({ timeout: 10000 });
    await browser.waitUntil(async () => (await task.getAttribute("data-status")) === "completed", {
      timeout: 30000,
      timeoutMsg: "the archive task did not complete",
    });
    await screenshot(browser, "06-tasks");
    await (await byTestId("nav-files")).click();
    await (await byTestId("refresh")).click();
    await (await row("e2e-archive.zip")).waitForExist({ timeout: 15000 });
  });

  test("search says when the server capped it and shows each hit's folder", async () => {
    await (await browser.$$('[data-testid="crumb"]'))[0].click();
    const box = await byTestId("search-input");
    await box.setValue("report");
    await browser.keys("Enter");
    await (await byTestId("search-capped")).waitForExist({ timeout: 10000 });
    await screenshot(browser, "06b-search-capped");
    await box.click();
    await browser.keys("Escape");
    await (await row(FOLDER)).waitForExist({ timeout: 10000 });
    await (await row(FOLDER)).doubleClick();
    await browser.waitUntil(async () => (await (await byTestId("breadcrumbs")).getText()).includes(FOLDER), { timeout: 10000 });
    await box.setValue("report");
    await browser.keys("Enter");
    await (await row(DROPPED)).waitForExist({ timeout: 10000 });
    assert.equal(await (await byTestId("search-capped")).isExisting(), false, "a search inside the folder is complete");
    const where = await (await row(DROPPED)).$('[data-testid="hit-folder"]');
    assert.equal(await where.getText(), `/${FOLDER}`);
    await screenshot(browser, "06c-search-hit-folder");
    await where.click();
    await browser.waitUntil(async () => !(await (await byTestId("breadcrumbs")).getText()).includes("report"), { timeout: 10000, timeoutMsg: "the folder link did not open the folder" });
    await (await row(DROPPED)).waitForExist({ timeout: 10000 });
    assert.equal(await (await byTestId("hit-folder")).isExisting(), false);
  });

  test("switch to 简体中文 and the dark theme", async () => {
    // Checked first: without a CJK font the screenshots below show empty boxes and nothing else fails.
    assertChineseFont();
    await (await byTestId("nav-settings")).click();
    await (await byTestId("settings-language")).selectByAttribute("value", "zh-CN");
    await (await byTestId("settings-theme")).selectByAttribute("value", "dark");
    await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.lang)) === "zh-CN", { timeout: 5000 });
    // The two saves are chained: the theme lands a moment after the language.
    await browser.waitUntil(async () => (await browser.execute(() => document.documentElement.dataset.theme)) === "dark", {
      timeout: 5000,
      timeoutMsg: "the dark theme was not applied",
    });
    const nav = await (await byTestId("nav-files")).getText();
    assert.match(nav, /[\u4e00-\u9fff]/, `navigation is in Chinese: ${nav}`);
    await screenshot(browser, "07-settings-zh-dark");
    await assertAccessible(browser, "the settings page in Chinese");
    await (await byTestId("nav-files")).click();
    await (await row(DROPPED)).waitForExist({ timeout: 10000 });
    await screenshot(browser, "08-browser-zh-dark");
    await assertAccessible(browser, "the file browser in Chinese");
  });

  test("sign out returns to the sign-in screen", async () => {
    await (await byTestId("account-switcher")).click();
    await (await byTestId("sign-out")).click();
    const ok = await byTestId("confirm-ok");
    if (await ok.isExisting()) await ok.click();
    await (await byTestId("signin")).waitForExist({ timeout: 10000 });
    await screenshot(browser, "09-signed-out");
  });
});
