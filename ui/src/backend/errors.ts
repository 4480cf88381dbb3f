import type { BackendError } from "./types";

/**
 * Normalises whatever a rejected command produced into `{kind, message}`.
 * Rust always sends that shape, but a JS exception (or a plain string from a
 * plugin) must not crash the error display.
 */
export function toBackendError(err: unknown): BackendError {
  if (err && typeof err === "object" && "kind" in err) {
    const e = err as { kind: unknown; message?: unknown };
    return { kind: String(e.kind), message: e.message == null ? "" : String(e.message) };
  }
  if (err instanceof Error) return { kind: "internal", message: err.message };
  return { kind: "internal", message: String(err) };
}
