import { createContext, useContext, useMemo, type ReactNode } from "react";
import type { Account, Capabilities } from "../../backend";
import { useI18n } from "../../i18n";
import { FULL_CAPABILITIES, unavailable, type Feature } from "../../lib/capabilities";

/** What the pages need to know about the account they show. */
export interface AccountFeatures {
  caps: Capabilities;
  /** Where browsing starts, in the provider's own addressing. */
  rootUri: string;
  /** "Cloudreve 4", "Cloudreve 3", "123pan": named in the reasons. */
  providerName: string;
}

const DEFAULT: AccountFeatures = { caps: FULL_CAPABILITIES, rootUri: "cloudreve://my", providerName: "Cloudreve 4" };
const Ctx = createContext<AccountFeatures>(DEFAULT);

/** Provides the active account's capabilities to the pages below it. */
export function AccountFeaturesProvider({ account, children }: { account: Account; children: ReactNode }) {
  const value = useMemo(
    () => ({ caps: account.capabilities, rootUri: account.rootUri, providerName: account.provider.name }),
    [account.capabilities, account.rootUri, account.provider.name],
  );
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

/** The active account's features; without a provider, a Cloudreve 4 account's (tests, demo). */
export function useAccountFeatures(): AccountFeatures & { reason: (feature: Feature) => string | null } {
  const features = useContext(Ctx);
  const { t } = useI18n();
  return useMemo(
    () => ({
      ...features,
      reason: (feature: Feature) => {
        const key = unavailable(features.caps, feature);
        return key ? t(key, { provider: features.providerName }) : null;
      },
    }),
    [features, t],
  );
}
