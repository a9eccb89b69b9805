import { type RegistryCall, signChange } from "keyway";
import type { TransactionReceipt } from "viem";
import { getBalance } from "viem/actions";
import type { ConnectedAccount } from "./account";
import type { Transactions } from "./transactions";

/**
 * Runs a permission write as the transaction log shows it: sent by the account itself when it
 * holds ETH; otherwise, with a relay (npm start's sponsors changes), signed by the account (one
 * EIP-712 prompt showing the change) and sent by the relay, which pays the gas.
 */
export async function writeOrSponsor(
  account: ConnectedAccount,
  relayUrl: string | undefined,
  transactions: Transactions,
  label: string,
  call: RegistryCall,
  direct: () => Promise<TransactionReceipt>,
): Promise<{ result: TransactionReceipt } | { error: string }> {
  const { client } = account;
  const sponsored = relayUrl !== undefined && (await getBalance(client.context.publicClient, { address: account.address }).catch(() => 1n)) === 0n;
  if (!sponsored) return transactions.run(label, direct);
  return transactions.run(`${label} (signed, sent by the relay: no ETH needed)`, async () =>
    client.sponsorChange(await signChange(client.context, { call }), { onSent: transactions.onSent }),
  );
}
