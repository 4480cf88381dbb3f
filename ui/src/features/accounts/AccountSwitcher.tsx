import { useState } from "react";
import type { Account } from "../../backend";
import { ConfirmDialog, PromptDialog } from "../../components/Dialog";
import { SafeName } from "../../components/SafeName";
import { useI18n, type Translate } from "../../i18n";
import "./AccountSwitcher.css";
import "./notices.css";

/** Host part of a server URL, for a compact account subtitle. */
function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * The active account with a menu to switch, add, rename, sign out and remove.
 * Sign-out keeps the account listed (signed out; its transfers paused); removing
 * forgets it on this computer and asks first, saying what happens to its transfers.
 */
export function AccountSwitcher({
  accounts,
  onSwitch,
  onAdd,
  onRename,
  onRemove,
  onSignOut,
}: {
  accounts: Account[];
  onSwitch: (id: string) => void;
  onAdd: () => void;
  onRename: (id: string, label: string) => void;
  onRemove: (id: string) => void;
  onSignOut: (id: string) => void;
}) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  const [renaming, setRenaming] = useState<Account | null>(null);
  const [removing, setRemoving] = useState<Account | null>(null);
  const active = accounts.find((a) => a.active) ?? accounts[0];
  if (!active) return null;

  return (
    <div className="account-switcher">
      <button
        type="button"
        className="account-current"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        data-testid="account-switcher"
        title={t("accounts.switch")}
      >
        <span className="avatar" aria-hidden="true">
          {(active.nickname || active.email || "?").slice(0, 1).toUpperCase()}
        </span>
        <span className="account-text">
          <SafeName name={active.label || active.email} className="account-label" />
          <span className="account-sub">
            {/* The service first: the address after it may be cut short. */}
            <span className="account-provider" data-testid="account-provider" title={t("accounts.provider", { name: active.provider.name })}>
              {active.provider.name}
            </span>
            <SafeName name={`${active.email} · ${host(active.serverUrl)}`} />
            {!active.encrypted && (
              <span className="account-badge" data-testid="account-not-encrypted" title={t("accounts.notEncrypted")}>
                {t("accounts.notEncrypted")}
              </span>
            )}
          </span>
        </span>
        <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div className="account-menu" role="menu" data-testid="account-menu" onMouseLeave={() => setOpen(false)}>
          {accounts.map((a) => (
            <div key={a.id} className={`account-item${a.active ? " active" : ""}`}>
              <button
                type="button"
                role="menuitemradio"
                aria-checked={a.active}
                className="account-pick"
                data-testid="account-item"
                data-account-id={a.id}
                data-signed-in={a.signedIn}
                onClick={() => {
                  setOpen(false);
                  if (!a.active) onSwitch(a.id);
                }}
              >
                <SafeName name={a.label || a.email} className="account-label" />
                {!a.signedIn && <span className="account-badge">{t("accounts.signedOut")}</span>}
                <span className="account-sub">
                  <span className="account-provider" data-testid="account-item-provider">
                    {a.provider.name}
                  </span>
                  <SafeName name={`${a.email} · ${host(a.serverUrl)}`} />
                </span>
              </button>
              <button type="button" className="icon-button small" onClick={() => setRenaming(a)} aria-label={t("accounts.rename")} title={t("accounts.rename")}>
                ✎
              </button>
              {!a.active && (
                <button
                  type="button"
                  className="icon-button small"
                  onClick={() => setRemoving(a)}
                  aria-label={t("accounts.remove")}
                  title={t("accounts.remove")}
                  data-testid="account-item-remove"
                >
                  ×
                </button>
              )}
            </div>
          ))}
          <hr />
          <button type="button" role="menuitem" className="menu-line" onClick={() => (setOpen(false), onAdd())} data-testid="account-add">
            {t("accounts.add")}
          </button>
          <button type="button" role="menuitem" className="menu-line" onClick={() => (setOpen(false), onSignOut(active.id))} data-testid="sign-out">
            {t("accounts.signOut")}
          </button>
          <button type="button" role="menuitem" className="menu-line danger-text" onClick={() => (setOpen(false), setRemoving(active))} data-testid="account-remove">
            {t("accounts.removeAction")}
          </button>
        </div>
      )}
      {renaming && (
        <PromptDialog
          title={t("accounts.rename")}
          label={t("accounts.renamePrompt")}
          initial={renaming.label}
          onCancel={() => setRenaming(null)}
          onSubmit={(label) => {
            onRename(renaming.id, label);
            setRenaming(null);
          }}
        />
      )}
      {removing && (
        <ConfirmDialog
          title={t("accounts.removeTitle")}
          message={removeMessage(t, removing)}
          confirmLabel={t("accounts.remove")}
          onCancel={() => setRemoving(null)}
          onConfirm={() => {
            onRemove(removing.id);
            setRemoving(null);
          }}
        />
      )}
    </div>
  );
}

/** What removing an account does, in words: forgotten here, transfers cancelled, server untouched. */
export function removeMessage(t: Translate, account: Account): string {
  const what = t("accounts.removeWhat", { label: account.label || account.email });
  return account.pendingTransfers > 0 ? `${what} ${t("accounts.removeTransfers", { count: account.pendingTransfers })}` : what;
}
