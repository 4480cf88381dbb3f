// Versions and search in the real app against a real sandbox server: the demo drive's
// Drafts/Proposal.md has three versions; an older one is made current from the info panel and
// the server is asked over HTTP whether it really is. Then a search from the root finds a file
// two folders down, and the type filter leaves out a folder that matches the same name.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertAccessible, freshDataDir, launchApp, screenshot } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const EMAIL = "demo@cirrus.local";
const PASSWORD = "cirrus-demo";
const PROPOSAL = "cloudreve://my/Drafts/Proposal.md";
/** The sandbox's oldest version of Proposal.md (seed_versions.rs). */
const FIRST_DRAFT = "# Proposal\n\nFirst draft.\n";
const NESTED = "cloudreve://my/Projects/Q3/budget-plan.txt";
const DECOY = "cloudreve://my/budget-archive";

/** Copies a screenshot of this run into docs/ for the README. */
function toDocs(shot, name) {
  mkdirSync(join(repo, "docs"), { recursive: true });
  copyFileSync(join(process.env.CIRRUS_ARTIFACTS, `${shot}.png`), join(repo, "docs", name));
}

/** The sandbox's v4 API as the demo user, straight over HTTP (not through the app). */
async function api(url) {
  const call = async (method, path, { token, body } = {}) => {
    const r = await fetch(`${url}/api/v4${path}`, {
      method,
      headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await r.json();
    if (json.code !== 0) throw new Error(`${method} ${path}: ${JSON.stringify(json)}`);
    return json.data;
  };
  const session = await call("POST", "/session/token", { body: { email: EMAIL, password: PASSWORD } });
  const token = session.token.access_token;
  return {
    info: (uri) => call("GET", `/file/info?uri=${encodeURIComponent(uri)}&extended=true`, { token }),
    create: (uri, type) => call("POST", "/file/create", { token, body: { uri, type } }),
  };
}

describe("versions and search", () => {
  let browser;
  let sandbox;
  let server;
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  // Read in the page in one go: rows re-render while results arrive, and element handles taken
  // one by one go stale in between.
  const rowNames = () => browser.execute(() => [...document.querySelectorAll('[data-testid="row"]')].map((r) => r.getAttribute("data-name")));
  const versions = () => browser.$$('[data-testid="version"]');
  const text = async (id) => (await (await byTestId(id)).getText()).trim();

  before(async () => {
    sandbox = await startSandbox();
    server = await api(sandbox.url);
    // A file two folders down, and a folder at the root whose name matches the same search.
    await server.create(NESTED, "file");
    await server.create(DECOY, "folder");
    // Its own data dir: specs before it (journey, keyboard) leave an account signed in.
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  });
  after(async () => {
    await browser?.deleteSession();
    sandbox?.stop();
  });

  test("sign in as the demo user", async () => {
    const serverField = await byTestId("signin-server");
    await serverField.waitForExist({ timeout: 20000 });
    await serverField.setValue(sandbox.url);
    await (await byTestId("signin-email")).setValue(EMAIL);
    await (await byTestId("signin-password")).setValue(PASSWORD);
    await (await byTestId("signin-submit")).click();
    await (await row("Drafts")).waitForExist({ timeout: 20000 });
  });

  test("the info panel lists Proposal.md's three versions; an older one is made current", async () => {
    const before = await server.info(PROPOSAL);
    assert.equal(before.extended_info.entities.filter((e) => e.type === 0).length, 3);
    await (await row("Drafts")).doubleClick();
    await (await row("Proposal.md")).waitForExist({ timeout: 20000 });
    await (await row("Proposal.md")).click();
    await (await byTestId("toggle-info")).click();
    await browser.waitUntil(async () => (await versions()).length === 3, { timeout: 20000, timeoutMsg: "three versions were not listed" });
    const list = await versions();
    assert.equal(await list[0].getAttribute("data-current"), "true", "the newest is current");
    const oldest = list[2];
    const oldestId = await oldest.getAttribute("data-id");
    const oldestDate = (await (await oldest.$(".version-date")).getText()).trim();
    const currentDateBefore = (await (await list[0].$(".version-date")).getText()).trim();
    assert.notEqual(oldestDate, currentDateBefore, "versions a day apart show different dates");
    const sizeBefore = await text("info-size");
    assert.match(sizeBefore, new RegExp(`\\(${before.size} B\\)`));
    await screenshot(browser, "versions-panel");
    await assertAccessible(browser, "the info panel with versions");

    await (await oldest.$('[data-testid="version-make-current"]')).click();
    // The details and the row follow at once; the list is fetched again with the new marker.
    await browser.waitUntil(async () => (await text("info-size")).includes(`(${FIRST_DRAFT.length} B)`), {
      timeout: 15000,
      timeoutMsg: "the size in the details did not change",
    });
    assert.notEqual(await text("info-size"), sizeBefore);
    const rowText = await browser.execute(() => document.querySelector('[data-testid="row"][data-name="Proposal.md"]')?.textContent ?? "");
    assert.match(rowText, new RegExp(`(^|\\D)${FIRST_DRAFT.length} B`), "the row in the list shows the new size");
    await browser.waitUntil(
      async () => {
        for (const v of await versions()) if ((await v.getAttribute("data-current")) === "true") return (await v.getAttribute("data-id")) === oldestId;
        return false;
      },
      { timeout: 15000, timeoutMsg: "the current marker did not move to the restored version" },
    );
    const current = await browser.$('[data-testid="version"][data-current="true"] .version-date');
    assert.equal((await current.getText()).trim(), oldestDate, "the current version's date is the restored one's");
    await screenshot(browser, "versions-restored");
    toDocs("versions-restored", "versions.png");

    // The server agrees: the file's size and current entity are the first draft's, its date moved.
    const after = await server.info(PROPOSAL);
    assert.equal(after.size, FIRST_DRAFT.length);
    assert.equal(after.primary_entity, oldestId);
    assert.notEqual(after.updated_at, before.updated_at);
  });

  test("a search from the root finds a file two folders down; the type filter drops a matching folder", async () => {
    await (await browser.$('[data-testid="crumb"]')).click();
    await (await row("Drafts")).waitForExist({ timeout: 20000 });
    const box = await byTestId("search-input");
    await box.setValue("budget");
    await browser.keys("Enter");
    await browser.waitUntil(async () => (await rowNames()).length === 2, { timeout: 20000, timeoutMsg: "two matches expected" });
    assert.deepEqual((await rowNames()).sort(), ["budget-archive", "budget-plan.txt"]);
    // The hit shows the folder it is in.
    assert.match(await (await (await row("budget-plan.txt")).$('[data-testid="hit-folder"]')).getText(), /Projects.*Q3/);

    await (await byTestId("search-filters-button")).click();
    await (await byTestId("search-filters")).waitForExist({ timeout: 5000 });
    await assertAccessible(browser, "the search filters popover");
    await (await byTestId("filter-kind")).selectByAttribute("value", "file");
    await (await byTestId("filter-apply")).click();
    await browser.waitUntil(async () => JSON.stringify(await rowNames()) === JSON.stringify(["budget-plan.txt"]), {
      timeout: 20000,
      timeoutMsg: "the folder was not filtered out",
    });
    assert.equal(await text("search-filters-count"), "1");
    await screenshot(browser, "search-filtered");
    toDocs("search-filtered", "search-filters.png");
  });
});
