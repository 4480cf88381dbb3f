import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { tauriBackend } from "./api";
import type { TransferEvent } from "./types";

afterEach(() => clearMocks());

/** Records every invoke and answers with `answer(cmd)`. */
function record(answer: (cmd: string, args: Record<string, unknown>) => unknown = () => null) {
  const calls: [string, Record<string, unknown>][] = [];
  mockIPC((cmd, args) => {
    calls.push([cmd, args as Record<string, unknown>]);
    return answer(cmd, args as Record<string, unknown>);
  });
  return calls;
}

test("every method invokes the agreed command name with camelCase args", async () => {
  const calls = record();
  const b = tauriBackend;
  await b.listAccounts();
  await b.addAccount("https://d.example", "a@b.c", "pw", true);
  await b.addAccount("", "client-1", "secret-1", true, "pan123");
  await b.submit2fa("p1", "123456");
  await b.switchAccount("a1");
  await b.renameAccount("a1", "Home");
  await b.removeAccount("a1");
  await b.startSandbox();
  await b.list("a1", "cloudreve://my", "size", "desc", 400, 200);
  await b.search("a1", "cloudreve://my", "cat", 200, 200);
  await b.listTrash("a1", 0, 200);
  await b.capacity("a1");
  await b.fileInfo("a1", "cloudreve://my/x");
  await b.mkdir("a1", "cloudreve://my", "New");
  await b.rename("a1", "cloudreve://my/x", "y");
  await b.move("a1", ["u1"], "cloudreve://my/d");
  await b.copy("a1", ["u1"], "cloudreve://my/d");
  await b.remove("a1", ["u1"], true);
  await b.restore("a1", ["u1"]);
  await b.pickUpload("a1", "cloudreve://my", true);
  await b.planDrop("a1", "cloudreve://my");
  await b.startUpload("plan-1", "skip", [{ uri: "u2", conflict: "overwrite" }]);
  await b.download("a1", ["u1"], false);
  await b.listTransfers();
  await b.pauseTransfers(["t1"]);
  await b.resumeTransfers([]);
  await b.cancelTransfers(["t1"]);
  await b.retryTransfers(["t1"]);
  await b.clearFinishedTransfers();
  await b.createShare("a1", "u1", { password: "pw", expireSeconds: 3600, downloads: 5 });
  await b.listShares("a1");
  await b.deleteShare("a1", "s1");
  await b.copyToClipboard("link");
  await b.listTasks("a1", "downloading");
  await b.createArchive("a1", ["u1"], "cloudreve://my", "a.zip");
  await b.extract("a1", "u1", "cloudreve://my");
  await b.remoteDownload("a1", ["https://x/y"], "cloudreve://my");
  await b.cancelTask("a1", "t1");
  await b.getSettings();
  const settings = {
    parallelTransfers: 2,
    uploadLimitKbps: null,
    downloadLimitKbps: 100,
    downloadFolder: "/d",
    conflictPolicy: "ask" as const,
    theme: "dark" as const,
    language: "en" as const,
    proxy: { mode: "manual" as const, protocol: "socks5" as const, host: "p.lan", port: 1080, username: "me" },
    accountProxies: { a1: { mode: "none" as const } },
  };
  await b.setSettings(settings);
  await b.pickDownloadFolder();
  await b.systemProxy();
  await b.setProxyPassword("a1", "pw");
  await b.hasProxyPassword(null);

  expect(calls).toEqual([
    ["accounts_list", {}],
    ["account_add", { serverUrl: "https://d.example", email: "a@b.c", password: "pw", remember: true, provider: null }],
    ["account_add", { serverUrl: "", email: "client-1", password: "secret-1", remember: true, provider: "pan123" }],
    ["account_2fa", { pendingId: "p1", code: "123456" }],
    ["account_switch", { accountId: "a1" }],
    ["account_rename", { accountId: "a1", label: "Home" }],
    ["account_remove", { accountId: "a1" }],
    ["sandbox_start", {}],
    ["browse_list", { accountId: "a1", uri: "cloudreve://my", orderBy: "size", direction: "desc", offset: 400, limit: 200 }],
    ["browse_search", { accountId: "a1", uri: "cloudreve://my", query: "cat", offset: 200, limit: 200, filters: null }],
    ["browse_trash", { accountId: "a1", offset: 0, limit: 200 }],
    ["capacity", { accountId: "a1" }],
    ["file_info", { accountId: "a1", uri: "cloudreve://my/x" }],
    ["files_mkdir", { accountId: "a1", parentUri: "cloudreve://my", name: "New" }],
    ["files_rename", { accountId: "a1", uri: "cloudreve://my/x", newName: "y" }],
    ["files_move", { accountId: "a1", uris: ["u1"], dstUri: "cloudreve://my/d" }],
    ["files_copy", { accountId: "a1", uris: ["u1"], dstUri: "cloudreve://my/d" }],
    ["files_delete", { accountId: "a1", uris: ["u1"], permanent: true }],
    ["files_restore", { accountId: "a1", uris: ["u1"] }],
    ["transfers_pick_upload", { accountId: "a1", parentUri: "cloudreve://my", folders: true }],
    ["transfers_plan_drop", { accountId: "a1", parentUri: "cloudreve://my" }],
    ["transfers_start_upload", { planId: "plan-1", conflict: "skip", decisions: [{ uri: "u2", conflict: "overwrite" }] }],
    ["transfers_download", { accountId: "a1", uris: ["u1"], toDefaultFolder: false }],
    ["transfers_list", {}],
    ["transfers_pause", { ids: ["t1"] }],
    ["transfers_resume", { ids: [] }],
    ["transfers_cancel", { ids: ["t1"] }],
    ["transfers_retry", { ids: ["t1"] }],
    ["transfers_clear_finished", {}],
    ["shares_create", { accountId: "a1", uri: "u1", password: "pw", expireSeconds: 3600, downloads: 5 }],
    ["shares_list", { accountId: "a1" }],
    ["shares_delete", { accountId: "a1", id: "s1" }],
    ["clipboard_copy", { text: "link" }],
    ["tasks_list", { accountId: "a1", category: "downloading" }],
    ["tasks_archive", { accountId: "a1", uris: ["u1"], dstFolderUri: "cloudreve://my", name: "a.zip" }],
    ["tasks_extract", { accountId: "a1", uri: "u1", dstUri: "cloudreve://my" }],
    ["tasks_remote_download", { accountId: "a1", urls: ["https://x/y"], dstUri: "cloudreve://my" }],
    ["tasks_cancel", { accountId: "a1", id: "t1" }],
    ["settings_get", {}],
    ["settings_set", { settings }],
    ["settings_pick_download_folder", {}],
    ["proxy_system_info", {}],
    ["proxy_password_set", { accountId: "a1", password: "pw" }],
    ["proxy_password_status", { accountId: null }],
  ]);
});

