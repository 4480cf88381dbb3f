import { act, fireEvent, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { FakeBackend, FAKE_ROOT } from "../../backend/fake";
import type { Entry } from "../../backend";
import { renderWith } from "../../test/render";
import { Browser } from "../browser/Browser";
import { OpenWithPrompt } from "./OpenWithPrompt";

const T0 = "2025-01-02T03:04:05Z";
const f = (name: string, size = 100, kind: Entry["kind"] = "file"): Entry => ({
  uri: `${FAKE_ROOT}/${encodeURIComponent(name)}`,
  name,
  kind,
  size,
  createdAt: T0,
  updatedAt: T0,
  uploading: false,
});
const row = (name: string) => screen.getAllByTestId("row").find((r) => r.dataset.name === name)!;

async function setup(extra: Entry[] = []) {
  const backend = new FakeBackend();
  backend.folders.set(FAKE_ROOT, [
    f("Documents", 0, "folder"),
    f("a-photo.jpg"),
    f("b-notes.txt"),
    f("c-readme.md"),
    f("d-song.mp3"),
    f("e-archive.zip"),
    ...extra,
  ]);
  renderWith(backend, <Browser accountId="acc-1" mode="files" />);
  await screen.findAllByTestId("row");
  return backend;
}

test("double-click previews an image; Escape closes; space reopens and closes", async () => {
  const backend = await setup();
  fireEvent.doubleClick(row("a-photo.jpg"));
  const img = await screen.findByTestId("preview-image");
  expect(img.getAttribute("src")).toMatch(/^cirrus-media:\/\/localhost\/preview-\d+$/);
  expect(screen.getByTestId("preview-name").textContent).toBe("a-photo.jpg");
  expect(backend.callsOf("previewOpen")).toEqual([["acc-1", `${FAKE_ROOT}/a-photo.jpg`]]);
  // Opening a file no longer downloads it.
  expect(backend.callsOf("download")).toEqual([]);
  fireEvent.keyDown(document.body, { key: "Escape" });
  await waitFor(() => expect(screen.queryByTestId("preview")).toBeNull());
  // The row stays selected: space previews it again, and closes it.
  fireEvent.keyDown(document.body, { key: " " });
  await screen.findByTestId("preview-image");
  fireEvent.keyDown(document.body, { key: " " });
  await waitFor(() => expect(screen.queryByTestId("preview")).toBeNull());
});

test("arrow keys step through the folder's files, skipping folders, without moving the list behind", async () => {
  await setup();
  fireEvent.doubleClick(row("a-photo.jpg"));
  await screen.findByTestId("preview-image");
  fireEvent.keyDown(document.body, { key: "ArrowRight" });
  expect((await screen.findByTestId("preview-text")).textContent).toContain("Contents of b-notes.txt");
  fireEvent.keyDown(document.body, { key: "ArrowDown" });
  await screen.findByTestId("preview-markdown");
  fireEvent.keyDown(document.body, { key: "ArrowRight" });
  await screen.findByTestId("preview-audio");
  fireEvent.keyDown(document.body, { key: "ArrowRight" });
  await screen.findByTestId("preview-none");
  // The last file: stays.
  fireEvent.keyDown(document.body, { key: "ArrowRight" });
  expect(screen.getByTestId("preview-name").textContent).toBe("e-archive.zip");
  // Back to the first file; the folder before it is skipped.
  for (let i = 0; i < 5; i++) fireEvent.keyDown(document.body, { key: "ArrowLeft" });
  await screen.findByTestId("preview-image");
  expect(screen.getByTestId("preview-name").textContent).toBe("a-photo.jpg");
  // The list's selection followed the preview.
  fireEvent.keyDown(document.body, { key: "Escape" });
  await waitFor(() => expect(row("a-photo.jpg").getAttribute("aria-selected")).toBe("true"));
});

test("Markdown renders without raw HTML and its links do not navigate", async () => {
  const backend = await setup();
  backend.previewTexts.set(
    `${FAKE_ROOT}/c-readme.md`,
    "# Title\n\n<script>alert(1)</script><b>bold html</b>\n\n[site](https://evil.example) ![pic](https://evil.example/p.png)",
  );
  fireEvent.doubleClick(row("c-readme.md"));
  const md = await screen.findByTestId("preview-markdown");
  expect(md.querySelector("h1")?.textContent).toBe("Title");
  expect(md.querySelector("script, b, a, img")).toBeNull();
  expect(md.textContent).not.toContain("bold html");
  expect(md.querySelector(".md-link")?.getAttribute("title")).toBe("https://evil.example");
  expect(md.textContent).toContain("[pic]");
});

test("a long text says it is cut", async () => {
  const backend = await setup();
  backend.previewTexts.set(`${FAKE_ROOT}/b-notes.txt`, "x".repeat((1 << 20) + 10));
  fireEvent.doubleClick(row("b-notes.txt"));
  expect((await screen.findByTestId("preview-truncated")).textContent).toContain("Only the first 1 MiB");
  expect(screen.getByTestId("preview-text").textContent).toHaveLength(1 << 20);
});

test("names are text, and a file without a preview offers the default app", async () => {
  const backend = await setup([f("<img src=x onerror=alert(1)>.zip")]);
  fireEvent.doubleClick(row("<img src=x onerror=alert(1)>.zip"));
  const none = await screen.findByTestId("preview-none");
  expect(screen.getAllByTestId("preview-name")[0].textContent).toBe("<img src=x onerror=alert(1)>.zip");
  expect(document.querySelector(".preview img")).toBeNull();
  await userEvent.click(none.querySelector("button")!);
  await waitFor(() => expect(backend.callsOf("openWithDefault")).toHaveLength(1));
  expect(backend.callsOf("openWithDefault")[0]).toEqual(["acc-1", `${FAKE_ROOT}/${encodeURIComponent("<img src=x onerror=alert(1)>.zip")}`, FAKE_ROOT]);
  expect(await screen.findByText(/When you save a change, Cirrus offers to upload it/)).toBeTruthy();
});

test("a saved change is offered for upload, never sent silently", async () => {
  const backend = new FakeBackend();
  renderWith(backend, <OpenWithPrompt />);
  const opened = await backend.openWithDefault("acc-1", `${FAKE_ROOT}/notes.txt`, FAKE_ROOT);
  await waitFor(() => expect(backend.openWithChangedHandlers.size).toBe(1));
  act(() => backend.emitOpenWithChanged(opened.id));
  const prompt = await screen.findByTestId("open-with-prompt");
  expect(prompt.textContent).toContain("notes.txt was changed in another app.");
  expect(backend.callsOf("openWithUpload")).toEqual([]);
  await userEvent.click(screen.getByTestId("open-with-upload"));
  expect(backend.callsOf("openWithUpload")).toEqual([[opened.id]]);
  await waitFor(() => expect(screen.queryByTestId("open-with-prompt")).toBeNull());
  // A second save, kept local this time.
  act(() => backend.emitOpenWithChanged(opened.id));
  await screen.findByTestId("open-with-prompt");
  await userEvent.click(screen.getByText("Keep local only"));
  expect(backend.callsOf("openWithDismiss")).toEqual([[opened.id]]);
  expect(backend.callsOf("openWithUpload")).toHaveLength(1);
});

test("where the server cannot replace content, the prompt says so and offers no upload", async () => {
  const backend = new FakeBackend({ capabilities: { uploadOverwrite: false } });
  renderWith(backend, <OpenWithPrompt />, "zh-CN");
  const opened = await backend.openWithDefault("acc-1", `${FAKE_ROOT}/notes.txt`, FAKE_ROOT);
  await waitFor(() => expect(backend.openWithChangedHandlers.size).toBe(1));
  act(() => backend.emitOpenWithChanged(opened.id));
  const prompt = await screen.findByTestId("open-with-prompt");
  expect(prompt.textContent).toContain("此服务器不能替换文件内容");
  expect(screen.queryByTestId("open-with-upload")).toBeNull();
});
