import { useState, type FormEvent } from "react";
import { toBackendError, useBackend, type Account, type BackendError } from "../../backend";
import { useErrorText, useI18n } from "../../i18n";
import "./SignIn.css";

/** The services the sign-in screen offers: Cloudreve (3 or 4, detected) or 123pan. */
type Service = "cloudreve" | "pan123";

/**
 * Sign-in screen: the service, then for Cloudreve the server, email, password,
 * "remember" and an optional two-factor step; for 123pan the developer client id
 * and secret (the API server only under "Advanced"). Also offers the local sandbox for people without a server.
 * `signedOut` prefills a signed-out account so signing in again is one step.
 * When an address typed without a scheme only answered over plain http, a
 * warning that the connection is not encrypted comes before the files.
 */
export function SignIn({
  onSignedIn,
  onCancel,
  signedOut,
}: {
  onSignedIn: (account: Account) => void;
  onCancel?: () => void;
  signedOut?: Account;
}) {
  const backend = useBackend();
  const { t } = useI18n();
  const errorText = useErrorText();
  const [service, setService] = useState<Service>(signedOut?.provider.kind === "pan123" ? "pan123" : "cloudreve");
  const [serverUrl, setServerUrl] = useState(signedOut && signedOut.provider.kind !== "pan123" ? signedOut.serverUrl : "");
  const [email, setEmail] = useState(signedOut && signedOut.provider.kind !== "pan123" ? signedOut.email : "");
  const [clientId, setClientId] = useState(signedOut?.provider.kind === "pan123" ? signedOut.email : "");
  const [apiServer, setApiServer] = useState(signedOut?.provider.kind === "pan123" ? signedOut.serverUrl : "");
  const [insecure, setInsecure] = useState<Account | null>(null);
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(true);
  const [pendingId, setPendingId] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<BackendError | null>(null);

  async function run(action: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await action();
    } catch (e) {
      setError(toBackendError(e));
    } finally {
      setBusy(false);
    }
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    if (service === "pan123") {
      // Empty means the official API host (Rust fills it in); anything typed must be a URL.
      const api = apiServer.trim() ? normaliseServerUrl(apiServer) : "";
      if (api === null) {
        setError({ kind: "invalidUrl", message: apiServer });
        return;
      }
      void run(async () => {
        const result = await backend.addAccount(api, clientId.trim(), password, remember, "pan123");
        if (result.status === "signedIn") onSignedIn(result.account);
        else setPendingId(result.pendingId);
      });
      return;
    }
    const url = normaliseServerUrl(serverUrl);
    if (!url) {
      setError({ kind: "invalidUrl", message: serverUrl });
      return;
    }
    void run(async () => {
      const result = await backend.addAccount(url, email.trim(), password, remember);
      if (result.status === "signedIn") signedIn(result.account);
      else setPendingId(result.pendingId);
    });
  }

  /** Warns first when Cirrus chose plain http for an address typed without a scheme. */
  function signedIn(account: Account) {
    if (!account.encrypted && !hasScheme(serverUrl)) setInsecure(account);
    else onSignedIn(account);
  }

  function submitCode(e: FormEvent) {
    e.preventDefault();
    if (!pendingId) return;
    void run(async () => signedIn(await backend.submit2fa(pendingId, code.trim())));
  }

  const errorBox = error && (
    <p className="form-error" role="alert" data-testid="signin-error" data-kind={error.kind}>
      {errorText(error)}
    </p>
  );

  return (
    <main className="signin" data-testid="signin">
      <div className="signin-card">
        <div className="signin-brand">
          <div className="signin-logo" aria-hidden="true">☁</div>
          <h1>{t("app.name")}</h1>
          <p>{t("app.tagline")}</p>
        </div>
        {insecure ? (
          <div className="form" role="alert" data-testid="signin-insecure">
            <h2>{t("signin.insecureTitle")}</h2>
            <p className="form-warning">{t("signin.insecureText", { server: insecure.serverUrl })}</p>
            <button type="button" className="primary wide" onClick={() => onSignedIn(insecure)} data-testid="signin-insecure-continue">
              {t("signin.insecureContinue")}
            </button>
          </div>
        ) : pendingId ? (
          <form className="form" onSubmit={submitCode} data-testid="signin-2fa">
            <h2>{t("signin.twoFactorTitle")}</h2>
            <p className="muted">{t("signin.twoFactorHint")}</p>
            <label>
              {t("signin.code")}
              <input
                value={code}
                onChange={(e) => setCode(e.target.value)}
                inputMode="numeric"
                autoComplete="one-time-code"
                maxLength={8}
                autoFocus
                data-testid="signin-code"
              />
            </label>
            {errorBox}
            <div className="row-actions">
              <button type="button" onClick={() => setPendingId(null)}>
                {t("common.cancel")}
              </button>
              <button type="submit" className="primary" disabled={busy || !code.trim()} data-testid="signin-verify">
                {t("signin.verify")}
              </button>
            </div>
          </form>
        ) : (
          <form className="form" onSubmit={submit} data-testid="signin-form" data-service={service}>
            <h2>{service === "pan123" ? t("signin.titlePan123") : t("signin.title")}</h2>
            <div className="segmented service-choice" role="radiogroup" aria-label={t("signin.service")}>
              {(["cloudreve", "pan123"] as const).map((s) => (
                <button
                  key={s}
                  type="button"
                  role="radio"
                  aria-checked={service === s}
                  className={service === s ? "active" : undefined}
                  onClick={() => {
                    setService(s);
                    setError(null);
                  }}
                  data-testid={`signin-service-${s}`}
                >
                  {s === "pan123" ? t("signin.service123pan") : t("signin.serviceCloudreve")}
                </button>
              ))}
            </div>
            {signedOut && (
              <p className="muted" data-testid="signin-signed-out">
                {t("signin.signedOutNote", { label: signedOut.label || signedOut.email })}
              </p>
            )}
            {service === "pan123" ? (
              <>
                <label>
                  {t("signin.clientId")}
                  <input
                    value={clientId}
                    onChange={(e) => setClientId(e.target.value)}
                    autoComplete="username"
                    spellCheck={false}
                    required
                    data-testid="signin-client-id"
                  />
                </label>
                <label>
                  {t("signin.clientSecret")}
                  <input
                    type="password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    autoComplete="current-password"
                    autoFocus={!!signedOut}
                    required
                    data-testid="signin-client-secret"
                  />
                </label>
                <p className="muted small" data-testid="signin-pan123-hint">
                  {t("signin.pan123Hint")}
                </p>
                <details className="advanced" open={!!apiServer}>
                  <summary>{t("signin.advanced")}</summary>
                  <label>
                    {t("signin.apiServer")}
                    <input
                      value={apiServer}
                      onChange={(e) => setApiServer(e.target.value)}
                      placeholder={t("signin.apiServerPlaceholder")}
                      autoComplete="url"
                      spellCheck={false}
                      data-testid="signin-api-server"
                    />
                  </label>
                </details>
              </>
            ) : (
              <>
                <label>
                  {t("signin.server")}
                  <input
                    value={serverUrl}
                    onChange={(e) => setServerUrl(e.target.value)}
                    placeholder={t("signin.serverPlaceholder")}
                    autoComplete="url"
                    spellCheck={false}
                    required
                    data-testid="signin-server"
                  />
                </label>
                <label>
                  {t("signin.email")}
                  <input
                    type="email"
                    value={email}
                    onChange={(e) => setEmail(e.target.value)}
                    autoComplete="username"
                    required
                    data-testid="signin-email"
                  />
                </label>
                <label>
                  {t("signin.password")}
                  <input
                    type="password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    autoComplete="current-password"
                    autoFocus={!!signedOut}
                    required
                    data-testid="signin-password"
                  />
                </label>
              </>
            )}
            <label className="checkbox">
              <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} data-testid="signin-remember" />
              {service === "pan123" ? t("signin.rememberSecret") : t("signin.remember")}
            </label>
            {errorBox}
            <button type="submit" className="primary wide" disabled={busy} data-testid="signin-submit">
              {busy ? t("signin.busy") : t("signin.submit")}
            </button>
            <div className="divider">
              <span>{t("signin.or")}</span>
            </div>
            <button
              type="button"
              className="sandbox wide"
              disabled={busy}
              data-testid="sandbox-button"
              onClick={() => void run(async () => onSignedIn(await backend.startSandbox()))}
            >
              {t("signin.sandbox")}
            </button>
            <p className="muted small center">{t("signin.sandboxHint")}</p>
            {onCancel && (
              <button type="button" className="link" onClick={onCancel} data-testid="signin-cancel">
                {t("signin.back")}
              </button>
            )}
          </form>
        )}
      </div>
    </main>
  );
}

/** Whether the address was typed with a scheme (`http://`, `https://`, …). */
export function hasScheme(input: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(input.trim());
}

/**
 * Checks a typed server address; returns null for anything that is not an
 * http(s) URL. Only the origin and path are kept. An address without a scheme
 * stays without one: Rust tries https first and falls back to plain http (with
 * a warning) only when the server has no https.
 */
export function normaliseServerUrl(input: string): string | null {
  const raw = input.trim();
  if (!raw) return null;
  const typedScheme = hasScheme(raw);
  try {
    const url = new URL(typedScheme ? raw : `https://${raw}`);
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    if (!url.hostname) return null;
    const path = url.pathname.replace(/\/+$/, "");
    return typedScheme ? `${url.origin}${path}` : `${url.host}${path}`;
  } catch {
    return null;
  }
}
