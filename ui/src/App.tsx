import { useCallback, useEffect, useState, type ReactNode } from "react";
import { BackendProvider, tauriBackend, toBackendError, useBackend, type Account, type Backend } from "./backend";
import { Icon, type IconName } from "./components/Icon";
import { GatedButton } from "./components/GatedButton";
import { ToastProvider, useToast } from "./components/Toast";
import { AccountSwitcher } from "./features/accounts/AccountSwitcher";
import { AccountFeaturesProvider, useAccountFeatures } from "./features/accounts/AccountFeatures";
import { SandboxStarter } from "./features/accounts/SandboxStarter";
import { SecretsNotice } from "./features/accounts/SecretsNotice";
import { Browser } from "./features/browser/Browser";
import { CapacityBar } from "./features/browser/CapacityBar";
import { SettingsPage } from "./features/settings/SettingsPage";
import { SettingsProvider, useSettings } from "./features/settings/SettingsContext";
import { SharesPage } from "./features/shares/SharesPage";
import { SignIn } from "./features/signin/SignIn";
import { TasksPage } from "./features/tasks/TasksPage";
import { TransfersProvider, useTransfers } from "./features/transfers/TransfersContext";
import { TransfersPanel, transferTotals } from "./features/transfers/TransfersPanel";
import { UploadWithHost } from "./features/transfers/UploadWithDialog";
import { OpenWithPrompt } from "./features/preview/OpenWithPrompt";
import { I18nProvider, useErrorText, useI18n, type MessageKey } from "./i18n";
import type { Feature } from "./lib/capabilities";
import "./styles/theme.css";
import "./styles/base.css";
import "./App.css";

/** Pages reachable from the sidebar. */
export type PageId = "files" | "trash" | "shares" | "tasks" | "transfers" | "settings";

/** Pages reachable from the sidebar; `needs` greys a page out on servers without that feature. */
const NAV: { id: PageId; label: MessageKey; icon: IconName; needs?: Feature }[] = [
  { id: "files", label: "nav.files", icon: "folder" },
  { id: "trash", label: "nav.trash", icon: "trash", needs: "trash" },
  { id: "shares", label: "nav.shares", icon: "share", needs: "share" },
  { id: "tasks", label: "nav.tasks", icon: "tasks", needs: "tasks" },
  { id: "transfers", label: "nav.transfers", icon: "transfers" },
  { id: "settings", label: "nav.settings", icon: "settings" },
];

/** The Cirrus window's root component. Tests pass a fake backend. */
export function App({ backend = tauriBackend }: { backend?: Backend }) {
  return (
    <BackendProvider backend={backend}>
      <SettingsProvider>
        <LocalisedApp>
          <ToastProvider>
            <TransfersProvider>
              <Root />
              <SecretsNotice />
            </TransfersProvider>
          </ToastProvider>
        </LocalisedApp>
      </SettingsProvider>
    </BackendProvider>
  );
}

function LocalisedApp({ children }: { children: ReactNode }) {
  const { settings } = useSettings();
  return <I18nProvider lang={settings.language}>{children}</I18nProvider>;
}

/** Chooses between the sign-in screen and the signed-in shell. */
function Root() {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [adding, setAdding] = useState(false);
  const [sandboxReady, setSandboxReady] = useState(false);

  const reload = useCallback(
    () =>
      backend
        .listAccounts()
        .then(setAccounts)
        .catch((e) => {
          setAccounts([]);
          toast(errorText(toBackendError(e)), "error");
        }),
    [backend, toast, errorText],
  );
  useEffect(() => {
    void reload();
  }, [reload]);

  const run = (fn: () => Promise<void>) =>
    fn()
      .then(reload)
      .catch((e) => toast(errorText(toBackendError(e)), "error"));

  if (accounts === null) return <div className="splash">{t("common.loading")}</div>;
  const active = accounts.find((a) => a.active);
  const otherSignedIn = accounts.find((a) => !a.active && a.signedIn);
  // The sandbox lives inside the app: after a restart it is started again before its
  // account is shown, so the account never meets a closed port.
  if (active?.sandbox && !sandboxReady && !adding) {
    return (
      <SandboxStarter
        onReady={() => {
          setSandboxReady(true);
          void reload();
        }}
        onElsewhere={() => setAdding(true)}
      />
    );
  }
  if (!active || adding || !active.signedIn) {
    const back = adding && active?.signedIn ? () => setAdding(false) : otherSignedIn ? () => run(() => backend.switchAccount(otherSignedIn.id)) : undefined;
    return (
      <SignIn
        key={active && !active.signedIn && !adding ? active.id : "new"}
        signedOut={active && !active.signedIn && !adding ? active : undefined}
        onSignedIn={(account) => {
          if (account.sandbox) setSandboxReady(true);
          setAdding(false);
          void reload();
        }}
        onCancel={back}
      />
    );
  }
  return (
    <AccountFeaturesProvider account={active}>
      <Shell
        key={active.id}
        account={active}
        accounts={accounts}
        accountSwitcher={
          <AccountSwitcher
            accounts={accounts}
            onAdd={() => setAdding(true)}
            onSwitch={(id) => run(() => backend.switchAccount(id))}
            onRename={(id, label) => run(() => backend.renameAccount(id, label))}
            onRemove={(id) => run(() => backend.removeAccount(id))}
            onSignOut={(id) => run(() => backend.signOut(id))}
          />
        }
      />
    </AccountFeaturesProvider>
  );
}

/** Sidebar + current page for the active account (remounted on account switch). */
function Shell({ account, accounts, accountSwitcher }: { account: Account; accounts: Account[]; accountSwitcher: ReactNode }) {
  const { t } = useI18n();
  const { transfers } = useTransfers();
  const { reason } = useAccountFeatures();
  const [page, setPage] = useState<PageId>("files");
  const [capacityKey, setCapacityKey] = useState(0);
  const bumpCapacity = useCallback(() => setCapacityKey((n) => n + 1), []);
  const active = transferTotals(transfers).active;

  return (
    <div className="shell">
      <aside className="sidebar">
        {accountSwitcher}
        <nav className="nav" aria-label="main">
          {NAV.map((n) => (
            <GatedButton
              key={n.id}
              reason={n.needs ? reason(n.needs) : null}
              className={`nav-item${page === n.id ? " active" : ""}`}
              aria-current={page === n.id ? "page" : undefined}
              onClick={() => setPage(n.id)}
              data-testid={`nav-${n.id}`}
            >
              <Icon name={n.icon} />
              <span>{t(n.label)}</span>
              {n.id === "transfers" && active > 0 && (
                <span className="nav-badge" data-testid="transfers-badge">
                  {active}
                </span>
              )}
            </GatedButton>
          ))}
        </nav>
        <div className="sidebar-foot">
          <CapacityBar accountId={account.id} refreshKey={capacityKey} />
        </div>
      </aside>
      <main className="content">
        {/* Kept mounted so the current folder, selection and history survive page switches. */}
        <Browser accountId={account.id} mode="files" onChanged={bumpCapacity} active={page === "files"} />
        {page === "trash" && <Browser accountId={account.id} mode="trash" onChanged={bumpCapacity} />}
        {page === "shares" && <SharesPage accountId={account.id} />}
        {page === "tasks" && <TasksPage accountId={account.id} />}
        {page === "transfers" && <TransfersPanel />}
        {page === "settings" && <SettingsPage />}
      </main>
      <UploadWithHost accounts={accounts} activeId={account.id} />
      <OpenWithPrompt />
    </div>
  );
}
