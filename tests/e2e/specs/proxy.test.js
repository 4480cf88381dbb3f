// The app really goes through the proxy it is configured with: a forward proxy written here
// (plain-http forwarding and CONNECT tunnels) counts the requests while the app signs in to
// its local sandbox and lists the demo drive. Settings → Network then shows the manual proxy.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { freshDataDir, launchApp, screenshot } from "./helpers.js";

const byTestId = (browser, id) => browser.$(`[data-testid="${id}"]`);

function startProxy() {
  const seen = { requests: 0, tunnels: 0 };
  const server = http.createServer((req, res) => {
    seen.requests += 1;
    let target;
    try {
      target = new URL(req.url);
    } catch {
      res.writeHead(400).end();
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    delete headers["proxy-connection"];
    const up = http.request(
      { host: target.hostname, port: target.port || 80, path: target.pathname + target.search, method: req.method, headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on("error", () => res.headersSent || res.writeHead(502).end());
    req.pipe(up);
  });
  server.on("connect", (req, sock, head) => {
    seen.tunnels += 1;
    const [host, port] = req.url.split(":");
    const up = net.connect(Number(port || 443), host, () => {
      sock.write("HTTP/1.1 200 Connection established\r\n\r\n");
      up.write(head);
      up.pipe(sock);
      sock.pipe(up);
    });
    up.on("error", () => sock.destroy());
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, seen, port: server.address().port })));
}

test("the app's requests go through the manual proxy of Settings → Network", async () => {
  const proxy = await startProxy();
  const data = freshDataDir();
  writeFileSync(
    join(data, "settings.json"),
    JSON.stringify({ proxy: { mode: "manual", protocol: "http", host: "127.0.0.1", port: proxy.port } }),
  );
  const browser = await launchApp({ env: { CIRRUS_DATA_DIR: data } });
  try {
    const btn = await byTestId(browser, "sandbox-button");
    await btn.waitForExist({ timeout: 20000 });
    await btn.click();
    const row = await browser.$('[data-testid="row"][data-name="Welcome.txt"]');
    await row.waitForExist({ timeout: 30000 });
    const seen = proxy.seen.requests + proxy.seen.tunnels;
    assert.ok(seen >= 2, `sign-in and listing went through the proxy (${seen} requests)`);

    await (await byTestId(browser, "nav-settings")).click();
    const mode = await byTestId(browser, "proxy-app-mode");
    await mode.waitForExist({ timeout: 10000 });
    assert.equal(await mode.getValue(), "manual");
    assert.equal(await (await byTestId(browser, "proxy-app-port")).getValue(), String(proxy.port));
    await screenshot(browser, "proxy-01-settings-network");
  } finally {
    await browser.deleteSession();
    proxy.server.close();
  }
});
