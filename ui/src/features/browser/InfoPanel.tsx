import { useEffect, useState } from "react";
import { useBackend, type Entry } from "../../backend";
import { Icon } from "../../components/Icon";
import { thumbUrl } from "../../lib/thumbs";
import { Thumbnail } from "./FileList";
import { SafeName } from "../../components/SafeName";
import { useI18n } from "../../i18n";
import { displayName } from "../../lib/displayName";
import { formatBytes, formatDate } from "../../lib/format";
import { VersionsSection } from "./VersionsSection";

/**
 * Details of the selected item, refreshed from the server with `file_info`; a file's versions
 * below them. `onEntryChanged` hears of a file changed here (a version made current).
 */
export function InfoPanel({
  accountId,
  selected,
  thumbnails = false,
  onEntryChanged,
}: {
  accountId: string;
  selected: Entry[];
  thumbnails?: boolean;
  onEntryChanged?: (entry: Entry) => void;
}) {
  const backend = useBackend();
  const { t, lang } = useI18n();
  const single = selected.length === 1 ? selected[0] : null;
  const [fresh, setFresh] = useState<Entry | null>(null);

  useEffect(() => {
    setFresh(null);
    if (!single) return;
    let alive = true;
    backend
      .fileInfo(accountId, single.uri)
      .then((e) => alive && setFresh(e))
      .catch(() => {
        // the listing's copy is good enough to show
      });
    return () => {
      alive = false;
    };
  }, [backend, accountId, single]);

  const entry = fresh ?? single;
  return (
    <aside className="info-panel" data-testid="info-panel" aria-label={t("info.title")}>
      <h3>{t("info.title")}</h3>
      {!entry && <p className="muted">{selected.length > 1 ? t("info.multiple", { count: selected.length }) : t("info.nothing")}</p>}
      {entry && (
        <>
          <div className="info-icon">
            <Icon name={entry.kind === "folder" ? "folder" : "file"} size={56} />
            {thumbnails && <Thumbnail key={entry.uri} src={thumbUrl(accountId, entry)} />}
          </div>
          <p className="info-name">
            <SafeName name={entry.name} />
          </p>
          <dl>
            <dt>{t("info.type")}</dt>
            <dd>{entry.kind === "folder" ? t("browser.kindFolder") : t("browser.kindFile")}</dd>
            {entry.kind === "file" && (
              <>
                <dt>{t("browser.size")}</dt>
                <dd data-testid="info-size">
                  {formatBytes(entry.size)} ({entry.size.toLocaleString(lang)} B)
                </dd>
              </>
            )}
            <dt>{t("browser.modified")}</dt>
            <dd data-testid="info-modified">{formatDate(entry.updatedAt, lang)}</dd>
            <dt>{t("browser.created")}</dt>
            <dd>{formatDate(entry.createdAt, lang)}</dd>
            <dt>{t("info.location")}</dt>
            <dd className="uri">{displayName(entry.uri)}</dd>
          </dl>
          {entry.kind === "file" && (
            <VersionsSection
              key={entry.uri}
              accountId={accountId}
              entry={entry}
              onChanged={(changed) => {
                setFresh(changed);
                onEntryChanged?.(changed);
              }}
            />
          )}
        </>
      )}
    </aside>
  );
}
