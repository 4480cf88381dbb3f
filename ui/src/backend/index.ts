/** The only door to the Rust side: types, the `Backend` interface and its React context. */
export * from "./types";
export { tauriBackend, type Backend, type Unsubscribe } from "./api";
export { BackendProvider, useBackend } from "./context";
export { toBackendError } from "./errors";
