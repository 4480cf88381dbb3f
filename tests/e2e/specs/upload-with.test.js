// Desktop integration of the real binary: started with files (a file manager's "Open with
// Cirrus", `cirrus-desktop FILE…`) it asks where to upload them; files sent by a second start
// while it runs arrive the same way; started with `--minimized` (the login autostart entry) it
// stays in the tray.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const FIRST = "opened with cirrus.txt";
const SECOND = "handed over 第二.txt";

describe("upload with Cirrus", () => {
  let browser;
  let sandbox;
  let files;
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);

  before(async () => {
    sandbox = await startSandbox();
    files = mkdtempSync(join(tmpdir(), "cirrus-e2e-open-"));
    writeFileSync(join(files, FIRST), "Sent from the file manager.\n");
    writeFileSync(join(files, SECOND), "Sent by a second start.\n");
  });

  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
  });

  test("started with a file, Cirrus asks where to upload it after sign-in", async () => {
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() }, args: [join(files, FIRST), join(files, "missing.txt")] });
    await (await byTestId("signin-server")).waitForExist({ timeout: 20000 });
    await (await byTestId("signin-server")).setValue(sandbox.url);
    await (await byTestId("signin-email")).setValue("demo@cirrus.local");
    await (await byTestId("signin-password")).setValue("cirrus-demo");
    await (await byTestId("signin-submit")).click();
    const dialog = await byTestId("upload-with-dialog");
    await dialog.waitForExist({ timeout: 20000 });
    assert.equal(await (await byTestId("upload-with-name")).getText(), FIRST);
    assert.match(await (await byTestId("upload-with-unusable")).getText(), /missing\.txt/);
    await screenshot(browser, "upload-with-01-dialog");
    await (await byTestId("upload-with-ok")).click();
    await (await row(FIRST)).waitForExist({ timeout: 20000 });
    await browser.waitUntil(async () => !(await (await row(FIRST)).getAttribute("class")).includes("uploading"), {
      timeout: 20000,
      timeoutMsg: "the upload did not finish",
    });
  });

  test("a second start with a file hands it to the running app", async () => {
    const second = spawn(process.env.CIRRUS_APP, [join(files, SECOND)], { env: process.env, stdio: "ignore" });
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        second.kill("SIGKILL");
        reject(new Error("the second start kept running: the handoff is broken"));
      }, 20000);
      second.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    await (await byTestId("upload-with-dialog")).waitForExist({ timeout: 15000 });
    assert.equal(await (await byTestId("upload-with-name")).getText(), SECOND);
    await screenshot(browser, "upload-with-02-handoff");
    await (await byTestId("upload-with-ok")).click();
    await (await row(SECOND)).waitForExist({ timeout: 20000 });
    await browser.deleteSession();
    browser = undefined;
  });

  test("started with --minimized, the window stays hidden in the tray", async () => {
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() }, args: ["--minimized"] });
    await browser.pause(1500);
    const visible = await browser.execute(() => window.__TAURI_INTERNALS__.invoke("plugin:window|is_visible", { label: "main" }));
    assert.equal(visible, false);
  });
});
