import { createContext, useCallback, useContext, useEffect, useMemo,
  useRef, useState, type ReactNode } from "react";
import { toBackendError, useBackend, type BackendError, type Settings } from "../../backend";

/** Used until `settings_get` answers, and if it fails. */
export const DEFAULT_SETTINGS: Settings = {
  parallelTransfers: 3,
  uploadLimitKbps: null,
  downloadLimitKbps: null,
  downloadFolder: "",
  conflictPolicy: "ask",
  theme: "system",
  language: "en",
  proxy: { mode: "system" },
  accountProxies: {},
};

interface SettingsValue {
  settings: Settings;
  loaded: boolean;
  /** Saves a change; resolves to an error if Rust refused it (the old value is kept). */
  update: (patch: Partial<Settings>) => Promise<BackendError | null>;
}

const SettingsContext = createContext<SettingsValue>({
  settings: DEFAULT_SETTINGS,
  loaded: false,
  update: async () => null,
});

/** Loads settings once and applies the theme to `<html data-theme>`. */
export function SettingsProvider({ children }: { children: ReactNode }) {
  const backend = useBackend();
  const [settings, setSettings] = useState<Settings>(DEFAULT_SETTINGS);
  const [loaded, setLoaded] = useState(false);
  const latest = useRef(settings);

  useEffect(() => {
    let alive = true;
    backend
      .getSettings()
      .then((s) => {
        if (!alive) return;
        latest.current = s;
        setSettings(s);
      })
      .catch(() => {
        // keep defaults: the app must stay usable even if the settings file is broken
      })
      .finally(() => alive && setLoaded(true));
    return () => {
      alive = false;
    };
  }, [backend]);

  useEffect(() => {
    // CSS picks light/dark from this attribute; "system" defers to prefers-color-scheme.
    document.documentElement.dataset.theme = settings.theme;
    document.documentElement.lang = settings.language;
  }, [settings.theme, settings.language]);

  // Saves are chained and each builds on the previous one's result, so two quick changes
  // (language, then theme) cannot overwrite each other with a stale copy.
  const chain = useRef<Promise<unknown>>(Promise.resolve());
  const update = useCallback(
    (patch: Partial<Settings>) => {
      const run = chain.current.then(async () => {
        const next = { ...latest.current, ...patch };
        try {
          await backend.setSettings(next);
          latest.current = next;
          setSettings(next);
          return null;
        } catch (e) {
          return toBackendError(e);
        }
      });
      chain.current = run;
      return run;
    },
    [backend],
  );

  const value = useMemo(() => ({ settings, loaded, update }), [settings, loaded, update]);
  return <SettingsContext.Provider value={value}>{children}</SettingsContext.Provider>;
}

/** Current settings and a saver. */
export function useSettings(): SettingsValue {
  return useContext(SettingsContext);
}
