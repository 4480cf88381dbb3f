// Drag-out: rows dragged from the list onto a file manager. WebDriver cannot drive an OS drag,
// so the page's side is real (a dragstart on the rows, the pointer leaving the window), and the
// drop target's side is the app's e2e hook: it asks for the drag's text/uri-list exactly as the
// GTK handler does for a file manager, then copies each URI like a file manager would.
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
    await (await row("Documents")).click();
    await browser.execute(() => {
      const r = document.querySelector('[data-testid="row"][data-name="Welcome.txt"]');
      r.dispatchEvent(new MouseEvent("click", { bubbles: true, ctrlKey: true }));
    });
    // The drag starts on a selected row: both selected items go, and only a marker is in the drag.
    const uriList = await browser.execute(() => {
      const dt = new DataTransfer();
      const r = document.querySelector('[data-testid="row"][data-name="Welcome.txt"]');
      r.dispatchEvent(new DragEvent("dragstart", { bubbles: true, cancelable: true, dataTransfer: dt }));
      return dt.getData("text/uri-list");
    });
    assert.match(uriList, /^cirrus-drag:[A-Za-z0-9-]+$/);
    // Before the pointer leaves the window nothing is downloaded.
    const transfers = () => browser.execute(() => window.__TAURI_INTERNALS__.invoke("transfers_list", {}));
    await browser.pause(500);
    assert.equal((await transfers()).length, 0);
    await browser.execute(() => document.dispatchEvent(new DragEvent("dragleave", { bubbles: true, clientX: 0, clientY: 0 })));
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
    await browser.execute(() => document.dispatchEvent(new DragEvent("dragend", { bubbles: true })));
  } finally {
    await browser.deleteSession();
  }
});