test("results come back unchanged and errors reject with {kind, message}", async () => {
  mockIPC((cmd) => {
    if (cmd === "capacity") return { used: 1, total: 2 };
    throw { kind: "wrongPassword", message: "bad" };
  });
  await expect(tauriBackend.capacity("a1")).resolves.toEqual({ used: 1, total: 2 });
  await expect(tauriBackend.addAccount("https://x", "e", "p", false)).rejects.toEqual({ kind: "wrongPassword", message: "bad" });
});

test("transfer progress arrives through the Channel passed as onEvent", async () => {
  const received: TransferEvent[] = [];
  mockIPC((cmd, args) => {
    if (cmd !== "transfers_subscribe") return null;
    // Under mockIPC the channel arrives as the live object; drive it like Rust would.
    const channel = (args as { onEvent: { onmessage: (e: TransferEvent) => void } }).onEvent;
    channel.onmessage({ kind: "removed", id: "t9" });
    return null;
  });
  await tauriBackend.subscribeTransfers((e) => received.push(e));
  expect(received).toEqual([{ kind: "removed", id: "t9" }]);
});

test("drop-hover and drop events reach the handlers", async () => {
  mockIPC(() => null, { shouldMockEvents: true });
  const hovers: boolean[] = [];
  const drops: unknown[] = [];
  const offHover = await tauriBackend.onDropHover((h) => hovers.push(h));
  const offDrop = await tauriBackend.onDrop((e) => drops.push(e));
  await emit("drop-hover", { hovering: true });
  await emit("drop", { accountId: "a1" });
  offHover();
  offDrop();
  await emit("drop-hover", { hovering: false });
  expect(hovers).toEqual([true]);
  expect(drops).toEqual([{ accountId: "a1" }]);
});

test("versions and filtered searches invoke their commands with camelCase args", async () => {
  const calls = record();
  const b = tauriBackend;
  const filters = { kind: "file" as const, minSize: 1, maxSize: null, modifiedAfter: "2026-01-01T00:00:00Z", modifiedBefore: null, category: "image" as const };
  await b.search("a1", "cloudreve://my", "cat", 0, 100, filters);
  await b.listVersions("a1", "u1");
  await b.downloadVersion("a1", "u1", "v1", true);
  await b.setCurrentVersion("a1", "u1", "v2");
  await b.deleteVersion("a1", "u1", "v3");
  expect(calls).toEqual([
    ["browse_search", { accountId: "a1", uri: "cloudreve://my", query: "cat", offset: 0, limit: 100, filters }],
    ["versions_list", { accountId: "a1", uri: "u1" }],
    ["versions_download", { accountId: "a1", uri: "u1", version: "v1", toDefaultFolder: true }],
    ["versions_set_current", { accountId: "a1", uri: "u1", version: "v2" }],
    ["versions_delete", { accountId: "a1", uri: "u1", version: "v3" }],
  ]);
});
