import { type RegistryCall, signChange } from "keyway";
import type { TransactionReceipt } from "viem";
import { getBalance } from "viem/actions";
import type { ConnectedAccount } from "./account";
import { useReading } from "./reading";
import { simulationOf } from "./simulation";
import type { Transactions } from "./transactions";

/** Runs a permission write and logs it: `call` is what the account signs when the relay sends it, `direct` the account's own transaction. */
export type SendWrite = (label: string, call: RegistryCall, direct: () => Promise<TransactionReceipt>) => Promise<{ result: TransactionReceipt } | { error: string }>;

/**
 * Permission writes as the transaction log shows them: sent by the account itself when it holds
 * ETH; otherwise, with a relay (npm start's sponsors changes), signed by the account (one
 * EIP-712 prompt showing the change) and sent by the relay, which pays the gas. Either way the
 * call is simulated as the account's first, so a refused change asks the wallet nothing. The balance is
 * read when the account or `refreshKey` changes, so a click starts its log line at once.
 */
export function useSponsoredWrites(account: ConnectedAccount, relayUrl: string | undefined, transactions: Transactions, refreshKey: number): SendWrite {
  const { client } = account;
  const { value: balance } = useReading(() => getBalance(client.context.publicClient, { address: account.address }), account.address, refreshKey);
  const sponsored = relayUrl !== undefined && balance === 0n;
  return (label, call, direct) =>
    sponsored
      ? transactions.run(`${label} (signed, sent by the relay: no ETH needed)`, simulationOf(account, () => call), async () =>
          client.sponsorChange(await signChange(client.context, { call }), { onSent: transactions.onSent }),
        )
      : transactions.run(label, simulationOf(account, () => call), direct);
}
