// `make bench` UI rows (not part of the test run: the file name does not match *.test.js).
// Measures the UI inside the real WebView, with timings taken in the page itself:
// - opening the 100 000-entry showcase folder: click to the first painted rows, and the first
//   page's arrival (the `cirrus:first-page` mark the row source sets) to those rows;
// - scrolling it top to bottom at a steady rate: rAF frame times, missed frames, the moment the
//   whole listing is counted, and the memory of the app + WebKit before and after;
// Writes bench-ui.json to CIRRUS_ARTIFACTS.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { appMemory, pageResult, signIn } from "./bench-lib.js";
import { freshDataDir, launchApp } from "./helpers.js";
import { startSandbox } from "./sandbox-server.js";

const artifacts = process.env.CIRRUS_ARTIFACTS ?? "artifacts";
/** Rows scrolled per second in the steady scroll (100 000 rows take about a minute). */
const SCROLL_ROWS_PER_S = Number(process.env.BENCH_UI_SCROLL_ROWS_PER_S ?? 1700);
const results = {};

const mib = (kib) => +(kib / 1024).toFixed(1);
const round = (x) => (x == null ? null : +x.toFixed(1));

const sandboxes = [];
before(async () => {
  sandboxes.push(await startSandbox());
});
after(() => sandboxes.forEach((s) => s.stop()));

