import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface CancelNoncesParameters extends WriteParameters {
  /** The signer's own nonces to cancel; all in one word of 256 (`nonce >> 8n` equal). */
  nonces: readonly bigint[];
}

export type CancelNoncesReturnType = TransactionReceipt;

/**
 * Cancels unused nonces of the context's signer in one transaction
 * (`invalidateUnorderedNonces`): signed changes carrying them are then refused with
 * `NonceCancelledError`. Nonces already used stay used.
 *
 * @param context The registry context, with the signer whose nonces these are.
 * @param parameters The nonces, all in one word.
 * @returns The receipt.
 * @throws InvalidArgumentError when the nonces are none or span several words; MissingSignerError without a signer.
 * @example
 * await cancelNonces(client.context, { nonces: [signedChange.nonce] });
 */
export async function cancelNonces(context: RegistryContext, { nonces, ...write }: CancelNoncesParameters): Promise<CancelNoncesReturnType> {
  if (nonces.length === 0) throw new InvalidArgumentError("No nonces to cancel");
  const word = nonces[0] >> 8n;
  if (nonces.some((nonce) => nonce < 0n || nonce >= 2n ** 256n || nonce >> 8n !== word)) {
    throw new InvalidArgumentError("Nonces to cancel must be uint256 values of one word (equal nonce >> 8)");
  }
  const mask = nonces.reduce((bits, nonce) => bits | (1n << (nonce & 0xffn)), 0n);
  return writeRegistry(context, { functionName: "invalidateUnorderedNonces", args: [word, mask], ...write });
}
