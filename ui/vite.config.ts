import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// The desktop shell loads the built files from ui/dist; no dev server is needed for `make run`.
export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: { outDir: "dist", target: "es2022", sourcemap: false },
  test: { environment: "jsdom", globals: true, setupFiles: ["src/test/setup.ts"] },
});
