import type { Address } from "viem";
import type { RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import { readRegistry } from "./readRegistry";

export interface GetUnusedNoncesParameters {
  /** Whose nonces. */
  signer: Address;
  /** How many (default 1, at most 256). */
  count?: number;
}

export type GetUnusedNoncesReturnType = bigint[];

/**
 * The signer's lowest `count` nonces that no signed change used and the signer did not cancel,
 * read from the registry's `nonceBitmap`, word by word from word 0. Filling words in order keeps
 * signed changes cheap: only the first nonce of each 256 pays for a new storage word. Nonces
 * handed out here are not reserved: to sign several changes before sending any, take them from
 * one call (`count`), not from several.
 *
 * @param context The registry context.
 * @param parameters The signer and how many nonces.
 * @returns Unused nonces, ascending.
 * @throws InvalidArgumentError on a count outside 1..256; RpcError when the node fails.
 * @example
 * const [first, second] = await getUnusedNonces(client.context, { signer, count: 2 });
 */
export async function getUnusedNonces(context: RegistryContext, { signer, count = 1 }: GetUnusedNoncesParameters): Promise<GetUnusedNoncesReturnType> {
  if (!Number.isSafeInteger(count) || count < 1 || count > 256) throw new InvalidArgumentError(`count must be from 1 to 256, got ${count}`);
  const nonces: bigint[] = [];
  for (let word = 0n; nonces.length < count; word++) {
    const bits = await readRegistry(context, { functionName: "nonceBitmap", args: [signer, word] });
    for (let bit = 0n; bit < 256n && nonces.length < count; bit++) {
      if (((bits >> bit) & 1n) === 0n) nonces.push((word << 8n) | bit);
    }
  }
  return nonces;
}
