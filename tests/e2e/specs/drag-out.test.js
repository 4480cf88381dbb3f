// Drag-out, the command path: the commands a row drag sends (begin, pointer left the window),
// then the app's e2e hook plays the drop target: it asks for the drag's text/uri-list exactly as
// the GTK handler does for a file manager, and copies each URI like a file manager would.
// WebDriver cannot drive an OS drag; drag-out-x11 does real X11 drags onto another process.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshDataDir, launchApp } from "./helpers.js";

test("a file and a folder dragged out arrive through the transfer queue", async () => {
  const dropDir = mkdtempSync(join(tmpdir(), "cirrus-e2e-dragout-"));
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir(), CIRRUS_E2E_DRAG_OUT_DIR: dropDir } });
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  try {
    const btn = await browser.$('[data-testid="sandbox-button"]');
    await btn.waitForExist({ timeout: 20000 });
    await btn.click();
    await (await row("Welcome.txt")).waitForExist({ timeout: 30000 });
    // What the page sends when a row drag starts and leaves the window.
    const invoke = (cmd, args) => browser.execute((c, a) => window.__TAURI_INTERNALS__.invoke(c, a), cmd, args);
    const accountId = (await invoke("accounts_list", {}))[0].id;
    await invoke("drag_out_begin", { token: "e2e-1", accountId, uris: ["cloudreve://my/Welcome.txt", "cloudreve://my/Documents"] });
    const transfers = () => invoke("transfers_list", {});
    assert.equal((await transfers()).length, 0, "nothing is downloaded before the pointer leaves");
    await invoke("drag_out_pointer", { token: "e2e-1", outside: true });
    await browser.waitUntil(async () => (await transfers()).filter((t) => t.direction === "download").length === 2, {
      timeout: 10000,
      timeoutMsg: "leaving the window did not queue the downloads",
    });
    // The drop: the target asks for the list and copies what it names.
    await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-drag-out");
    await browser.waitUntil(async () => existsSync(join(dropDir, "Documents", "party 🎉.txt")) && existsSync(join(dropDir, "Welcome.txt")), {
      timeout: 30000,
      timeoutMsg: "the dragged items did not arrive",
    });
    assert.equal(readFileSync(join(dropDir, "Welcome.txt"), "utf8"), "Welcome to the Cirrus sandbox.\n");
    assert.equal(readFileSync(join(dropDir, "Documents", "100% done.txt"), "utf8"), "done\n");
    assert.equal(readFileSync(join(dropDir, "Documents", "中文文件.txt"), "utf8"), "你好，世界\n");
    const rows = await transfers();
    assert.ok(rows.every((t) => t.state === "completed"), JSON.stringify(rows));
    await invoke("drag_out_end", { token: "e2e-1" });
  } finally {
    await browser.deleteSession();
  }
});
