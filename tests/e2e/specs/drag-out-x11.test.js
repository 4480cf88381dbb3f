// A real X11 drag inside the window (xdotool holds the mouse button and carries it over a folder
// row): the in-app move must keep working whatever drag-out does. This check is what showed that
// putting text/uri-list in the row's HTML5 drag breaks it (see ui/src/features/browser/dragOut.ts).
// Skipped where xdotool is missing.
import { test } from "node:test";
import { execFileSync } from "node:child_process";
import { freshDataDir, launchApp } from "./helpers.js";

const have = (cmd, args) => {
  try {
    execFileSync(cmd, args, { stdio: "ignore", timeout: 10000 });
    return true;
  } catch {
    return false;
  }
};
const xdo = (...args) => execFileSync("xdotool", args.map(String), { timeout: 10000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Presses on (x, y), moves in small steps to (tx, ty), lingers, releases: a person's drag. */
async function drag(x, y, tx, ty) {
  xdo("mousemove", x, y);
  await sleep(200);
  xdo("mousedown", 1);
  for (let i = 1; i <= 30; i++) {
    xdo("mousemove", Math.round(x + ((tx - x) * i) / 30), Math.round(y + ((ty - y) * i) / 30));
    await sleep(40);
  }
  await sleep(1500);
  xdo("mouseup", 1);
}

test("a real X11 drag of a row onto a folder row moves it", { skip: !have("xdotool", ["version"]) && "xdotool missing" }, async () => {
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  try {
    const btn = await browser.$('[data-testid="sandbox-button"]');
    await btn.waitForExist({ timeout: 20000 });
    await btn.click();
    await (await row("Welcome.txt")).waitForExist({ timeout: 30000 });
    const win = xdo("search", "--onlyvisible", "--name", "Cirrus").toString().trim().split("\n")[0];
    const geo = Object.fromEntries(
      xdo("getwindowgeometry", "--shell", win)
        .toString()
        .trim()
        .split("\n")
        .map((l) => l.split("=")),
    );
    const center = async (name) => {
      const r = await browser.execute((n) => {
        const b = document.querySelector(`[data-testid="row"][data-name="${CSS.escape(n)}"]`).getBoundingClientRect();
        return { x: b.left + Math.min(60, b.width / 2), y: b.top + b.height / 2 };
      }, name);
      return { x: Number(geo.X) + Math.round(r.x), y: Number(geo.Y) + Math.round(r.y) };
    };
    const src = await center("Welcome.txt");
    const dst = await center("Photos");
    await drag(src.x, src.y, dst.x, dst.y);
    await browser.waitUntil(async () => !(await (await row("Welcome.txt")).isExisting()), {
      timeout: 20000,
      timeoutMsg: "the drag onto Photos did not move the file",
    });
    await (await row("Photos")).doubleClick();
    await (await row("Welcome.txt")).waitForExist({ timeout: 20000 });
  } finally {
    await browser.deleteSession();
  }
});
