// Shared helpers for the end-to-end specs: one WebDriver session per app launch.
import { remote } from "webdriverio";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { execFileSync } from "node:child_process";
import { join } from "node:path";

const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";

const quote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;

/**
 * Launches the real app binary through tauri-driver and returns the WebDriver browser.
 * `env` changes the app's environment for this launch (null unsets a variable); tauri-driver
 * cannot pass one, so the app starts through a small wrapper script that sets it and execs.
 * `args` is the app's command line (files to upload, `--minimized`).
 */
export async function launchApp({ env, args } = {}) {
  let app = process.env.CIRRUS_APP;
  if (!app) throw new Error("CIRRUS_APP must name the cirrus-desktop binary");
  if (env) {
    const dir = mkdtempSync(join(tmpdir(), "cirrus-e2e-app-"));
    const lines = Object.entries(env).map(([k, v]) => (v === null ? `unset ${k}` : `export ${k}=${quote(v)}`));
    const script = join(dir, "cirrus-desktop");
    writeFileSync(script, `#!/bin/sh\n${lines.join("\n")}\nexec ${quote(app)} "$@"\n`, { mode: 0o755 });
    app = script;
  }
  return remote({
    hostname: "127.0.0.1",
    port: Number(process.env.TAURI_DRIVER_PORT ?? 4444),
    logLevel: process.env.WDIO_LOG ?? "warn",
    capabilities: {
      "tauri:options": { application: app, ...(args ? { args } : {}) },
    },
  });
}

/**
 * Saves a screenshot of the virtual display. WebKitWebDriver's own screenshot command can hang
 * on a window with a tray icon, so the X server is captured instead (ImageMagick `import`),
 * after a short pause because painting lags the DOM.
 */
export async function screenshot(browser, name) {
  mkdirSync(artifacts, { recursive: true });
  await browser.pause(800);
  execFileSync("import", ["-window", "root", join(artifacts, `${name}.png`)], { timeout: 20000 });
}

/** A fresh, empty data directory for an app launch that must not share the suite's accounts. */
export function freshDataDir() {
  return mkdtempSync(join(tmpdir(), "cirrus-e2e-data-"));
}

/**
 * The families of the installed fonts that cover Chinese (`fc-list :lang=zh`). Without one, the
 * 简体中文 screens render as empty boxes, which a DOM assertion cannot see.
 */
export function chineseFonts() {
  try {
    return execFileSync("fc-list", [":lang=zh", "family"], { encoding: "utf8", timeout: 20000 })
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean);
  } catch (e) {
    throw new Error(`fc-list failed (is fontconfig installed?): ${e.message}`);
  }
}

/** Fails with a message that says what to install when no font covers Chinese. */
export function assertChineseFont() {
  if (chineseFonts().length === 0) {
    throw new Error(
      "no font covering Chinese is installed (`fc-list :lang=zh` is empty), so 简体中文 screens would show empty boxes; " +
        "install one, e.g. `apt-get install fonts-noto-cjk` (part of TEST_PKGS in the Makefile: `make deps-test`)",
    );
  }
}

/**
 * Every visible control on the screen, checked in the page: each focusable element has a role
 * (its own or its tag's), and each control has an accessible name (aria-labelledby, aria-label,
 * a <label>, its text, or a title). Returns one line per problem.
 */
export async function accessibilityProblems(browser) {
  return browser.execute(() => {
    const NEEDS_NAME = new Set([
      "button", "link", "checkbox", "radio", "textbox", "searchbox", "combobox", "slider", "spinbutton",
      "menuitem", "tab", "progressbar", "switch", "dialog", "grid", "listbox", "img", "option",
    ]);
    const TEXT_NAMED = new Set(["button", "link", "menuitem", "tab", "option", "checkbox", "radio", "switch"]);
    const inputRole = (el) =>
      ({ checkbox: "checkbox", radio: "radio", range: "slider", search: "searchbox", submit: "button", button: "button", reset: "button", number: "spinbutton" })[el.type] ?? "textbox";
    const roleOf = (el) => {
      const explicit = el.getAttribute("role");
      if (explicit) return explicit.trim().split(/\s+/)[0];
      switch (el.tagName) {
        case "BUTTON":
        case "SUMMARY":
          return "button";
        case "A":
          return el.hasAttribute("href") ? "link" : "";
        case "SELECT":
          return el.multiple ? "listbox" : "combobox";
        case "TEXTAREA":
          return "textbox";
        case "PROGRESS":
          return "progressbar";
        case "INPUT":
          return inputRole(el);
        default:
          return "";
      }
    };
    const visible = (el) => {
      if (el.closest("[hidden], [aria-hidden='true'], [inert]")) return false;
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none";
    };
    const nameOf = (el, role) => {
      const by = el.getAttribute("aria-labelledby");
      if (by) {
        const t = by.split(/\s+/).map((id) => document.getElementById(id)?.textContent ?? "").join(" ").trim();
        if (t) return t;
      }
      const aria = el.getAttribute("aria-label")?.trim();
      if (aria) return aria;
      if (el.labels?.length) {
        const t = [...el.labels].map((l) => l.textContent ?? "").join(" ").trim();
        if (t) return t;
      }
      if (TEXT_NAMED.has(role)) {
        const t = (el.textContent ?? "").trim();
        if (t) return t;
      }
      if (el.tagName === "INPUT" && ["submit", "button", "reset"].includes(el.type) && el.value) return el.value;
      return el.getAttribute("title")?.trim() ?? "";
    };
    const describe = (el) => {
      const id = el.getAttribute("data-testid");
      return `<${el.tagName.toLowerCase()}${id ? ` data-testid="${id}"` : ""}${el.className && typeof el.className === "string" ? ` class="${el.className}"` : ""}>`;
    };
    const problems = [];
    const candidates = document.querySelectorAll(
      "button, a[href], input:not([type=hidden]), select, textarea, progress, summary, [role], [tabindex]",
    );
    for (const el of candidates) {
      if (!visible(el)) continue;
      const role = roleOf(el);
      const tabindex = el.getAttribute("tabindex");
      const focusable = el.matches("button, a[href], input, select, textarea, summary") || (tabindex !== null && Number(tabindex) >= 0);
      if (focusable && !role) problems.push(`${describe(el)} can take the focus but has no role`);
      if (NEEDS_NAME.has(role) && !nameOf(el, role)) problems.push(`${describe(el)} (role ${role}) has no accessible name`);
    }
    return problems;
  });
}

