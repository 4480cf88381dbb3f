import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { tauriBackend, type Backend } from "./backend";

/**
 * Inside the desktop shell Tauri injects its IPC bridge; in a plain browser
 * (`npm run dev`) fall back to the in-memory demo backend so the UI can be
 * worked on without Rust. The fake is code-split and never loaded in the app.
 */
async function pickBackend(): Promise<Backend> {
  if ("__TAURI_INTERNALS__" in window) return tauriBackend;
  const { FakeBackend, FAKE_ROOT } = await import("./backend/fake");
  // Demo knobs for looking at screens by hand: ?signedOut&theme=dark&lang=zh-CN
  const params = new URLSearchParams(window.location.search);
  const fake = new FakeBackend({ signedIn: !params.has("signedOut") });
  const theme = params.get("theme");
  if (theme === "dark" || theme === "light") fake.settings.theme = theme;
  if (params.get("lang") === "zh-CN") fake.settings.language = "zh-CN";
  fake.addGeneratedFolder(`${FAKE_ROOT}/Big`, 100_000);
  fake.folders.get(FAKE_ROOT)!.push({
    uri: `${FAKE_ROOT}/Big`,
    name: "Big",
    kind: "folder",
    size: 0,
    createdAt: "2025-01-01T00:00:00Z",
    updatedAt: "2025-01-01T00:00:00Z",
    uploading: false,
  });
  return fake;
}

void pickBackend().then((backend) =>
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App backend={backend} />
    </StrictMode>,
  ),
);
