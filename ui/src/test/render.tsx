import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { BackendProvider, type Backend } from "../backend";
import { ToastProvider } from "../components/Toast";
import { SettingsProvider } from "../features/settings/SettingsContext";
import { TransfersProvider } from "../features/transfers/TransfersContext";
import { I18nProvider } from "../i18n";

/** Renders `ui` with every provider a feature needs, around the given backend. */
export function renderWith(backend: Backend, ui: ReactNode, lang: "en" | "zh-CN" = "en") {
  return render(
    <BackendProvider backend={backend}>
      <SettingsProvider>
        <I18nProvider lang={lang}>
          <ToastProvider>
            <TransfersProvider>{ui}</TransfersProvider>
          </ToastProvider>
        </I18nProvider>
      </SettingsProvider>
    </BackendProvider>,
  );
}
