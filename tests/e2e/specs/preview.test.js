// Previews in the real app: an image uploaded to the in-app sandbox is shown through the
// `cirrus-media` scheme (it really decodes: the CSP and the scheme let it through), a text
// file's preview follows with the arrow key, and both open and close with the keyboard.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freshDataDir, launchApp, pressUntil, screenshot } from "./helpers.js";

const IMAGE = "Lake at dusk.png";
const PDF = "Zine.pdf";

/** A one-page PDF with a filled rectangle, its cross-reference table computed here. */
function tinyPdf() {
  const content = "0.12 0.23 0.54 rg 40 160 320 100 re f";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 400 300] /Contents 4 0 R >>",
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
  ];
  let out = "%PDF-1.4\n";
  const offsets = objects.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return out;
}

describe("previews", () => {
  let browser;
  const byTestId = (id) => browser.$(`[data-testid="${id}"]`);
  const row = (name) => browser.$(`[data-testid="row"][data-name="${name}"]`);
  const focusedRow = () => browser.execute(() => document.querySelector(".row.focused")?.getAttribute("data-name") ?? null);
  const previewName = async () => (await (await byTestId("preview-name")).getText()).trim();

  before(async () => {
    // A picture worth looking at, made here (ImageMagick is what the screenshots use too).
    const drop = mkdtempSync(join(tmpdir(), "cirrus-e2e-preview-"));
    execFileSync("convert", ["-size", "960x600", "gradient:#1e3a8a-#f59e0b", "-fill", "#0f172a", "-draw", "polygon 0,600 220,380 420,520 640,340 960,560 960,600", "-fill", "#fde68a", "-draw", "circle 700,220 700,270", join(drop, IMAGE)], { timeout: 20000 });
    writeFileSync(join(drop, PDF), tinyPdf());
    browser = await launchApp({ env: { CIRRUS_DATA_DIR: freshDataDir(), CIRRUS_E2E_DROP_DIR: drop } });
  });
  after(async () => {
    await browser?.deleteSession();
  });

  test("upload an image to the in-app sandbox", async () => {
    await (await byTestId("sandbox-button")).waitForExist({ timeout: 20000 });
    await (await byTestId("sandbox-button")).click();
    await (await row("Welcome.txt")).waitForExist({ timeout: 20000 });
    await browser.execute((event) => window.__TAURI_INTERNALS__.invoke("plugin:event|emit", { event, payload: null }), "cirrus-e2e-drop");
    await (await row(IMAGE)).waitForExist({ timeout: 30000 });
    await (await row(PDF)).waitForExist({ timeout: 30000 });
    await browser.waitUntil(async () => !(await (await row(IMAGE)).getAttribute("class")).includes("uploading"), { timeout: 30000, timeoutMsg: "the upload did not finish" });
  });

  test("space previews the image, which really loads; Escape closes it", async () => {
    await (await row(IMAGE)).click();
    await browser.keys(" ");
    const img = await byTestId("preview-image");
    await img.waitForExist({ timeout: 10000 });
    assert.match(await img.getAttribute("src"), /^cirrus-media:\/\/localhost\/[0-9a-f]{32}$/);
    await browser.waitUntil(() => browser.execute(() => document.querySelector('[data-testid="preview-image"]')?.naturalWidth ?? 0).then((w) => w === 960), {
      timeout: 15000,
      timeoutMsg: "the image did not decode through the cirrus-media scheme",
    });
    assert.equal(await previewName(), IMAGE);
    await screenshot(browser, "preview-image");
    await browser.keys("Escape");
    await (await byTestId("preview")).waitForExist({ reverse: true, timeout: 5000 });
    assert.equal(await focusedRow(), IMAGE, "the list keeps its place");
  });

  test("the arrow key steps to the next file: a text preview", async () => {
    await browser.keys(" ");
    await (await byTestId("preview-image")).waitForExist({ timeout: 10000 });
    await browser.keys("ArrowRight");
    const text = await byTestId("preview-text");
    await text.waitForExist({ timeout: 10000 });
    assert.equal(await previewName(), "Welcome.txt");
    assert.match(await text.getText(), /Welcome to the Cirrus sandbox\./);
    await browser.keys("ArrowLeft");
    await (await byTestId("preview-image")).waitForExist({ timeout: 10000 });
    await browser.keys(" ");
    await (await byTestId("preview")).waitForExist({ reverse: true, timeout: 5000 });
  });

  test("a text file opens with space and closes with space", async () => {
    await pressUntil(browser, "ArrowDown", async () => (await focusedRow()) === "Welcome.txt", 20, "row Welcome.txt");
    await browser.keys(" ");
    await (await byTestId("preview-text")).waitForExist({ timeout: 10000 });
    assert.equal(await previewName(), "Welcome.txt");
    await browser.keys(" ");
    await (await byTestId("preview")).waitForExist({ reverse: true, timeout: 5000 });
  });

  test("a PDF is drawn by the bundled pdf.js under the app's CSP", async () => {
    await (await row(PDF)).click();
    await browser.keys(" ");
    await (await byTestId("preview-pdf")).waitForExist({ timeout: 10000 });
    await browser.waitUntil(() => browser.execute(() => document.querySelector(".preview-pdf-page")?.width ?? 0).then((w) => w > 0), {
      timeout: 20000,
      timeoutMsg: "no PDF page was drawn",
    });
    // The page really has the rectangle: a pixel in its middle is the fill colour, not white.
    const pixel = await browser.execute(() => {
      const c = document.querySelector(".preview-pdf-page");
      const [r, g, b] = c.getContext("2d").getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.3), 1, 1).data;
      return [r, g, b];
    });
    assert.ok(pixel[2] > pixel[0] && pixel[0] < 100, `pixel ${pixel}`);
    assert.equal(await browser.execute(() => !!document.querySelector(".preview-pdf [role=alert]")), false);
    await browser.keys("Escape");
    await (await byTestId("preview")).waitForExist({ reverse: true, timeout: 5000 });
  });

  test("a video streams through ranged requests: it plays from a point it seeks to", async () => {
    // The demo drive's 3 s clip (VP8 in WebM: GStreamer's vpx and matroska plugins, from
    // gstreamer1.0-plugins-good, which `make run` installs).
    await (await row("Showcase")).doubleClick();
    const clip = await row("Bouncing ball.webm");
    await clip.waitForExist({ timeout: 20000 });
    await clip.click();
    await browser.keys(" ");
    const video = await byTestId("preview-video");
    await video.waitForExist({ timeout: 10000 });
    // Over loopback HTTP: WebKitGTK's media player cannot read an app scheme (media_loopback.rs).
    assert.match(await video.getAttribute("src"), /^http:\/\/127\.0\.0\.1:\d+\/m\/[0-9a-f]{32}$/);
    await browser.waitUntil(() => browser.execute(() => document.querySelector('[data-testid="preview-video"]')?.readyState ?? 0).then((r) => r >= 1), {
      timeout: 20000,
      timeoutMsg: "the video's metadata never loaded",
    });
    const duration = await browser.execute(() => document.querySelector('[data-testid="preview-video"]').duration);
    assert.ok(duration > 2.5 && duration < 3.5, `duration ${duration}`);
    // Seek past the middle: the scheme must answer the Range request WebKit sends for it.
    await browser.execute(() => {
      const v = document.querySelector('[data-testid="preview-video"]');
      window.__cirrusSeeked = false;
      v.addEventListener("seeked", () => (window.__cirrusSeeked = true), { once: true });
      v.currentTime = 2.2;
    });
    await browser.waitUntil(() => browser.execute(() => window.__cirrusSeeked === true), { timeout: 15000, timeoutMsg: "the seek never completed" });
    const state = await browser.execute(() => {
      const v = document.querySelector('[data-testid="preview-video"]');
      return { t: v.currentTime, ready: v.readyState, error: v.error?.code ?? 0 };
    });
    assert.equal(state.error, 0, "no media error");
    assert.ok(Math.abs(state.t - 2.2) < 0.3, `position after the seek: ${state.t}`);
    await browser.waitUntil(() => browser.execute(() => document.querySelector('[data-testid="preview-video"]').readyState >= 2), {
      timeout: 15000,
      timeoutMsg: "no frame at the seek point",
    });
    await browser.keys("Escape");
    await (await byTestId("preview")).waitForExist({ reverse: true, timeout: 5000 });
  });
});
