// `make bench` transfers rows (not part of the test run: the file name does not match
// *.test.js). The transfers panel holding 10 000 queued uploads (a real drop of 10 000 files
// against a sandbox slowed down so they stay queued): time to render it, and from a "Pause all"
// click until every row shows paused, both measured in the page. Writes bench-transfers.json to
// CIRRUS_ARTIFACTS.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pageResult, signIn } from "./bench-lib.js";
import { freshDataDir, launchApp } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";
const TRANSFERS = Number(process.env.BENCH_UI_TRANSFERS ?? 10000);
/** Per-request delay of the sandbox, so the dropped files stay queued while measured. */
const TRANSFER_LATENCY_MS = 400;
const results = {};
const round = (x) => (x == null ? null : +x.toFixed(1));
const sandboxes = [];
after(() => sandboxes.forEach((s) => s.stop()));

test(`transfers panel with ${TRANSFERS} queued uploads: render and pause all`, { timeout: 900000 }, async () => {
  const drop = process.env.CIRRUS_E2E_DROP_DIR;
  assert.ok(drop, "CIRRUS_E2E_DROP_DIR is set by scripts/e2e.sh");
  rmSync(drop, { recursive: true, force: true });
  mkdirSync(drop, { recursive: true });
  for (let i = 0; i < TRANSFERS; i++) writeFileSync(join(drop, `bench ${String(i).padStart(5, "0")}.txt`), `file ${i}\n`);
  assert.equal(readdirSync(drop).length, TRANSFERS);

  // Every request to this sandbox waits, so the uploads stay queued while the panel is measured.
  const slow = await startSandbox(["--latency-ms", String(TRANSFER_LATENCY_MS), "--no-demo-media"]);
  sandboxes.push(slow);
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  try {
    await signIn(browser, slow.url);
    await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-drop");
    await (await browser.$('[data-testid="nav-transfers"]')).click();
    const t0 = Date.now();
    // The page can be too busy to answer a poll; that counts as "not yet".
    // The list is virtualised (only rows in view are in the DOM): it carries the row count.
    const listed = () => browser.execute(() => Number(document.querySelector('[data-testid="transfer-list"]')?.dataset.count ?? 0)).catch(() => 0);
    const arrival = [];
    // Kept even when the wait fails: how far the list got, and when.
    results.transfers = { arrival };
    await browser.waitUntil(
      async () => {
        const n = await listed();
        arrival.push([Math.round((Date.now() - t0) / 1000), n]);
        return n >= TRANSFERS;
      },
      { timeout: 600000, interval: 5000, timeoutMsg: `the transfers panel did not list ${TRANSFERS} uploads` },
    );
    results.transfers.listedAfterDropS = +((Date.now() - t0) / 1000).toFixed(1);
    await (await browser.$('[data-testid="nav-files"]')).click();
    await browser.pause(3000);

    // Open the panel from the page: click to the list of every row painted (its rows in view).
    await browser.execute((n) => {
      window.__bench = {};
      const t0 = performance.now();
      const done = () => {
        const list = document.querySelector('[data-testid="transfer-list"]');
        if (!list || Number(list.dataset.count) < n || !list.querySelector('[data-testid="transfer-row"]')) return requestAnimationFrame(done);
        const committed = performance.now();
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => (window.__bench.render = { clickToRows: performance.now() - t0, clickToCommit: committed - t0 });
          ch.port2.postMessage(null);
        });
      };
      document.querySelector('[data-testid="nav-transfers"]').click();
      requestAnimationFrame(done);
    }, TRANSFERS);
    const render = await pageResult(browser, "render", 120000);
    await browser.pause(2000);
    // Most rows are not in the DOM: count the states from the backend's list.
    await browser.execute(() => {
      window.__TAURI_INTERNALS__.invoke("transfers_list").then(
        (rows) => {
          const out = {};
          for (const r of rows) out[r.state] = (out[r.state] ?? 0) + 1;
          window.__bench.states = out;
        },
        (e) => (window.__bench.states = { error: String(e?.message ?? e) }),
      );
    });
    const states = await pageResult(browser, "states", 60000);
    const rowsInDom = await browser.execute(() => document.querySelectorAll('[data-testid="transfer-row"]').length);

    // Pause all: click to the frame in which no row shows queued or running any more (the
    // list's live count is 0 and no row in view says otherwise); the DOM mutations in between
    // are counted (each is a React commit touching the list).
    await browser.execute(() => {
      const list = document.querySelector(".transfer-list");
      let mutations = 0;
      let batches = 0;
      let firstMutation = null;
      const obs = new MutationObserver((records) => {
        if (firstMutation === null) firstMutation = performance.now() - t0;
        batches++;
        mutations += records.length;
      });
      obs.observe(list, { subtree: true, childList: true, attributes: true, characterData: true });
      // Where the time goes: every change of the list's live count (queued + running rows)
      // with its time, so a tail of running uploads stopping one by one shows up.
      const timeline = [];
      const t0 = performance.now();
      const deadline = t0 + 120000;
      const check = () => {
        const live = Number(list.dataset.live) + list.querySelectorAll('[data-state="queued"], [data-state="running"]').length;
        if (!timeline.length || timeline[timeline.length - 1][1] !== live) timeline.push([Math.round(performance.now() - t0), live]);
        if (live > 0 && performance.now() < deadline) return requestAnimationFrame(check);
        const reflected = performance.now();
        requestAnimationFrame(() => {
          const ch = new MessageChannel();
          ch.port1.onmessage = () => {
            obs.disconnect();
            window.__bench.pause = {
              clickToPaused: performance.now() - t0,
              reflected: reflected - t0,
              timeline,
              firstMutation,
              live,
              batches,
              mutations,
            };
          };
          ch.port2.postMessage(null);
        });
      };
      document.querySelector('[data-testid="transfers-pause-all"]').click();
      requestAnimationFrame(check);
    });
    const pause = await pageResult(browser, "pause", 180000);
    // What the backend says after the wait, and any error shown, to tell a slow list from a
    // pause that did not happen.
    await browser.execute(() => {
      window.__TAURI_INTERNALS__.invoke("transfers_list").then(
        (rows) => {
          const out = {};
          for (const r of rows) out[r.state] = (out[r.state] ?? 0) + 1;
          window.__bench.after = out;
        },
        (e) => (window.__bench.after = { error: String(e?.message ?? e) }),
      );
    });
    const statesAfterPause = await pageResult(browser, "after", 60000);
    const toasts = await browser.execute(() => [...document.querySelectorAll('[role="status"], [role="alert"], .toast')].map((t) => t.textContent));
    results.transfers = {
      ...results.transfers,
      rows: TRANSFERS,
      statesBeforePause: states,
      rowsInDom,
      renderMs: round(render.clickToRows),
      renderCommitMs: round(render.clickToCommit),
      pauseMs: round(pause.clickToPaused),
      pauseLiveTimeline: pause.timeline,
      pauseFirstListChangeMs: round(pause.firstMutation),
      statesAfterPause,
      toasts,
      pauseLeftLive: pause.live,
      pauseCommitBatches: pause.batches,
      pauseMutations: pause.mutations,
    };
    console.log(JSON.stringify({ transfers: results.transfers }));
    assert.equal(pause.live, 0, "every row shows paused");
  } finally {
    writeFileSync(join(artifacts, "bench-transfers.json"), JSON.stringify(results, null, 2));
    await browser.deleteSession();
    rmSync(drop, { recursive: true, force: true });
  }
});
