// The journey against a Cloudreve 3.8 server (the sandbox's `--api v3`): sign in with 2FA from
// the same screen (the version is detected), browse, create a folder, upload through the drop
// path, share, sign out. On the way, what Cloudreve 3 cannot do is greyed out with its reason
// (no trash, no archive tasks) and delete says it is permanent.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assertAccessible, createFolderAndEnter, freshDataDir, launchApp, screenshot, uploadDroppedAndWait } from "./helpers.js";
import { startSandbox, totp } from "./sandbox-server.js";

const TOTP_EMAIL = "2fa@cirrus.local";
const TOTP_PASSWORD = "cirrus-2fa";
const TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";
const FOLDER = "V3 文件夹 #1";
const DROPPED = "dropped on v3.txt";

describe("journey on Cloudreve 3", () => {
  let browser;
  let sandbox;

  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  async function rightClick(el) {
    await el.click({ button: "right" });
    await byTestId("context-menu").waitForExist({ timeout: 5000 });
  }

  before(async () => {
    sandbox = await startSandbox(["--api", "v3"]);
    // A drop folder of its own: the main journey's dropped file is not this journey's.
    const dropDir = mkdtempSync(join(tmpdir(), "cirrus-e2e-v3-drop-"));
    writeFileSync(join(dropDir, DROPPED), "Dropped onto Cirrus, bound for a Cloudreve 3 server.\n".repeat(3000));
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir(), CIRRUS_E2E_DROP_DIR: dropDir } });
  });

  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
  });

  test("sign in with a two-factor code; the account says Cloudreve 3", async () => {
    const server = await byTestId("signin-server");
    await server.waitForExist({ timeout: 20000 });
    await server.setValue(sandbox.url);
    await (await byTestId("signin-email")).setValue(TOTP_EMAIL);
    await (await byTestId("signin-password")).setValue(TOTP_PASSWORD);
    await (await byTestId("signin-submit")).click();
    const code = await byTestId("signin-code");
    await code.waitForExist({ timeout: 15000 });
    await code.setValue(totp(TOTP_SECRET));
    await (await byTestId("signin-verify")).click();
    await (await byTestId("browser")).waitForExist({ timeout: 20000 });
    assert.equal(await (await byTestId("account-provider")).getText(), "Cloudreve 3");
    await screenshot(browser, "v3-01-signed-in");
  });

  test("browse: create a folder and enter it", async () => {
    await (await byTestId("statusbar")).waitForExist({ timeout: 15000 });
    assert.equal(await (await byTestId("browser-error")).isExisting(), false, "the root lists");
    await createFolderAndEnter(browser, FOLDER);
    assert.equal(await (await byTestId("browser-error")).isExisting(), false, "the folder lists");
  });

  test("upload a dropped file and watch the transfer complete", async () => {
    await uploadDroppedAndWait(browser, DROPPED, { timeout: 30000 });
    await screenshot(browser, "v3-02-uploaded");
  });

  test("what Cloudreve 3 cannot do is greyed with its reason", async () => {
    const trash = await byTestId("nav-trash");
    assert.equal(await trash.getAttribute("aria-disabled"), "true");
    assert.equal(await trash.getAttribute("data-reason"), "Cloudreve 3 has no trash: delete is permanent");
    await trash.click();
    assert.equal(await (await byTestId("trash")).isExisting(), false, "the trash page did not open");

    await rightClick(await row(DROPPED));
    const archive = await byTestId("menu-archive");
    assert.equal(await archive.getAttribute("aria-disabled"), "true");
    assert.match(await archive.getText(), /Cloudreve 3 cannot make archives on the server/);
    assert.equal(await (await byTestId("menu-share")).getAttribute("aria-disabled"), null);
    await screenshot(browser, "v3-03-greyed-archive");
    await assertAccessible(browser, "the context menu with a greyed action");
    await archive.click();
    assert.equal(await (await byTestId("prompt-dialog")).isExisting(), false, "a greyed action opens nothing");
    await browser.keys("Escape");

    // Delete works, for good: it says so before anything goes.
    await (await row(DROPPED)).click();
    await (await byTestId("delete-selected")).click();
    const dialog = await byTestId("confirm-dialog");
    await dialog.waitForExist({ timeout: 5000 });
    assert.match(await dialog.getText(), /Cloudreve 3 has no trash, so they cannot be restored/);
    await (await browser.$("button=Cancel")).click();
    await (await row(DROPPED)).waitForExist({ timeout: 5000 });
  });

  test("share the file and read the link", async () => {
    await rightClick(await row(DROPPED));
    await (await byTestId("menu-share")).click();
    await (await byTestId("share-create")).waitForExist({ timeout: 5000 });
    await (await byTestId("share-use-password")).click();
    await (await byTestId("share-create")).click();
    const link = await byTestId("share-link");
    await link.waitForExist({ timeout: 10000 });
    assert.match(await link.getValue(), new RegExp(`^${sandbox.url}/s/\\w+`));
    await screenshot(browser, "v3-04-share");
    await (await browser.$("button=Close")).click();
    await (await byTestId("nav-shares")).click();
    await (await byTestId("share-row")).waitForExist({ timeout: 10000 });
  });

  test("sign out returns to the sign-in screen", async () => {
    await (await byTestId("account-switcher")).click();
    await (await byTestId("sign-out")).click();
    const ok = await byTestId("confirm-ok");
    if (await ok.isExisting()) await ok.click();
    await (await byTestId("signin")).waitForExist({ timeout: 10000 });
    await screenshot(browser, "v3-05-signed-out");
  });
});