test("100 000-entry folder: first rows, all counted, a steady scroll", { timeout: 600000 }, async () => {
  const app = process.env.CIRRUS_APP;
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir() } });
  try {
    await signIn(browser, sandboxes[0].url);
    await (await browser.$('[data-testid="row"][data-name="Showcase"]')).doubleClick();
    await (await browser.$('[data-testid="row"][data-name="Large folder"]')).waitForExist({ timeout: 30000 });
    await browser.pause(2000);
    const memBefore = appMemory(app);
    const loadBefore = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

    // Open the folder from the page, so the click and the paint are on one clock. A row is
    // painted when a task posted from the rAF callback after its commit runs (after that frame).
    await browser.execute(() => {
      window.__bench = {};
      const row = document.querySelector('[data-testid="row"][data-name="Large folder"]');
      performance.clearMarks("cirrus:first-page");
      const t0 = performance.now();
      window.__bench.t0 = t0;
      const afterPaint = (fn) => requestAnimationFrame(() => {
        const ch = new MessageChannel();
        ch.port1.onmessage = fn;
        ch.port2.postMessage(null);
      });
      const found = () => document.querySelector('[data-testid="row"][data-name^="entry "]');
      const obs = new MutationObserver(() => {
        if (!found()) return;
        obs.disconnect();
        const committed = performance.now();
        afterPaint(() => {
          const painted = performance.now();
          const mark = performance.getEntriesByName("cirrus:first-page")[0];
          window.__bench.open = mark
            ? { clickToPage: mark.startTime - t0, pageToRows: painted - mark.startTime, pageToCommit: committed - mark.startTime, clickToRows: painted - t0 }
            : { error: "no cirrus:first-page mark (an old UI build?)" };
        });
      });
      obs.observe(document.body, { childList: true, subtree: true });
      row.dispatchEvent(new MouseEvent("dblclick", { bubbles: true }));
    });
    results.open = await pageResult(browser, "open", 30000);
    await browser.pause(1000);

    // The steady scroll: the position follows the clock (px per ms), so a slow frame does not
    // slow the scroll; while the end is not known yet the list can only go as far as loaded.
    await browser.execute((rowsPerS) => {
      const el = document.querySelector('[data-testid="file-scroll"]');
      const grid = document.querySelector('[data-testid="file-list"]');
      const rowHeight = document.querySelector('[data-testid="row"]').getBoundingClientRect().height;
      const pxPerMs = (rowsPerS * rowHeight) / 1000;
      const gaps = [];
      let last = null;
      let start = null;
      let countedAt = null;
      let placeholderFrames = 0;
      let rowsInDom = 0;
      const deadline = performance.now() + 240000;
      const frame = (ts) => {
        if (last !== null) gaps.push(ts - last);
        last = ts;
        if (start === null) start = ts;
        if (document.querySelector('[data-testid="row-placeholder"]')) placeholderFrames++;
        if (gaps.length === 100) rowsInDom = el.querySelectorAll('[data-testid="row"], [data-testid="row-placeholder"]').length;
        const max = el.scrollHeight - el.clientHeight;
        el.scrollTop = Math.min(max, (ts - start) * pxPerMs);
        const total = grid.getAttribute("aria-rowcount");
        if (total && countedAt === null) countedAt = performance.now();
        const atEnd = total && el.scrollTop >= max - 1 && document.querySelector(`[data-testid="row"][data-index="${Number(total) - 1}"]`);
        if (atEnd || performance.now() > deadline) {
          window.__bench.scroll = {
            gaps,
            ms: ts - start,
            total: Number(total),
            clickToCounted: countedAt === null ? null : countedAt - window.__bench.t0,
            scrollToCounted: countedAt === null ? null : countedAt - window.__bench.scrollStart,
            placeholderFrames,
            rowsInDom,
            reachedEnd: !!atEnd,
          };
          return;
        }
        requestAnimationFrame(frame);
      };
      window.__bench.scrollStart = performance.now();
      requestAnimationFrame(frame);
    }, SCROLL_ROWS_PER_S);
    const scroll = await pageResult(browser, "scroll", 300000);
    await browser.pause(2000);
    const memAfter = appMemory(app);

    // Profile: the same scroll back up, every row now loaded (no IPC, no placeholders), so
    // what is left is rendering, layout and paint.
    await browser.execute((rowsPerS) => {
      const el = document.querySelector('[data-testid="file-scroll"]');
      const pxPerMs = (rowsPerS * document.querySelector('[data-testid="row"]').getBoundingClientRect().height) / 1000;
      const from = el.scrollTop;
      const gaps = [];
      let last = null;
      let start = null;
      const frame = (ts) => {
        if (last !== null) gaps.push(ts - last);
        last = ts;
        if (start === null) start = ts;
        el.scrollTop = Math.max(0, from - (ts - start) * pxPerMs);
        if (el.scrollTop <= 0) window.__bench.back = { gaps };
        else requestAnimationFrame(frame);
      };
      requestAnimationFrame(frame);
    }, SCROLL_ROWS_PER_S);
    const back = await pageResult(browser, "back", 300000);

    // Profile: the WebView alone. The rows now in view, cloned 6 000 times into a static page
    // in normal flow (no React, no IPC, no virtualiser, no transforms) laid over the list,
    // scrolled at the same rate: its frame times are what this WebView needs to scroll and
    // paint such rows, whatever the app does.
    await browser.execute((rowsPerS) => {
      const real = document.querySelector('[data-testid="file-scroll"]');
      const line = real.querySelector(".file-line");
      const r = real.getBoundingClientRect();
      const h = line.getBoundingClientRect().height;
      const n = 6000;
      const box = document.createElement("div");
      box.className = "file-scroll";
      box.style.cssText = `position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;height:${r.height}px;overflow:auto;z-index:1000;background:${getComputedStyle(document.body).backgroundColor}`;
      const canvas = document.createElement("div");
      canvas.className = "file-canvas";
      canvas.style.cssText = "position:relative;height:auto";
      for (let i = 0; i < n; i++) {
        const copy = line.cloneNode(true);
        copy.style.cssText = `position:static;transform:none;height:${h}px`;
        canvas.appendChild(copy);
      }
      box.appendChild(canvas);
      real.parentElement.appendChild(box);
      const pxPerMs = (rowsPerS * h) / 1000;
      const gaps = [];
      let last = null;
      let start = null;
      const frame = (ts) => {
        if (last !== null) gaps.push(ts - last);
        last = ts;
        if (start === null) start = ts;
        const max = box.scrollHeight - box.clientHeight;
        box.scrollTop = Math.min(max, (ts - start) * pxPerMs);
        if (box.scrollTop >= max - 1) {
          box.remove();
          window.__bench.static = { gaps, rows: n };
        } else requestAnimationFrame(frame);
      };
      // One frame for the layout of the copies, outside the measurement.
      requestAnimationFrame(() => requestAnimationFrame(frame));
    }, SCROLL_ROWS_PER_S);
    const still = await pageResult(browser, "static", 120000);
    const loadAfter = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

    // Where the growth lives: leave the folder (the UI drops its rows; Rust keeps its listing
    // cache) and give WebKit's collector time; what stays is not the rows' data.
    await (await browser.$('[data-testid="nav-back"]')).click();
    await (await browser.$('[data-testid="row"][data-name="Large folder"]')).waitForExist({ timeout: 30000 });
    await browser.pause(10000);
    const memLeft = appMemory(app);

    // Profile of a scroll frame's work, in this WebView: rows in the DOM (each re-rendered per
    // frame), and what formatting one row's date costs the way the list does it versus through
    // one reused Intl.DateTimeFormat.
    const profile = await browser.execute(() => {
      const iso = "2026-01-02T03:04:05Z";
      const opts = { dateStyle: "medium", timeStyle: "short" };
      const n = 2000;
      let t = performance.now();
      for (let i = 0; i < n; i++) new Date(iso).toLocaleString("en", opts);
      const perCall = (performance.now() - t) / n;
      const fmt = new Intl.DateTimeFormat("en", opts);
      t = performance.now();
      for (let i = 0; i < n; i++) fmt.format(new Date(iso));
      const reused = (performance.now() - t) / n;
      return { dateUs: perCall * 1000, dateReusedUs: reused * 1000 };
    });
    const backSorted = [...back.gaps].sort((a, b) => a - b);
    const backPct = (p) => backSorted[Math.min(backSorted.length - 1, Math.floor((p / 100) * backSorted.length))];
    const stillSorted = [...still.gaps].sort((a, b) => a - b);
    const stillPct = (p) => stillSorted[Math.min(stillSorted.length - 1, Math.floor((p / 100) * stillSorted.length))];
    results.profile = {
      rowsInDom: scroll.rowsInDom,
      toLocaleStringUs: round(profile.dateUs),
      reusedFormatUs: round(profile.dateReusedUs),
      loadedScrollFrames: back.gaps.length,
      loadedP50: round(backPct(50)),
      loadedP95: round(backPct(95)),
      loadedP99: round(backPct(99)),
      staticScrollFrames: still.gaps.length,
      staticP50: round(stillPct(50)),
      staticP95: round(stillPct(95)),
      staticP99: round(stillPct(99)),
    };

    const sorted = [...scroll.gaps].sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
    const interval = 1000 / 60;
    results.scroll = {
      rowsPerS: SCROLL_ROWS_PER_S,
      total: scroll.total,
      reachedEnd: scroll.reachedEnd,
      seconds: +(scroll.ms / 1000).toFixed(1),
      frames: scroll.gaps.length,
      p50: round(pct(50)),
      p95: round(pct(95)),
      p99: round(pct(99)),
      max: round(sorted[sorted.length - 1]),
      // Missed vsync intervals: a 50 ms gap at 60 Hz missed two frames.
      dropped: scroll.gaps.reduce((s, g) => s + Math.max(0, Math.round(g / interval) - 1), 0),
      over20: scroll.gaps.filter((g) => g > 20).length,
      placeholderFrames: scroll.placeholderFrames,
      scrollToCountedMs: round(scroll.scrollToCounted),
      memBeforeMiB: mib(memBefore.totalPss),
      memAfterMiB: mib(memAfter.totalPss),
      growthMiB: mib(memAfter.totalPss - memBefore.totalPss),
      webBeforeMiB: mib(memBefore.helpers.filter((h) => h.name.startsWith("WebKitWebProces")).reduce((s, h) => s + h.pss, 0)),
      webAfterMiB: mib(memAfter.helpers.filter((h) => h.name.startsWith("WebKitWebProces")).reduce((s, h) => s + h.pss, 0)),
      appBeforeMiB: mib(memBefore.appPss),
      appAfterMiB: mib(memAfter.appPss),
      leftMiB: mib(memLeft.totalPss),
      webLeftMiB: mib(memLeft.helpers.filter((h) => h.name.startsWith("WebKitWebProces")).reduce((s, h) => s + h.pss, 0)),
      appLeftMiB: mib(memLeft.appPss),
      loadBefore,
      loadAfter,
    };
    assert.equal(scroll.total, 100000, "the listing was counted");
    assert.ok(scroll.reachedEnd, "the scroll reached the last row");
    console.log(JSON.stringify(results));
  } finally {
    writeFileSync(join(artifacts, "bench-ui.json"), JSON.stringify(results, null, 2));
    await browser.deleteSession();
  }
});
