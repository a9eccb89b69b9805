import type { ContractFunctionArgs, ContractFunctionName, ContractFunctionReturnType } from "viem";
import { readContract } from "viem/actions";
import { streamRegistryAbi } from "../abi";
import { assertChain, type RegistryContext } from "../context";
import { toKeywayError } from "../toKeywayError";

type ViewName = ContractFunctionName<typeof streamRegistryAbi, "view" | "pure">;

/** Calls a registry view (at `blockNumber`, else latest), with reverts and RPC failures as `KeywayError`s. */
export async function readRegistry<F extends ViewName>(
  context: RegistryContext,
  functionName: F,
  args: ContractFunctionArgs<typeof streamRegistryAbi, "view" | "pure", F>,
  blockNumber?: bigint,
): Promise<ContractFunctionReturnType<typeof streamRegistryAbi, "view" | "pure", F>> {
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
    return result as ContractFunctionReturnType<typeof streamRegistryAbi, "view" | "pure", F>;
  } catch (error) {
    throw toKeywayError(error);
  }
}
