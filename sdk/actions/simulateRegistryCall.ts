import type { Address } from "viem";
import { simulateContract } from "viem/actions";
import { streamRegistryAbi } from "../abi";
import type { RegistryContext } from "../context";
import type { RegistryCall } from "../signedChange/registryCall";
import { toKeywayError } from "../toKeywayError";

export interface SimulateRegistryCallParameters {
  /** The write, as `grantPermissionsCall`, `createStreamCall`… build it. */
  call: RegistryCall;
  /** Who would send it: the registry judges the call as this account's. */
  account: Address;
}

export type SimulateRegistryCallReturnType = void;

/**
 * Runs a registry write as an `eth_call` from `account` on the context's public client (as
 * wagmi apps simulate before the wallet prompt): nothing is signed or sent. Resolves when the
 * registry would accept it, whoever then sends it (the account, or a relay sponsoring its
 * signed change, which the registry judges as the signer's).
 *
 * @param context The client's context (`client.context`).
 * @param parameters The call and the account it would come from.
 * @returns Nothing: it resolves when the registry would accept the call.
 * @throws UnauthorizedError, StreamNotFoundError, StreamAlreadyExistsError… (the registry's
 * custom error, decoded), or RpcError when the node could not be asked.
 * @example
 * await simulateRegistryCall(client.context, { call: grantPermissionsCall({ streamId, assignments }), account });
 */
export async function simulateRegistryCall(context: RegistryContext, { call, account }: SimulateRegistryCallParameters): Promise<SimulateRegistryCallReturnType> {
  try {
    await simulateContract(context.publicClient, {
      address: context.registryAddress,
      abi: streamRegistryAbi,
      functionName: call.functionName,
      args: call.args,
      account,
    } as Parameters<typeof simulateContract>[1]);
  } catch (error) {
    throw toKeywayError(error);
  }
}
