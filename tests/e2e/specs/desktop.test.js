// Desktop behaviour of the real binary: closing the window keeps the app, and its transfers,
// running in the tray; a second launch does not start a second app but shows the first.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchApp, screenshot } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const BIG = "tray upload.bin";

describe("desktop", () => {
  let browser;
  let sandbox;
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const invoke = (cmd, args = {}) => browser.execute((c, a) => window.__TAURI_INTERNALS__.invoke(c, a), cmd, args);
  const visibility = () => browser.execute(() => document.visibilityState);

  before(async () => {
    // 1.5 MiB through a 256 KiB/s server: about six seconds of upload.
    sandbox = await startSandbox(["--bandwidth-kbps", "256"]);
    const dropDir = process.env.CIRRUS_E2E_DROP_DIR;
    rmSync(dropDir, { recursive: true, force: true });
    mkdirSync(dropDir, { recursive: true });
    writeFileSync(join(dropDir, BIG), Buffer.alloc(1536 * 1024, 7));
    browser = await launchApp();
  });

  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
    rmSync(join(process.env.CIRRUS_E2E_DROP_DIR, BIG), { force: true });
  });

  test("closing the window keeps the upload going; a second launch shows the window again", async () => {
    await (await byTestId("signin-server")).waitForExist({ timeout: 20000 });
    await (await byTestId("signin-server")).setValue(sandbox.url);
    await (await byTestId("signin-email")).setValue("demo@cirrus.local");
    await (await byTestId("signin-password")).setValue("cirrus-demo");
    await (await byTestId("signin-submit")).click();
    await (await byTestId("browser")).waitForExist({ timeout: 20000 });
    await (await browser.$('[data-testid="row"][data-name="Welcome.txt"]')).waitForExist({ timeout: 20000 });

    await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-drop");
    const running = async () => (await invoke("transfers_list")).find((t) => t.name === BIG);
    await browser.waitUntil(async () => (await running())?.state === "running", { timeout: 15000, timeoutMsg: "the upload did not start" });
    assert.equal(await visibility(), "visible");

    // The close button: the window goes, the app stays.
    await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-close");
    await browser.waitUntil(async () => (await visibility()) === "hidden", { timeout: 10000, timeoutMsg: "the window did not close" });
    const whileHidden = await running();
    assert.notEqual(whileHidden?.state, "completed", "the upload was still under way when the window closed");
    await browser.waitUntil(async () => (await running())?.state === "completed", {
      timeout: 60000,
      timeoutMsg: "the upload did not finish while the window was closed",
    });
    assert.equal(await visibility(), "hidden", "nothing showed the window meanwhile");

    // A second launch hands over to the first and exits; the first shows its window.
    const second = spawn(process.env.CIRRUS_APP, [], { env: process.env, stdio: "ignore" });
    const code = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        second.kill("SIGKILL");
        reject(new Error("the second launch kept running: single instance is broken"));
      }, 20000);
      second.on("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0);
    await browser.waitUntil(async () => (await visibility()) === "visible", { timeout: 10000, timeoutMsg: "the first window was not shown again" });
    await (await browser.$(`[data-testid="row"][data-name="${BIG}"]`)).waitForExist({ timeout: 15000 });
    await screenshot(browser, "desktop-01-shown-again");

    // Leave the next spec a signed-out app.
    await (await byTestId("account-switcher")).click();
    await (await byTestId("sign-out")).click();
    const ok = await byTestId("confirm-ok");
    if (await ok.isExisting()) await ok.click();
    await (await byTestId("signin")).waitForExist({ timeout: 10000 });
  });

  test("the window's size and position are remembered across launches", async () => {
    await browser.setWindowRect(40, 30, 860, 610);
    await browser.pause(1500); // saved once the window has been still for a moment
    const before = await browser.getWindowRect();
    assert.deepEqual([before.width, before.height], [860, 610], "the window took the new size");
    await browser.deleteSession();
    browser = await launchApp();
    await (await byTestId("signin")).waitForExist({ timeout: 20000 });
    const again = await browser.getWindowRect();
    assert.deepEqual([again.width, again.height], [before.width, before.height], "the size came back");
    assert.ok(Math.abs(again.x - before.x) <= 2 && Math.abs(again.y - before.y) <= 2, `the place came back: ${JSON.stringify([before, again])}`);
    // Back to the default for the specs that follow.
    await browser.setWindowRect(null, null, 1100, 720);
    await browser.pause(1500);
  });
});
