// The journey against the 123pan Open Platform (the sandbox's `--api pan123`): sign in with the
// demo developer client id and secret (the API server under "Advanced"), browse, create a folder,
// upload through the drop path, share, sign out; what 123pan cannot do is greyed with its reason.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFolderAndEnter, freshDataDir, launchApp, screenshot, uploadDroppedAndWait } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const CLIENT_ID = "cirrus-demo-client";
const CLIENT_SECRET = "cirrus-demo-secret";
const FOLDER = "123 文件夹 #1";
const DROPPED = "dropped on 123pan.txt";

describe("journey on 123pan", () => {
  let browser;
  let sandbox;

  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  async function rightClick(el) {
    await el.click({ button: "right" });
    await byTestId("context-menu").waitForExist({ timeout: 5000 });
  }

  before(async () => {
    sandbox = await startSandbox(["--api", "pan123"]);
    const dropDir = mkdtempSync(join(tmpdir(), "cirrus-e2e-123-drop-"));
    writeFileSync(join(dropDir, DROPPED), "Dropped onto Cirrus, bound for 123pan.\n".repeat(3000));
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir(), CIRRUS_E2E_DROP_DIR: dropDir } });
  });

  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
  });

  test("sign in with the developer client id and secret", async () => {
    const choice = await byTestId("signin-service-pan123");
    await choice.waitForExist({ timeout: 20000 });
    await choice.click();
    await (await byTestId("signin-client-id")).setValue(CLIENT_ID);
    await (await byTestId("signin-client-secret")).setValue(CLIENT_SECRET);
    assert.match(await (await byTestId("signin-pan123-hint")).getText(), /developer console/);
    await (await browser.$("details.advanced summary")).click();
    await (await byTestId("signin-api-server")).setValue(sandbox.url);
    await screenshot(browser, "p123-01-signin");
    await (await byTestId("signin-submit")).click();
    await (await byTestId("browser")).waitForExist({ timeout: 20000 });
    assert.equal(await (await byTestId("account-provider")).getText(), "123pan");
  });

  test("browse: create a folder and enter it", async () => {
    await (await byTestId("statusbar")).waitForExist({ timeout: 15000 });
    assert.equal(await (await byTestId("browser-error")).isExisting(), false, "the root lists");
    await createFolderAndEnter(browser, FOLDER);
    assert.equal(await (await byTestId("browser-error")).isExisting(), false, "the folder lists");
  });

  test("upload a dropped file and watch the transfer complete", async () => {
    await uploadDroppedAndWait(browser, DROPPED, { timeout: 60000 });
    await screenshot(browser, "p123-02-uploaded");
  });

  test("what 123pan cannot do is greyed with its reason", async () => {
    await rightClick(await row(DROPPED));
    const archive = await byTestId("menu-archive");
    assert.equal(await archive.getAttribute("aria-disabled"), "true");
    assert.match(await archive.getText(), /123pan cannot make archives on the server/);
    const copy = await byTestId("menu-copy-to");
    assert.equal(await copy.getAttribute("aria-disabled"), "true");
    assert.match(await copy.getText(), /123pan cannot copy on the server/);
    await screenshot(browser, "p123-03-greyed");
    await browser.keys("Escape");
    const search = await byTestId("search-input");
    assert.equal(await search.isEnabled(), false, "no search on 123pan");
  });

  test("share the file and read the link", async () => {
    await rightClick(await row(DROPPED));
    await (await byTestId("menu-share")).click();
    await (await byTestId("share-create")).waitForExist({ timeout: 5000 });
    // No download limit on 123pan: greyed, with why.
    assert.equal(await (await byTestId("share-limit")).isEnabled(), false);
    await (await byTestId("share-create")).click();
    const link = await byTestId("share-link");
    await link.waitForExist({ timeout: 10000 });
    assert.match(await link.getValue(), /^https?:\/\/\S+/);
    await screenshot(browser, "p123-04-share");
    await (await browser.$("button=Close")).click();
  });

  test("sign out returns to the sign-in screen", async () => {
    await (await byTestId("account-switcher")).click();
    await (await byTestId("sign-out")).click();
    const ok = await byTestId("confirm-ok");
    if (await ok.isExisting()) await ok.click();
    await (await byTestId("signin")).waitForExist({ timeout: 10000 });
  });
});
