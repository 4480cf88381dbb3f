import { useEffect, useState } from "react";
import { toBackendError } from "../../backend";
import { useBackend, type ConflictPolicy, type Language, type Settings, type Theme } from "../../backend";
import { useToast } from "../../components/Toast";
import { useErrorText, useI18n } from "../../i18n";
import { SecretsExplanation, useSecretStore } from "../accounts/SecretsNotice";
import { NetworkCard } from "./NetworkCard";
import { useSettings } from "./SettingsContext";

/** Parses a "KiB/s" field: empty or 0 means unlimited (null). */
export function parseLimit(value: string): number | null {
  const n = Math.floor(Number(value));
  return value.trim() === "" || !Number.isFinite(n) || n <= 0 ? null : n;
}

/** Settings form; every change is saved immediately through `settings_set`. */
export function SettingsPage() {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const { settings, update } = useSettings();
  const [upload, setUpload] = useState(settings.uploadLimitKbps?.toString() ?? "");
  const [download, setDownload] = useState(settings.downloadLimitKbps?.toString() ?? "");

  const save = async (patch: Partial<Settings>) => {
    const err = await update(patch);
    if (err) toast(errorText(err), "error");
  };

  return (
    <section className="page settings" data-testid="settings-page">
      <h1>{t("settings.title")}</h1>
      <div className="card form">
        <h2>{t("settings.transfers")}</h2>
        <label>
          {t("settings.parallel")}
          <select
            value={settings.parallelTransfers}
            onChange={(e) => void save({ parallelTransfers: Number(e.target.value) })}
            data-testid="settings-parallel"
          >
            {[1, 2, 3, 4, 5, 6, 8, 10].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("settings.uploadLimit")}
          <input
            type="number"
            min={0}
            value={upload}
            placeholder={t("common.unlimited")}
            onChange={(e) => setUpload(e.target.value)}
            onBlur={() => void save({ uploadLimitKbps: parseLimit(upload) })}
            data-testid="settings-upload-limit"
          />
        </label>
        <label>
          {t("settings.downloadLimit")}
          <input
            type="number"
            min={0}
            value={download}
            placeholder={t("common.unlimited")}
            onChange={(e) => setDownload(e.target.value)}
            onBlur={() => void save({ downloadLimitKbps: parseLimit(download) })}
            data-testid="settings-download-limit"
          />
        </label>
        <label>
          {t("settings.downloadFolder")}
          <span className="folder-field">
            <input readOnly value={settings.downloadFolder} data-testid="settings-download-folder" />
            <button
              type="button"
              onClick={async () => {
                try {
                  const folder = await backend.pickDownloadFolder();
                  if (folder) await save({ downloadFolder: folder });
                } catch {
                  // dialog dismissed or unavailable: nothing to change
                }
              }}
              data-testid="settings-choose-folder"
            >
              {t("settings.choose")}
            </button>
          </span>
        </label>
        <label>
          {t("settings.conflictPolicy")}
          <select
            value={settings.conflictPolicy}
            onChange={(e) => void save({ conflictPolicy: e.target.value as ConflictPolicy })}
            data-testid="settings-conflict"
          >
            {(["ask", "overwrite", "keepBoth", "skip"] as const).map((p) => (
              <option key={p} value={p}>
                {t(`settings.conflict.${p}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="card form">
        <h2>{t("settings.appearance")}</h2>
        <label>
          {t("settings.theme")}
          <select value={settings.theme} onChange={(e) => void save({ theme: e.target.value as Theme })} data-testid="settings-theme">
            {(["system", "light", "dark"] as const).map((th) => (
              <option key={th} value={th}>
                {t(`settings.theme.${th}`)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("settings.language")}
          <select
            value={settings.language}
            onChange={(e) => void save({ language: e.target.value as Language })}
            data-testid="settings-language"
          >
            {/* Language names are shown in their own language on purpose. */}
            <option value="en">English</option>
            <option value="zh-CN">简体中文</option>
          </select>
        </label>
      </div>
      <NetworkCard />
      <AutostartCard />
      <SecretStoreCard />
    </section>
  );
}

/** Where sign-in secrets are kept; with the file fallback, why and how to fix it. */
function SecretStoreCard() {
  const { t } = useI18n();
  const info = useSecretStore();
  if (!info) return null;
  return (
    <div className="card form" data-testid="settings-secrets" data-backend={info.backend}>
      <h2>{t("settings.security")}</h2>
      <p>{info.backend === "keyring" ? t("secrets.keyring") : t("secrets.file")}</p>
      {info.fallbackReason && <SecretsExplanation reason={info.fallbackReason} />}
    </div>
  );
}

/**
 * "Start Cirrus when I log in": the login autostart entry, read from and written to the system
 * (not the settings file), so the box always says what the next login will do.
 */
function AutostartCard() {
  const backend = useBackend();
  const { t } = useI18n();
  const toast = useToast();
  const errorText = useErrorText();
  const [enabled, setEnabled] = useState<boolean | null>(null);

  useEffect(() => {
    let alive = true;
    backend
      .getAutostart()
      .then((on) => alive && setEnabled(on))
      .catch(() => alive && setEnabled(false));
    return () => {
      alive = false;
    };
  }, [backend]);

  const change = async (on: boolean) => {
    try {
      await backend.setAutostart(on);
      setEnabled(on);
    } catch (e) {
      toast(errorText(toBackendError(e)), "error");
    }
  };

  return (
    <div className="card form">
      <h2>{t("settings.system")}</h2>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={enabled ?? false}
          disabled={enabled === null}
          onChange={(e) => void change(e.target.checked)}
          data-testid="settings-autostart"
        />
        {t("settings.autostart")}
      </label>
      <p className="muted small">{t("settings.autostartHint")}</p>
    </div>
  );
}
