import type { ContractFunctionArgs, ContractFunctionName, ContractFunctionReturnType } from "viem";
import { readContract } from "viem/actions";
import { streamRegistryAbi } from "../abi";
import { assertChain, type RegistryContext } from "../context";
import { toKeywayError } from "../toKeywayError";

export type RegistryViewName = ContractFunctionName<typeof streamRegistryAbi, "view" | "pure">;

export interface ReadRegistryParameters<F extends RegistryViewName> {
  functionName: F;
  args: ContractFunctionArgs<typeof streamRegistryAbi, "view" | "pure", F>;
  /** The block read at; the latest when left out. */
  blockNumber?: bigint;
}

export type ReadRegistryReturnType<F extends RegistryViewName> = ContractFunctionReturnType<typeof streamRegistryAbi, "view" | "pure", F>;

/**
 * Calls a registry view (at `blockNumber`, else latest), with reverts and RPC failures as `KeywayError`s.
 *
 * @example
 * const metadata = await readRegistry(client.context, { functionName: "getStreamMetadata", args: [streamId] });
 */
export async function readRegistry<F extends RegistryViewName>(
  context: RegistryContext,
  { functionName, args, blockNumber }: ReadRegistryParameters<F>,
): Promise<ReadRegistryReturnType<F>> {
  try {
    // The chain check runs alongside the call: over a batching transport both share one request.
    const [result] = await Promise.all([
      readContract(context.publicClient, {
        address: context.registryAddress,
        abi: streamRegistryAbi,
        functionName,
        args,
        blockNumber,
      } as Parameters<typeof readContract>[1]),
      assertChain(context),
    ]);
    return result as ReadRegistryReturnType<F>;
  } catch (error) {
    throw toKeywayError(error);
  }
}
