import { getAddress, isAddressEqual, type TransactionReceipt } from "viem";
import { getChainId, getContractEvents } from "viem/actions";
import { streamRegistryAbi } from "../abi";
import type { RegistryContext } from "../context";
import { InvalidSignatureError, NonceCancelledError, NonceUsedError } from "../errors";
import { bySigCall, type SignedChange } from "../signedChange/signedChange";
import { toKeywayError } from "../toKeywayError";
import { writeRegistry, type RegistryWriteName, type WriteParameters } from "./writeRegistry";

export interface SubmitSignedChangeParameters extends WriteParameters {
  signedChange: SignedChange;
}

export type SubmitSignedChangeReturnType = TransactionReceipt;

/**
 * Sends a signed change from the context's account (which pays the gas; it needs no permission
 * on the stream) and resolves with the receipt. The change is simulated first, so a refused one
 * costs nothing and sends nothing: it throws the registry's reason as a typed error.
 *
 * @param context The registry context with the submitting account.
 * @param parameters The signed change (`signChange`, `parseSignedChange`) and transaction overrides.
 * @returns The receipt of the `…BySig` transaction.
 * @throws InvalidSignatureError when it was signed for another chain or registry, or its
 * signature does not match the change; SignatureExpiredError after its deadline;
 * NonceUsedError, NonceCancelledError; and whatever the direct write would throw for the signer
 * (UnauthorizedError, StreamNotFoundError...).
 * @example
 * const receipt = await submitSignedChange(client.context, { signedChange: parseSignedChange(text) });
 */
export async function submitSignedChange(
  context: RegistryContext,
  { signedChange, ...write }: SubmitSignedChangeParameters,
): Promise<SubmitSignedChangeReturnType> {
  const { chainId, registryAddress, signer, nonce } = signedChange;
  const actualChainId = context.expectedChainId ?? (await getChainId(context.publicClient).catch((error: unknown) => Promise.reject(toKeywayError(error))));
  if (chainId !== actualChainId || !isAddressEqual(registryAddress, context.registryAddress)) {
    throw new InvalidSignatureError(
      signer,
      `signed for the registry ${getAddress(registryAddress)} on chain ${chainId}, not ${context.registryAddress} on chain ${actualChainId}`,
    );
  }
  const call = bySigCall(signedChange) as { functionName: RegistryWriteName; args: never };
  try {
    return await writeRegistry(context, { ...call, ...write });
  } catch (error) {
    if (error instanceof NonceUsedError && (await wasCancelled(context, signedChange))) {
      throw new NonceCancelledError(signer, nonce, { cause: error });
    }
    throw error;
  }
}

/**
 * Whether the signer cancelled the change's nonce: the bitmap holds used and cancelled nonces
 * alike, so the cancellation events tell them apart. A node that cannot answer (a log range too
 * wide for it) leaves the nonce reported as used.
 */
async function wasCancelled(context: RegistryContext, { signer, nonce }: SignedChange): Promise<boolean> {
  try {
    const events = await getContractEvents(context.publicClient, {
      address: context.registryAddress,
      abi: streamRegistryAbi,
      eventName: "UnorderedNonceInvalidation",
      args: { signer },
      fromBlock: "earliest",
    });
    return events.some(({ args }) => args.wordPos === nonce >> 8n && ((args.mask! >> (nonce & 0xffn)) & 1n) === 1n);
  } catch {
    return false;
  }
}
