/**
 * The development chain's fixed parts: Hardhat's funded test accounts and the registry
 * deployed by the first of them, through the deterministic deployment proxy (installed first),
 * so at the address it has on every chain. Shared by `npm start`, the app server, the tests and the
 * benchmarks.
 */
import { createWalletClient, http, toHex, type Hex } from "viem";
import { mnemonicToAccount, type HDAccount } from "viem/accounts";
import type { Deployment } from "../sdk/deployment";
import { deployDeterministicStreamRegistry } from "../sdk/deterministicDeployment";

/** Hardhat's public test mnemonic: its accounts are funded on every Hardhat node. */
const HARDHAT_MNEMONIC = "test test test test test test test test test test test junk";

export interface DevAccount {
  account: HDAccount;
  privateKey: Hex;
}

/** The first `count` funded accounts of a Hardhat node, with their (public, test-only) keys. */
export function devAccounts(count: number): DevAccount[] {
  return Array.from({ length: count }, (_, addressIndex) => {
    const account = mnemonicToAccount(HARDHAT_MNEMONIC, { addressIndex });
    return { account, privateKey: toHex(account.getHdKey().privateKey!) };
  });
}

/** Deploys StreamRegistry with the node's first account, as `keyway deploy` does (or finds it there). */
export async function deployLocalRegistry(rpcUrl: string): Promise<Deployment> {
  // No viem chain: the node's own chain id is used (a test may start one that is not 31337).
  const walletClient = createWalletClient({ account: devAccounts(1)[0].account, transport: http(rpcUrl) });
  const { deployment } = await deployDeterministicStreamRegistry(walletClient, { network: "localhost", installDeployer: true });
  return deployment;
}

/** Hardhat's account #9: pays for the signed changes the local relay sponsors (npm start, the app's tests); not among the accounts npm start prints. */
export function sponsorAccount(): DevAccount {
  return devAccounts(10)[9];
}
