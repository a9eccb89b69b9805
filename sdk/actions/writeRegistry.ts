import { type ContractFunctionArgs, type ContractFunctionName, type Hash, isAddressEqual, type TransactionReceipt } from "viem";
import { simulateContract, waitForTransactionReceipt, writeContract } from "viem/actions";
import { streamRegistryAbi } from "../abi";
import { assertChain, assertRegistryDeployed, type RegistryContext } from "../context";
import { ContractError, MissingSignerError } from "../errors";
import { toKeywayError } from "../toKeywayError";
import { changesOf } from "../watchRegistry";

/** What every write's parameters also take: viem-style transaction overrides and a hook for the hash. */
export interface WriteParameters {
  gas?: bigint;
  nonce?: number;
  maxFeePerGas?: bigint;
  maxPriorityFeePerGas?: bigint;
  /** Called with the transaction hash (and the registry function) as soon as the node accepted it, before the receipt. */
  onSent?: (hash: Hash, functionName: string) => void;
}

export type RegistryWriteName = ContractFunctionName<typeof streamRegistryAbi, "nonpayable">;
export type RegistryWriteArgs<F extends RegistryWriteName> = ContractFunctionArgs<typeof streamRegistryAbi, "nonpayable", F>;

export interface WriteRegistryParameters<F extends RegistryWriteName> extends WriteParameters {
  functionName: F;
  args: RegistryWriteArgs<F>;
}

export type WriteRegistryReturnType = TransactionReceipt;

/**
 * Simulates a registry call (so a revert surfaces as its decoded custom error and no gas is
 * spent on it), sends it, and resolves with the receipt once mined.
 *
 * @example
 * const receipt = await writeRegistry(client.context, { functionName: "deleteStream", args: [streamId], gas: 100_000n });
 */
export async function writeRegistry<F extends RegistryWriteName>(
  context: RegistryContext,
  { functionName, args, onSent, ...overrides }: WriteRegistryParameters<F>,
): Promise<WriteRegistryReturnType> {
  const { walletClient, publicClient, registryAddress } = context;
  if (walletClient === undefined) throw new MissingSignerError(functionName);
  await Promise.all([assertChain(context), assertRegistryDeployed(context)]);
  try {
    const { request } = await simulateContract(publicClient, {
      address: registryAddress,
      abi: streamRegistryAbi,
      functionName,
      args,
      account: walletClient.account,
      ...overrides,
    } as Parameters<typeof simulateContract>[1]);
    // `chain: null` when none is configured: viem then skips its own chain assertion, which
    // JSON-RPC accounts would otherwise fail without a chain (assertChain did the check).
    const chain = walletClient.chain ?? null;
    const hash = await writeContract(walletClient, { ...request, chain } as Parameters<typeof writeContract>[1]);
    onSent?.(hash, functionName);
    return await settleWrite(context, hash, functionName);
  } catch (error) {
    throw toKeywayError(error);
  }
}

/**
 * Waits for a registry write sent by anyone (this client, or a relay sponsoring it) to be
 * mined, and drops from the cache what it changed, so the next read asks the node.
 *
 * @throws ContractError when it reverted.
 */
export async function settleWrite(context: RegistryContext, hash: Hash, functionName: string): Promise<TransactionReceipt> {
  const receipt = await waitForTransactionReceipt(context.publicClient, { hash });
  if (receipt.status !== "success") throw new ContractError(`Transaction ${hash} (${functionName}) reverted`);
  context.cache.dropChanged(changesOf(receipt.logs.filter((log) => isAddressEqual(log.address, context.registryAddress))));
  return receipt;
}
