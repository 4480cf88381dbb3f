// The app binary starts, loads the embedded UI and shows the product name.
import { test } from "node:test";
import assert from "node:assert/strict";
import { launchApp, screenshot } from "./helpers.js";

test("the app window opens and renders the UI", async () => {
  const browser = await launchApp();
  try {
    const heading = await browser.$("h1");
    await heading.waitForExist({ timeout: 20000 });
    assert.equal(await heading.getText(), "Cirrus");
    assert.equal(await browser.getTitle(), "Cirrus");
    await screenshot(browser, "launch");
  } finally {
    await browser.deleteSession();
  }
});
