import { useEffect, useState } from "react";
import {
  toBackendError,
  useBackend,
  type Account,
  type AccountProxy,
  type BackendError,
  type ProxyProtocol,
  type ProxySetting,
  type SystemProxy,
} from "../../backend";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { useSettings } from "./SettingsContext";

type Mode = "system" | "none" | "manual" | "app";
type ProxyValue = ProxySetting | AccountProxy;

/** The system proxy in one line: where it comes from and the proxy https goes through. */
export function systemProxyLine(sys: SystemProxy | null): { key: "network.system.none" | "network.system.env" | "network.system.gnome"; proxy: string } {
  const proxy = sys?.https ?? sys?.all ?? sys?.http ?? "";
  if (!sys || sys.source === "nothing" || !proxy) return { key: "network.system.none", proxy: "" };
  return { key: sys.source === "gnome" ? "network.system.gnome" : "network.system.env", proxy };
}

/**
 * Settings → Network: the app's proxy (system / none / manual) and a per-account override.
 * Passwords go to the OS credential store through their own command, never into settings.
 */
export function NetworkCard() {
  const backend = useBackend();
  const { t } = useI18n();
  const { settings, update } = useSettings();
  const [system, setSystem] = useState<SystemProxy | null>(null);
  const [accounts, setAccounts] = useState<Account[]>([]);

  useEffect(() => {
    let alive = true;
    backend
      .systemProxy()
      .then((s) => alive && setSystem(s))
      .catch(() => undefined);
    backend
      .listAccounts()
      .then((a) => alive && setAccounts(a))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [backend]);

  const line = systemProxyLine(system);
  return (
    <div className="card form" data-testid="settings-network">
      <h2>{t("network.title")}</h2>
      <ProxyEditor
        scope={null}
        testid="proxy-app"
        value={settings.proxy}
        modes={["system", "none", "manual"]}
        onSave={(v) => update({ proxy: v as ProxySetting })}
      />
      {settings.proxy.mode === "system" && (
        <p className="muted small" data-testid="proxy-system-line">
          {t(line.key, { proxy: line.proxy })}
          {system?.note ? ` ${t("network.system.pac")}` : ""}
        </p>
      )}
      {accounts.length > 0 && <h3>{t("network.accounts")}</h3>}
      {accounts.map((a) => (
        <div key={a.id} className="proxy-account" data-testid={`proxy-account-${a.id}`}>
          <strong>{a.label}</strong>
          <ProxyEditor
            scope={a.id}
            testid={`proxy-account-${a.id}`}
            value={settings.accountProxies[a.id] ?? { mode: "app" }}
            modes={["app", "none", "manual"]}
            onSave={(v) => {
              const next = { ...settings.accountProxies };
              if (v.mode === "app") delete next[a.id];
              else next[a.id] = v as AccountProxy;
              return update({ accountProxies: next });
            }}
          />
        </div>
      ))}
      <p className="muted small">{t("network.hint")}</p>
    </div>
  );
}

interface EditorProps {
  scope: string | null;
  testid: string;
  value: ProxyValue;
  modes: Mode[];
  onSave: (v: ProxyValue) => Promise<BackendError | null>;
}

/** One proxy choice: a mode, and for a manual proxy its address, user name and password. */
function ProxyEditor({ scope, testid, value, modes, onSave }: EditorProps) {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const manual = value.mode === "manual" ? value : null;
  const [mode, setMode] = useState<Mode>(value.mode);
  const [protocol, setProtocol] = useState<ProxyProtocol>(manual?.protocol ?? "http");
  const [host, setHost] = useState(manual?.host ?? "");
  const [port, setPort] = useState(manual ? String(manual.port) : "");
  const [username, setUsername] = useState(manual?.username ?? "");
  const [password, setPassword] = useState("");
  const [hasPassword, setHasPassword] = useState(false);
  const key = JSON.stringify(value);

  // The settings arrive after the first render; follow them when they change.
  useEffect(() => {
    const v = JSON.parse(key) as ProxyValue;
    setMode(v.mode);
    if (v.mode === "manual") {
      setProtocol(v.protocol);
      setHost(v.host);
      setPort(String(v.port));
      setUsername(v.username ?? "");
    }
  }, [key]);

  useEffect(() => {
    let alive = true;
    backend
      .hasProxyPassword(scope)
      .then((has) => alive && setHasPassword(has))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [backend, scope]);

  const chooseMode = async (m: Mode) => {
    setMode(m);
    if (m === "manual") return; // saved with the Save button, once the address is typed
    const err = await onSave({ mode: m } as ProxyValue);
    if (err) {
      toast(errorText(err), "error");
      setMode(value.mode);
    }
  };

  const saveManual = async () => {
    const p = Number(port);
    if (!host.trim() || !Number.isInteger(p) || p < 1 || p > 65535) {
      toast(t("network.invalid"), "error");
      return;
    }
    const user = username.trim();
    const err = await onSave({
      mode: "manual",
      protocol,
      host: host.trim(),
      port: p,
      ...(user ? { username: user } : {}),
    });
    if (err) {
      toast(errorText(err), "error");
      return;
    }
    try {
      if (!user) {
        await backend.setProxyPassword(scope, null);
        setHasPassword(false);
      } else if (password) {
        await backend.setProxyPassword(scope, password);
        setHasPassword(true);
      }
      setPassword("");
      toast(t("network.saved"));
    } catch (e) {
      toast(errorText(toBackendError(e)), "error");
    }
  };

  return (
    <>
      <label>
        {t("network.proxy")}
        <select value={mode} onChange={(e) => void chooseMode(e.target.value as Mode)} data-testid={`${testid}-mode`}>
          {modes.map((m) => (
            <option key={m} value={m}>
              {t(`network.mode.${m}`)}
            </option>
          ))}
        </select>
      </label>
      {mode === "manual" && (
        <>
          <label>
            {t("network.protocol")}
            <select value={protocol} onChange={(e) => setProtocol(e.target.value as ProxyProtocol)} data-testid={`${testid}-protocol`}>
              <option value="http">HTTP</option>
              <option value="https">HTTPS</option>
              <option value="socks5">SOCKS5</option>
            </select>
          </label>
          <label>
            {t("network.host")}
            <input value={host} onChange={(e) => setHost(e.target.value)} placeholder="proxy.example.com" data-testid={`${testid}-host`} />
          </label>
          <label>
            {t("network.port")}
            <input type="number" min={1} max={65535} value={port} onChange={(e) => setPort(e.target.value)} data-testid={`${testid}-port`} />
          </label>
          <label>
            {t("network.username")}
            <input value={username} autoComplete="off" onChange={(e) => setUsername(e.target.value)} data-testid={`${testid}-username`} />
          </label>
          {username.trim() && (
            <label>
              {t("network.password")}
              <input
                type="password"
                value={password}
                autoComplete="new-password"
                placeholder={hasPassword ? t("network.passwordKept") : ""}
                onChange={(e) => setPassword(e.target.value)}
                data-testid={`${testid}-password`}
              />
            </label>
          )}
          <button type="button" onClick={() => void saveManual()} data-testid={`${testid}-save`}>
            {t("network.save")}
          </button>
        </>
      )}
    </>
  );
}
