// Accessibility: the file journey with the keyboard alone (no clicks), through the context menu
// opened with Shift+F10 and the Move to… / Copy to… folder picker; and every control on each
// screen it reaches has a role and an accessible name.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { assertAccessible, focused, launchApp, pressUntil, screenshot } from "./helpers.js";

describe("keyboard only", () => {
  let browser;
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  const focusedRow = () => browser.execute(() => document.querySelector(".row.focused")?.getAttribute("data-name") ?? null);
  const tabTo = (target, max = 60) => pressUntil(browser, "Tab", async () => (await focused(browser)) === target, max, target);

  /** Moves the row focus onto `name` with the arrow keys (from the list or anywhere outside a field). */
  async function focusRow(name) {
    await browser.keys("Home");
    await pressUntil(browser, "ArrowDown", async () => (await focusedRow()) === name, 40, `row ${name}`);
  }
  /** Shift+F10 on the focused row, then the arrow keys to `item`, then Enter. */
  async function menu(item) {
    await browser.keys(["Shift", "F10"]);
    await (await byTestId("context-menu")).waitForExist({ timeout: 5000 });
    await pressUntil(browser, "ArrowDown", async () => (await focused(browser)) === `menu-${item}`, 20, `menu-${item}`);
    await browser.keys("Enter");
  }
  /** In the folder picker: Tab to `folder`, Enter to open it, Tab to the action, Enter. */
  async function pick(folder) {
    await (await byTestId("folder-picker")).waitForExist({ timeout: 5000 });
    await tabTo(`picker-folder:${folder}`, 20);
    await browser.keys("Enter");
    await browser.waitUntil(async () => (await (await byTestId("picker-path")).getText()) === folder, { timeout: 10000, timeoutMsg: `picker did not open ${folder}` });
    await tabTo("picker-ok", 20);
    await browser.keys("Enter");
    await (await byTestId("folder-picker")).waitForExist({ reverse: true, timeout: 5000 });
  }

  before(async () => {
    browser = await launchApp();
  });
  after(async () => {
    await browser?.deleteSession();
  });

  test("sign in to the local sandbox with Tab and Enter", async () => {
    await (await byTestId("sandbox-button")).waitForExist({ timeout: 20000 });
    await assertAccessible(browser, "the sign-in screen");
    await tabTo("sandbox-button", 30);
    await browser.keys("Enter");
    await (await row("Welcome.txt")).waitForExist({ timeout: 20000 });
    await assertAccessible(browser, "the file browser");
  });

  test("Tab reaches the file list; Shift+F10 opens the menu; Copy to… copies into a picked folder", async () => {
    await tabTo("file-list");
    await focusRow("Welcome.txt");
    await browser.keys(["Shift", "F10"]);
    await (await byTestId("context-menu")).waitForExist({ timeout: 5000 });
    assert.equal((await focused(browser)).startsWith("menu-"), true, "the menu takes the focus");
    await assertAccessible(browser, "the context menu");
    await browser.keys("Escape");
    await (await byTestId("context-menu")).waitForExist({ reverse: true, timeout: 5000 });
    await menu("copy-to");
    await (await byTestId("folder-picker")).waitForExist({ timeout: 5000 });
    await assertAccessible(browser, "the folder picker");
    await screenshot(browser, "kb-01-folder-picker");
    await pick("Documents");
    // Into Documents with Enter: the copy is there.
    await focusRow("Documents");
    await browser.keys("Enter");
    await (await row("Welcome.txt")).waitForExist({ timeout: 10000 });
    await (await row("Report 2024.txt")).waitForExist({ timeout: 10000 });
    await browser.keys("Backspace");
    await (await row("Documents")).waitForExist({ timeout: 10000 });
  });

  test("Move to… moves with the keyboard alone", async () => {
    await focusRow("Welcome.txt");
    await menu("move-to");
    await pick("Empty Folder");
    await (await row("Welcome.txt")).waitForExist({ reverse: true, timeout: 10000 });
    await focusRow("Empty Folder");
    await browser.keys("Enter");
    await (await row("Welcome.txt")).waitForExist({ timeout: 10000 });
    await browser.keys("Backspace");
    await (await row("Photos")).waitForExist({ timeout: 10000 });
  });

  test("share and archive from the keyboard menu", async () => {
    await focusRow("Photos");
    await menu("share");
    await (await byTestId("share-create")).waitForExist({ timeout: 5000 });
    await assertAccessible(browser, "the share dialog");
    await tabTo("share-create", 20);
    await browser.keys("Enter");
    await (await byTestId("share-link")).waitForExist({ timeout: 10000 });
    // The create button is gone: Tab brings the focus back into the dialog, Escape closes it.
    await tabTo("share-link", 80);
    await browser.keys("Escape");
    await (await byTestId("share-link")).waitForExist({ reverse: true, timeout: 5000 });

    await focusRow("Photos");
    await menu("archive");
    await (await byTestId("prompt-input")).waitForExist({ timeout: 5000 });
    assert.equal(await focused(browser), "prompt-input", "the name field has the focus");
    await browser.keys("Enter");
    await (await byTestId("prompt-dialog")).waitForExist({ reverse: true, timeout: 5000 });
    await tabTo("nav-tasks");
    await browser.keys("Enter");
    const task = await byTestId("task-row");
    await task.waitForExist({ timeout: 10000 });
    await browser.waitUntil(async () => (await task.getAttribute("data-status")) === "completed", { timeout: 30000, timeoutMsg: "the archive task did not complete" });
    await assertAccessible(browser, "the server tasks page");
    await screenshot(browser, "kb-02-tasks");
  });

  test("sign out with the keyboard", async () => {
    await tabTo("account-switcher");
    await browser.keys("Enter");
    await (await byTestId("account-menu")).waitForExist({ timeout: 5000 });
    await tabTo("sign-out", 20);
    await browser.keys("Enter");
    const ok = await byTestId("confirm-ok");
    if (await ok.isExisting()) {
      await tabTo("confirm-ok", 20);
      await browser.keys("Enter");
    }
    await (await byTestId("signin")).waitForExist({ timeout: 10000 });
  });
});
