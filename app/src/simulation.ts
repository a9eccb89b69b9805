import { type RegistryCall, simulateRegistryCall } from "keyway";
import type { ConnectedAccount } from "./account";

/**
 * The check a write runs before the wallet is asked: the call simulated as the account's on
 * the public client, so a refusal is the registry's decoded error ("Not authorised: …") and
 * the wallet shows no prompt for a write that would fail.
 *
 * @param account Who would send the write.
 * @param call Builds the call (`grantPermissionsCall`, `createStreamCall`…).
 * @returns The check for `transactions.run`.
 */
export function simulationOf(account: ConnectedAccount, call: () => RegistryCall): () => Promise<void> {
  // The call is built inside the check: a path or id the SDK refuses is the write's failure too.
  return async () => simulateRegistryCall(account.client.context, { call: call(), account: account.address });
}
