import { displayName, hasSuspiciousChars } from "../lib/displayName";
import { useI18n } from "../i18n";

/**
 * A server-provided name rendered as text (never HTML), with control and
 * bidi characters made visible and flagged. The `<bdi>` isolates the name so
 * right-to-left text cannot reorder the surrounding UI.
 */
export function SafeName({ name, className }: { name: string; className?: string }) {
  const { t } = useI18n();
  const shown = displayName(name);
  const suspicious = hasSuspiciousChars(name);
  return (
    <bdi className={`safe-name${suspicious ? " suspicious" : ""}${className ? ` ${className}` : ""}`} title={suspicious ? `${shown}\n${t("browser.suspicious")}` : shown}>
      {shown}
    </bdi>
  );
}
