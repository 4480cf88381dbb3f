import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { App } from "./App";
import { FakeBackend, fakeService, V3_CAPABILITIES } from "./backend/fake";

test("signed out: shows the sign-in form and the sandbox button", async () => {
  render(<App backend={new FakeBackend({ signedIn: false })} />);
  expect(await screen.findByTestId("signin-form")).toBeTruthy();
  expect(screen.getByTestId("sandbox-button").textContent).toBe("Try the local sandbox");
});

test("sandbox button signs in and shows the root folder", async () => {
  const backend = new FakeBackend({ signedIn: false });
  render(<App backend={backend} />);
  await userEvent.click(await screen.findByTestId("sandbox-button"));
  const rows = await screen.findAllByTestId("row");
  expect(rows.map((r) => r.dataset.name)).toEqual(["Documents", "Photos", "notes.txt", "report.pdf"]);
  expect(backend.callsOf("startSandbox")).toHaveLength(1);
  expect(backend.callsOf("list")[0]).toEqual(["acc-2", "cloudreve://my", "name", "asc", 0, 200]);
});

test("switching language to 简体中文 translates the shell", async () => {
  const backend = new FakeBackend();
  render(<App backend={backend} />);
  await userEvent.click(await screen.findByTestId("nav-settings"));
  await userEvent.selectOptions(screen.getByTestId("settings-language"), "zh-CN");
  await waitFor(() => expect(screen.getByTestId("nav-files").textContent).toBe("我的文件"));
  expect(backend.settings.language).toBe("zh-CN");
  expect(document.documentElement.lang).toBe("zh-CN");
});

test("theme setting is applied to <html data-theme>", async () => {
  const backend = new FakeBackend();
  render(<App backend={backend} />);
  await waitFor(() => expect(document.documentElement.dataset.theme).toBe("system"));
  await userEvent.click(await screen.findByTestId("nav-settings"));
  await userEvent.selectOptions(screen.getByTestId("settings-theme"), "dark");
  await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
  expect(backend.settings.theme).toBe("dark");
});

test("account switcher lists accounts, switches, and signs out keeping the account", async () => {
  const backend = new FakeBackend();
  backend.accounts.push({ id: "acc-b", label: "Work", serverUrl: "https://work.example.com", email: "w@example.com", nickname: "W", active: false, signedIn: true, encrypted: true, sandbox: false, pendingTransfers: 0, ...fakeService("cloudreve_v3", V3_CAPABILITIES) });
  render(<App backend={backend} />);
  await userEvent.click(await screen.findByTestId("account-switcher"));
  const items = within(screen.getByTestId("account-menu")).getAllByTestId("account-item");
  expect(items).toHaveLength(2);
  // Each account says which service it is on.
  expect(within(screen.getByTestId("account-menu")).getAllByTestId("account-item-provider").map((p) => p.textContent)).toEqual(["Cloudreve 4", "Cloudreve 3"]);
  await userEvent.click(items[1]);
  await waitFor(() => expect(screen.getByTestId("account-switcher").textContent).toContain("Work"));
  expect(backend.callsOf("switchAccount")).toEqual([["acc-b"]]);

  await userEvent.click(screen.getByTestId("account-switcher"));
  await userEvent.click(screen.getByTestId("sign-out"));
  expect(backend.callsOf("signOut")).toEqual([["acc-b"]]);
  expect(backend.callsOf("removeAccount")).toEqual([]);
  // The signed-out account stays; its sign-in form is prefilled for one-step sign-in again.
  expect(await screen.findByTestId("signin-signed-out")).toBeTruthy();
  expect(backend.accounts.map((a) => a.id)).toEqual(["acc-1", "acc-b"]);
  expect((screen.getByTestId("signin-server") as HTMLInputElement).value).toBe("https://work.example.com");
  expect((screen.getByTestId("signin-email") as HTMLInputElement).value).toBe("w@example.com");
  await userEvent.type(screen.getByTestId("signin-password"), "pw");
  await userEvent.click(screen.getByTestId("signin-submit"));
  await waitFor(() => expect(screen.getByTestId("account-switcher").textContent).toContain("Work"));
  expect(backend.accounts).toHaveLength(2);
});

test("removing an account asks first and says what happens to its transfers", async () => {
  const backend = new FakeBackend();
  backend.accounts[0].pendingTransfers = 3;
  render(<App backend={backend} />);
  await userEvent.click(await screen.findByTestId("account-switcher"));
  await userEvent.click(screen.getByTestId("account-remove"));
  const dialog = await screen.findByTestId("confirm-dialog");
  expect(dialog.textContent).toContain("3 unfinished transfers will be cancelled");
  expect(dialog.textContent).toContain("Files on the server are not touched");
  expect(backend.callsOf("removeAccount")).toEqual([]);
  await userEvent.click(screen.getByTestId("confirm-ok"));
  await waitFor(() => expect(backend.callsOf("removeAccount")).toEqual([["acc-1"]]));
  expect(await screen.findByTestId("signin-form")).toBeTruthy();
  expect(screen.queryByTestId("signin-signed-out")).toBeNull();
});

test("the sandbox account starts its sandbox before any file is listed", async () => {
  const backend = new FakeBackend({ signedIn: false });
  await backend.startSandbox();
  backend.calls = [];
  render(<App backend={backend} />);
  await screen.findAllByTestId("row");
  const order = backend.calls.map((c) => c.method).filter((m) => m === "startSandbox" || m === "list");
  expect(order[0]).toBe("startSandbox");
  expect(screen.queryByRole("alert")).toBeNull();
});

test("the secret-store fallback is explained once and stays visible in Settings", async () => {
  const backend = new FakeBackend({ secretFallback: "No usable OS credential store (no D-Bus)." });
  const { unmount } = render(<App backend={backend} />);
  const notice = await screen.findByTestId("secrets-notice");
  expect(notice.textContent).toContain("password store");
  expect(notice.textContent).toContain("GNOME Keyring");
  expect(notice.textContent).toContain("no D-Bus");
  await userEvent.click(screen.getByTestId("secrets-notice-dismiss"));
  expect(screen.queryByTestId("secrets-notice")).toBeNull();
  await userEvent.click(screen.getByTestId("nav-settings"));
  const card = await screen.findByTestId("settings-secrets");
  expect(card.dataset.backend).toBe("file");
  expect(card.textContent).toContain("no D-Bus");
  unmount();
  render(<App backend={backend} />);
  await screen.findAllByTestId("row");
  expect(screen.queryByTestId("secrets-notice")).toBeNull();
});

test("the file browser keeps its folder across page switches and ignores keys while hidden", async () => {
  const backend = new FakeBackend();
  render(<App backend={backend} />);
  const docs = (await screen.findAllByTestId("row")).find((r) => r.dataset.name === "Documents")!;
  await userEvent.dblClick(docs);
  await waitFor(() => expect(screen.getAllByTestId("crumb")).toHaveLength(2));
  await userEvent.click(screen.getByTestId("nav-transfers"));
  expect(screen.getByTestId("transfers-panel")).toBeTruthy();
  await userEvent.keyboard("{Control>}n{/Control}");
  expect(screen.queryByTestId("prompt-dialog")).toBeNull();
  await userEvent.click(screen.getByTestId("nav-files"));
  expect(screen.getAllByTestId("crumb").map((c) => c.textContent)).toEqual(["My files", "Documents"]);
});
