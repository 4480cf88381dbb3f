import { useEffect, useState } from "react";
import { useBackend, type Capacity } from "../../backend";
import { useI18n } from "../../i18n";
import { formatBytes } from "../../lib/format";

/** Storage used vs. quota; refetched whenever `refreshKey` changes. */
export function CapacityBar({ accountId, refreshKey }: { accountId: string; refreshKey: number }) {
  const backend = useBackend();
  const { t } = useI18n();
  const [cap, setCap] = useState<Capacity | null>(null);
  useEffect(() => {
    let alive = true;
    backend
      .capacity(accountId)
      .then((c) => alive && setCap(c))
      .catch(() => alive && setCap(null));
    return () => {
      alive = false;
    };
  }, [backend, accountId, refreshKey]);
  if (!cap) return null;
  const ratio = cap.total > 0 ? Math.min(1, cap.used / cap.total) : 0;
  return (
    <div className="capacity" data-testid="capacity">
      <progress max={1} value={ratio} aria-label={t("browser.capacityBar")} className={ratio > 0.9 ? "nearly-full" : undefined} />
      <span className="small muted">{t("browser.capacity", { used: formatBytes(cap.used), total: formatBytes(cap.total) })}</span>
    </div>
  );
}
