import { createContext, useContext, type ReactNode } from "react";
import type { Backend } from "./api";

const BackendContext = createContext<Backend | null>(null);

/** Makes a backend available to every component below it. */
export function BackendProvider({ backend, children }: { backend: Backend; children: ReactNode }) {
  return <BackendContext.Provider value={backend}>{children}</BackendContext.Provider>;
}

/** The backend provided by the nearest `BackendProvider`. */
export function useBackend(): Backend {
  const backend = useContext(BackendContext);
  if (!backend) throw new Error("useBackend() needs a <BackendProvider> above it");
  return backend;
}
