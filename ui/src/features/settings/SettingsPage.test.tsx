import { fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend } from "../../backend/fake";
import { renderWith } from "../../test/render";
import { parseLimit, SettingsPage } from "./SettingsPage";

test("every setting is saved through settings_set", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <SettingsPage />);
  await waitFor(() => expect(backend.callsOf("getSettings")).toHaveLength(1));
  await userEvent.selectOptions(screen.getByTestId("settings-parallel"), "5");
  await waitFor(() => expect(backend.settings.parallelTransfers).toBe(5));
  const up = screen.getByTestId("settings-upload-limit");
  fireEvent.change(up, { target: { value: "512" } });
  fireEvent.blur(up);
  await waitFor(() => expect(backend.settings.uploadLimitKbps).toBe(512));
  await userEvent.selectOptions(screen.getByTestId("settings-conflict"), "overwrite");
  await waitFor(() => expect(backend.settings.conflictPolicy).toBe("overwrite"));
  await userEvent.click(screen.getByTestId("settings-choose-folder"));
  await waitFor(() => expect((screen.getByTestId("settings-download-folder") as HTMLInputElement).value).toBe("/home/me/Chosen"));
  expect(backend.settings).toEqual({
    parallelTransfers: 5,
    uploadLimitKbps: 512,
    downloadLimitKbps: null,
    downloadFolder: "/home/me/Chosen",
    conflictPolicy: "overwrite",
    theme: "system",
    language: "en",
    proxy: { mode: "system" },
    accountProxies: {},
  });
});

test("a refused save shows an error and keeps the old value", async () => {
  const backend = new FakeBackend();
  vi.spyOn(backend, "setSettings").mockRejectedValue({ kind: "permissionDenied", message: "read-only" });
  renderWith(backend, <SettingsPage />);
  await waitFor(() => expect(backend.callsOf("getSettings")).toHaveLength(1));
  await userEvent.selectOptions(screen.getByTestId("settings-theme"), "dark");
  expect((await screen.findByTestId("toast")).textContent).toContain("permission");
  expect((screen.getByTestId("settings-theme") as HTMLSelectElement).value).toBe("system");
});

test("two quick changes both stick (the second save must not reuse stale settings)", async () => {
  const backend = new FakeBackend();
  const realSet = backend.setSettings.bind(backend);
  // Slow saves, so the second change happens while the first is still in flight.
  vi.spyOn(backend, "setSettings").mockImplementation(async (s) => {
    await new Promise((r) => setTimeout(r, 30));
    return realSet(s);
  });
  renderWith(backend, <SettingsPage />);
  await waitFor(() => expect(backend.callsOf("getSettings")).toHaveLength(1));
  fireEvent.change(screen.getByTestId("settings-language"), { target: { value: "zh-CN" } });
  fireEvent.change(screen.getByTestId("settings-theme"), { target: { value: "dark" } });
  await waitFor(() => expect(backend.settings.theme).toBe("dark"));
  await waitFor(() => expect(backend.settings.language).toBe("zh-CN"));
  await waitFor(() => expect(document.documentElement.dataset.theme).toBe("dark"));
  expect(document.documentElement.lang).toBe("zh-CN");
});

test("parseLimit: empty, zero and junk mean unlimited", () => {
  expect(parseLimit("")).toBeNull();
  expect(parseLimit("0")).toBeNull();
  expect(parseLimit("abc")).toBeNull();
  expect(parseLimit("250.7")).toBe(250);
});

test("the login autostart box reads and writes the autostart entry, in both languages", async () => {
  const backend = new FakeBackend();
  const { unmount } = renderWith(backend, <SettingsPage />);
  const box = (await screen.findByTestId("settings-autostart")) as HTMLInputElement;
  await waitFor(() => expect(box.disabled).toBe(false));
  expect(box.checked).toBe(false);
  expect(screen.getByText("Start Cirrus when I log in")).toBeTruthy();
  await userEvent.click(box);
  await waitFor(() => expect(backend.autostart).toBe(true));
  expect(box.checked).toBe(true);
  expect(backend.callsOf("setAutostart")).toEqual([[true]]);
  unmount();

  // A fresh page shows what the system says, in Chinese too.
  renderWith(backend, <SettingsPage />, "zh-CN");
  const again = (await screen.findByTestId("settings-autostart")) as HTMLInputElement;
  await waitFor(() => expect(again.checked).toBe(true));
  expect(screen.getByText("登录时启动 Cirrus")).toBeTruthy();
});

test("a refused autostart change shows an error and leaves the box as it was", async () => {
  const backend = new FakeBackend();
  vi.spyOn(backend, "setAutostart").mockRejectedValue({ kind: "io", message: "Cannot change ~/.config/autostart/cirrus.desktop" });
  renderWith(backend, <SettingsPage />);
  const box = (await screen.findByTestId("settings-autostart")) as HTMLInputElement;
  await waitFor(() => expect(box.disabled).toBe(false));
  await userEvent.click(box);
  expect(await screen.findByTestId("toast")).toBeTruthy();
  expect(box.checked).toBe(false);
});