/** Fails, listing every problem, when a control on the screen has no role or no name. */
export async function assertAccessible(browser, where) {
  const problems = await accessibilityProblems(browser);
  if (problems.length) throw new Error(`accessibility problems on ${where}:\n  ${problems.join("\n  ")}`);
}

/** The `data-testid` (or else the tag and text) of the element that has the keyboard focus. */
export async function focused(browser) {
  return browser.execute(() => {
    const el = document.activeElement;
    if (!el) return "";
    const id = el.getAttribute("data-testid") ?? `${el.tagName.toLowerCase()}:${(el.textContent ?? "").trim().slice(0, 40)}`;
    const name = el.getAttribute("data-name");
    return name ? `${id}:${name}` : id;
  });
}

/**
 * Presses `key` (a WebDriver key name, or a list for a chord) until `done()` holds, at most
 * `max` times; the keyboard is the only input.
 */
export async function pressUntil(browser, key, done, max = 40, what = "") {
  for (let i = 0; i < max; i++) {
    if (await done()) return;
    await browser.keys(key);
  }
  if (await done()) return;
  throw new Error(`pressed ${JSON.stringify(key)} ${max} times without reaching ${what || "the goal"} (focus on ${await focused(browser)})`);
}

const byTestIdIn = (browser, id) => browser.$(`[data-testid="${id}"]`);
const rowIn = (browser, name) => browser.$(`[data-testid="row"][data-name="${name}"]`);

/** Makes a folder with the toolbar's "New folder" button and opens it by double-click. */
export async function createFolderAndEnter(browser, name) {
  await (await byTestIdIn(browser, "new-folder")).click();
  const input = await byTestIdIn(browser, "prompt-input");
  await input.waitForExist({ timeout: 5000 });
  await input.setValue(name);
  await (await byTestIdIn(browser, "prompt-ok")).click();
  await (await rowIn(browser, name)).waitForExist({ timeout: 10000 });
  await (await rowIn(browser, name)).doubleClick();
  await browser.waitUntil(async () => (await (await byTestIdIn(browser, "breadcrumbs")).getText()).includes(name), {
    timeout: 10000,
    timeoutMsg: `did not enter the new folder ${name}`,
  });
}

/**
 * Uploads the files of the e2e drop folder the way an OS drop does (Rust keeps the paths, the UI
 * plans and starts the upload), waits on the transfers page until the first transfer completes,
 * runs `onTransfers` there (screenshots, checks), and comes back to the file list once the row
 * `name` is no longer marked as uploading.
 */
export async function uploadDroppedAndWait(browser, name, { timeout = 60000, onTransfers } = {}) {
  await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-drop");
  await (await rowIn(browser, name)).waitForExist({ timeout: 30000 });
  await (await byTestIdIn(browser, "nav-transfers")).click();
  const transfer = await byTestIdIn(browser, "transfer-row");
  await transfer.waitForExist({ timeout: 10000 });
  await browser.waitUntil(async () => (await transfer.getAttribute("data-state")) === "completed", {
    timeout,
    timeoutMsg: `the upload of ${name} did not complete`,
  });
  if (onTransfers) await onTransfers();
  await (await byTestIdIn(browser, "nav-files")).click();
  await browser.waitUntil(async () => !(await (await rowIn(browser, name)).getAttribute("class")).includes("uploading"), { timeout: 10000 });
}
