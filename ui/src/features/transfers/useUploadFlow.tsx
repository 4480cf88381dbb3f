import { useCallback, useState } from "react";
import { toBackendError, useBackend, type PlannedUpload } from "../../backend";
import { useToast } from "../../components/Toast";
import { useErrorText } from "../../i18n";
import { useSettings } from "../settings/SettingsContext";
import { ConflictDialog } from "./ConflictDialog";

/**
 * Upload flow shared by the buttons, Ctrl+U and OS drops: get a plan from
 * Rust, ask about conflicts first if the policy says so, then start.
 * Returns the trigger functions (`run` takes any plan source, e.g. "Upload with Cirrus") and
 * the dialog element to render.
 */
export function useUploadFlow(accountId: string) {
  const backend = useBackend();
  const toast = useToast();
  const errorText = useErrorText();
  const { settings } = useSettings();
  const [pending, setPending] = useState<PlannedUpload | null>(null);

  const start = useCallback(
    async (plan: PlannedUpload) => {
      try {
        if (plan.conflicts.length > 0 && settings.conflictPolicy === "ask") {
          setPending(plan);
          return;
        }
        // Without conflicts the choice is irrelevant; keepBoth never destroys data.
        const policy = settings.conflictPolicy === "ask" ? "keepBoth" : settings.conflictPolicy;
        await backend.startUpload(plan.planId, policy, []);
      } catch (e) {
        toast(errorText(toBackendError(e)), "error");
      }
    },
    [backend, settings.conflictPolicy, toast, errorText],
  );

  const run = useCallback(
    async (getPlan: () => Promise<PlannedUpload | null>) => {
      try {
        const plan = await getPlan();
        if (plan) await start(plan);
      } catch (e) {
        toast(errorText(toBackendError(e)), "error");
      }
    },
    [start, toast, errorText],
  );

  const pick = useCallback(
    (parentUri: string, folders: boolean) => run(() => backend.pickUpload(accountId, parentUri, folders)),
    [run, backend, accountId],
  );
  const drop = useCallback(
    (parentUri: string, dropAccountId?: string) => run(() => backend.planDrop(dropAccountId ?? accountId, parentUri)),
    [run, backend, accountId],
  );

  const dialog = pending && (
    <ConflictDialog
      plan={pending}
      onCancel={() => setPending(null)}
      onResolve={(answer) => {
        setPending(null);
        backend.startUpload(pending.planId, answer.conflict, answer.decisions).catch((e) => toast(errorText(toBackendError(e)), "error"));
      }}
    />
  );

  return { pick, drop, run, dialog };
}
