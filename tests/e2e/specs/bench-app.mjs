// `make bench` app rows (not part of the test run: the file name does not match *.test.js).
// Measures the app at CIRRUS_APP (the binary unpacked from the .deb): cold start to the first
// painted file list, and idle memory with a signed-in account. Writes bench-app.json and a
// Markdown table to CIRRUS_ARTIFACTS.
import { after, before, test } from "node:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { childrenOf, memory, pidsOf } from "./bench-lib.js";
import { freshDataDir, launchApp } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const RUNS = Number(process.env.BENCH_APP_RUNS ?? 5);
const IDLE_MS = 5000;
const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let sandbox;
before(async () => {
  sandbox = await startSandbox();
});
after(() => sandbox?.stop());

test("cold start to the first file list, and idle memory signed in", async () => {
  const app = process.env.CIRRUS_APP;
  const dataDir = freshDataDir();
  // Sign in once; later starts find the account signed in (file secret store).
  let browser = await launchApp({ env: { CIRRUS_DATA_DIR: dataDir } });
  await (await browser.$('[data-testid="signin-server"]')).waitForExist({ timeout: 30000 });
  await (await browser.$('[data-testid="signin-server"]')).setValue(sandbox.url);
  await (await browser.$('[data-testid="signin-email"]')).setValue("demo@cirrus.local");
  await (await browser.$('[data-testid="signin-password"]')).setValue("cirrus-demo");
  await (await browser.$('[data-testid="signin-submit"]')).click();
  await (await browser.$('[data-testid="row"]')).waitForExist({ timeout: 30000 });
  await browser.deleteSession();

  const starts = [];
  const mem = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: dataDir } });
    await (await browser.$('[data-testid="row"][data-name="Welcome.txt"]')).waitForExist({ timeout: 30000, interval: 10 });
    // The row exists in the DOM; wait for the next frame so it has been painted.
    await browser.execute(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    starts.push(performance.now() - t0);
    await browser.pause(IDLE_MS);
    const [pid] = pidsOf(app);
    const own = memory(pid);
    const helpers = childrenOf(pid).map(memory);
    mem.push({ appRss: own.rss, totalPss: own.pss + helpers.reduce((s, h) => s + h.pss, 0), helpers: helpers.map((h) => h.name) });
    await browser.deleteSession();
    await new Promise((r) => setTimeout(r, 500));
  }
  const result = {
    runs: RUNS,
    startMs: starts.map(Math.round),
    startMedianMs: Math.round(median(starts)),
    appRssMiB: +(median(mem.map((m) => m.appRss)) / 1024).toFixed(1),
    totalPssMiB: +(median(mem.map((m) => m.totalPss)) / 1024).toFixed(1),
    helpers: mem[0]?.helpers ?? [],
  };
  writeFileSync(join(artifacts, "bench-app.json"), JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
});
