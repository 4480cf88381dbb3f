import { createContext, useCallback, useContext, useMemo, type ReactNode } from "react";
import type { BackendError, Language } from "../backend";
import { en, type MessageKey } from "./en";
import { zhCN } from "./zh-CN";

export type { MessageKey } from "./en";

/** All message tables by language. */
export const tables: Record<Language, Record<MessageKey, string>> = { en, "zh-CN": zhCN };

/** Translate function: `t("browser.items", { count: 3 })`. */
export type Translate = (key: MessageKey, vars?: Record<string, string | number>) => string;

/** Fills `{name}` placeholders; unknown placeholders are left visible so bugs show. */
export function format(template: string, vars?: Record<string, string | number>): string {
  if (!vars) return template;
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in vars ? String(vars[k]) : m));
}

/** A translator for one language, usable outside React (and in tests). */
export function translator(lang: Language): Translate {
  const table = tables[lang] ?? en;
  return (key, vars) => format(table[key] ?? en[key] ?? key, vars);
}

interface I18nValue {
  lang: Language;
  t: Translate;
}

const I18nContext = createContext<I18nValue>({ lang: "en", t: translator("en") });

/** Provides the current language to every component below it. */
export function I18nProvider({ lang, children }: { lang: Language; children: ReactNode }) {
  const value = useMemo(() => ({ lang, t: translator(lang) }), [lang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The current language and its translate function. */
export function useI18n(): I18nValue {
  return useContext(I18nContext);
}

const ERROR_KEYS = new Set<string>(Object.keys(en).filter((k) => k.startsWith("error.")));

/** A human message for a backend error: specific text for known kinds, else the raw message. */
export function errorText(t: Translate, err: BackendError): string {
  const key = `error.${err.kind}`;
  if (key !== "error.unknown" && ERROR_KEYS.has(key)) return t(key as MessageKey, { message: err.message });
  return t("error.unknown", { message: err.message || err.kind });
}

/** Hook form of `errorText`. */
export function useErrorText(): (err: BackendError) => string {
  const { t } = useI18n();
  return useCallback((err: BackendError) => errorText(t, err), [t]);
}
