import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { NetworkCard, systemProxyLine } from "./NetworkCard";

test("a manual proxy is saved in the settings and its password only through the credential command", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <NetworkCard />);
  await waitFor(() => expect(backend.callsOf("getSettings")).toHaveLength(1));
  await userEvent.selectOptions(screen.getByTestId("proxy-app-mode"), "manual");
  await userEvent.selectOptions(screen.getByTestId("proxy-app-protocol"), "socks5");
  fireEvent.change(screen.getByTestId("proxy-app-host"), { target: { value: " proxy.corp " } });
  fireEvent.change(screen.getByTestId("proxy-app-port"), { target: { value: "1080" } });
  fireEvent.change(screen.getByTestId("proxy-app-username"), { target: { value: "alice" } });
  fireEvent.change(screen.getByTestId("proxy-app-password"), { target: { value: "s3cret" } });
  await userEvent.click(screen.getByTestId("proxy-app-save"));
  await waitFor(() =>
    expect(backend.settings.proxy).toEqual({ mode: "manual", protocol: "socks5", host: "proxy.corp", port: 1080, username: "alice" }),
  );
  await waitFor(() => expect(backend.proxyPasswords.get("app")).toBe("s3cret"));
  expect(JSON.stringify(backend.settings)).not.toContain("s3cret");
  expect((screen.getByTestId("proxy-app-password") as HTMLInputElement).value).toBe("");
  expect(await screen.findByText("Proxy saved")).toBeTruthy();
});

test("a bad port is refused before anything is saved", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <NetworkCard />);
  await waitFor(() => expect(backend.callsOf("getSettings")).toHaveLength(1));
  await userEvent.selectOptions(screen.getByTestId("proxy-app-mode"), "manual");
  fireEvent.change(screen.getByTestId("proxy-app-host"), { target: { value: "proxy.corp" } });
  fireEvent.change(screen.getByTestId("proxy-app-port"), { target: { value: "70000" } });
  await userEvent.click(screen.getByTestId("proxy-app-save"));
  expect((await screen.findByTestId("toast")).textContent).toContain("65535");
  expect(backend.settings.proxy).toEqual({ mode: "system" });
  expect(backend.callsOf("setSettings")).toHaveLength(0);
});

test("an account can override the app proxy, and going back to the app setting removes the override", async () => {
  const backend = new FakeBackend();
  const { account } = (await backend.addAccount("https://d.example", "a@b.c", "pw", false)) as { account: { id: string } };
  renderWith(backend, <NetworkCard />);
  const mode = await screen.findByTestId(`proxy-account-${account.id}-mode`);
  await userEvent.selectOptions(mode, "none");
  await waitFor(() => expect(backend.settings.accountProxies).toEqual({ [account.id]: { mode: "none" } }));
  await userEvent.selectOptions(mode, "app");
  await waitFor(() => expect(backend.settings.accountProxies).toEqual({}));
  expect(backend.settings.proxy).toEqual({ mode: "system" });
});

test("the system proxy is described, in both languages", async () => {
  const backend = new FakeBackend();
  backend.systemProxyInfo = { source: "gnome", http: "http://web:3128", https: "http://web:3129", all: null, noProxy: null, note: null };
  const { unmount } = renderWith(backend, <NetworkCard />);
  expect((await screen.findByText(/From the GNOME settings/)).textContent).toContain("http://web:3129");
  unmount();
  renderWith(backend, <NetworkCard />, "zh-CN");
  expect((await screen.findByText(/来自 GNOME 设置/)).textContent).toContain("http://web:3129");
  expect(systemProxyLine(null).key).toBe("network.system.none");
  expect(systemProxyLine({ source: "environment", http: null, https: null, all: "socks5h://s:1080", noProxy: null, note: null })).toEqual({
    key: "network.system.env",
    proxy: "socks5h://s:1080",
  });
});
