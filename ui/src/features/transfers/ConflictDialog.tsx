import { useState } from "react";
import type { ConflictChoice, ConflictDecision, PlannedUpload } from "../../backend";
import { Dialog } from "../../components/Dialog";
import { SafeName } from "../../components/SafeName";
import { useI18n } from "../../i18n";
import { displayName } from "../../lib/displayName";

/** The answer to a conflict dialog: a plan-wide choice plus per-item exceptions. */
export interface ConflictAnswer {
  conflict: ConflictChoice;
  decisions: ConflictDecision[];
}

/**
 * Turns one choice per conflicting item into the `transfers_start_upload`
 * arguments: the most recent choice becomes the default and only the items
 * that differ from it are listed.
 */
export function summariseDecisions(decisions: ConflictDecision[]): ConflictAnswer {
  const conflict = decisions.length ? decisions[decisions.length - 1].conflict : "keepBoth";
  return { conflict, decisions: decisions.filter((d) => d.conflict !== conflict) };
}

/**
 * Shown BEFORE an upload starts when some items already exist. Walks through
 * the conflicts one by one; "apply to all" answers the rest at once.
 */
export function ConflictDialog({
  plan,
  onResolve,
  onCancel,
}: {
  plan: PlannedUpload;
  onResolve: (answer: ConflictAnswer) => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const [index, setIndex] = useState(0);
  const [decisions, setDecisions] = useState<ConflictDecision[]>([]);
  const [applyAll, setApplyAll] = useState(false);
  const total = plan.conflicts.length;
  const current = plan.conflicts[index];

  function choose(choice: ConflictChoice) {
    const rest = applyAll ? plan.conflicts.slice(index) : [current];
    const next = [...decisions, ...rest.map((c) => ({ uri: c.uri, conflict: choice }))];
    if (next.length >= total) onResolve(summariseDecisions(next));
    else {
      setDecisions(next);
      setIndex(index + 1);
    }
  }

  return (
    <Dialog title={t("conflict.title")} onClose={onCancel} testId="conflict-dialog">
      <p>{t("conflict.intro", { count: total, items: plan.items })}</p>
      {total > 1 && <p className="muted small">{t("conflict.progress", { index: index + 1, count: total })}</p>}
      <p className="conflict-name" data-testid="conflict-name" title={displayName(current.name)}>
        <SafeName name={current.name} />
      </p>
      {total > 1 && (
        <label className="checkbox">
          <input type="checkbox" checked={applyAll} onChange={(e) => setApplyAll(e.target.checked)} data-testid="conflict-apply-all" />
          {t("conflict.applyAll")}
        </label>
      )}
      <div className="dialog-footer">
        <button type="button" onClick={() => choose("skip")} data-testid="conflict-skip">
          {t("conflict.skip")}
        </button>
        <button type="button" onClick={() => choose("keepBoth")} data-testid="conflict-keepBoth">
          {t("conflict.keepBoth")}
        </button>
        <button type="button" className="danger" onClick={() => choose("overwrite")} data-testid="conflict-overwrite">
          {t("conflict.overwrite")}
        </button>
      </div>
    </Dialog>
  );
}
