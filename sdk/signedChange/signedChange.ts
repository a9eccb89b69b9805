/**
 * A signed change: a registry write, its signer's EIP-712 signature and replay protection, and
 * the registry it was signed for. Anyone may submit it (`submitSignedChange`), as a file
 * (`keyway tx submit`) or through a relay; it applies as if its signer had sent the write.
 */
import { decodeFunctionData, encodeFunctionData, getAddress, type Hex, isAddress, isHex } from "viem";
import { streamRegistryAbi } from "../abi";
import { InvalidArgumentError } from "../errors";
import { type RegistryCall, SIGNABLE_FUNCTION_NAMES, type SignableFunctionName } from "./registryCall";
import type { RegistryDomain, SignedBy } from "./typedData";

export type SignedChange = RegistryCall & RegistryDomain & SignedBy & { signature: Hex };

/** The `…BySig` call that submits `change`: the direct function's arguments, then `(signer, nonce, deadline)` and the signature. */
export function bySigCall(change: SignedChange): { functionName: `${SignableFunctionName}BySig`; args: readonly unknown[] } {
  const { signer, nonce, deadline, signature } = change;
  return { functionName: `${change.functionName}BySig`, args: [...change.args, { signer, nonce, deadline }, signature] };
}

/** Marks the JSON of a signed change (`keyway … --sign-only` prints it, `keyway tx submit` reads it). */
export const SIGNED_CHANGE_FORMAT = "keyway-signed-change/1";

/**
 * A signed change as JSON text: the call, domain and signature, with `nonce` and `deadline`
 * as decimal strings (JSON has no bigint).
 *
 * @param change The signed change.
 * @returns One line of JSON, `parseSignedChange`'s input.
 * @example
 * await writeFile("grant.json", signedChangeToJSON(await signChange(client.context, { call })));
 */
export function signedChangeToJSON(change: SignedChange): string {
  const { functionName, args, chainId, registryAddress, signer, nonce, deadline, signature } = change;
  return JSON.stringify({
    format: SIGNED_CHANGE_FORMAT,
    chainId,
    registryAddress,
    functionName,
    args,
    signer,
    nonce: nonce.toString(),
    deadline: deadline.toString(),
    signature,
  });
}

/**
 * Reads and checks a signed change as `signedChangeToJSON` wrote it. Every field is checked
 * for its shape (the arguments by encoding them against the registry's ABI); whether the
 * signature is valid only the registry decides.
 *
 * @param text JSON text.
 * @returns The signed change, its arguments in viem's types.
 * @throws InvalidArgumentError when the text is not a signed change.
 * @example
 * const change = parseSignedChange(await readFile("grant.json", "utf8"));
 */
export function parseSignedChange(text: string): SignedChange {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new InvalidArgumentError(`Not a signed change: invalid JSON (${(error as Error).message})`, { cause: error });
  }
  const invalid = (field: string) => new InvalidArgumentError(`Not a signed change: ${field} is missing or malformed`);
  if (value === null || typeof value !== "object" || value.format !== SIGNED_CHANGE_FORMAT) throw invalid(`format (expected "${SIGNED_CHANGE_FORMAT}")`);
  const { chainId, registryAddress, functionName, args, signer, nonce, deadline, signature } = value;
  if (!Number.isSafeInteger(chainId) || (chainId as number) <= 0) throw invalid("chainId");
  if (typeof registryAddress !== "string" || !isAddress(registryAddress, { strict: false })) throw invalid("registryAddress");
  if (typeof functionName !== "string" || !(SIGNABLE_FUNCTION_NAMES as readonly string[]).includes(functionName)) throw invalid("functionName");
  if (!Array.isArray(args)) throw invalid("args");
  if (typeof signer !== "string" || !isAddress(signer, { strict: false })) throw invalid("signer");
  const uint256 = (field: string, text: unknown) => {
    if (typeof text !== "string" || !/^\d{1,78}$/.test(text) || BigInt(text) >= 2n ** 256n) throw invalid(field);
    return BigInt(text);
  };
  const by = { signer: getAddress(signer), nonce: uint256("nonce", nonce), deadline: uint256("deadline", deadline) };
  if (typeof signature !== "string" || !isHex(signature, { strict: true }) || signature.length % 2 !== 0) throw invalid("signature");
  let decoded: readonly unknown[];
  try {
    // Encoding checks every argument against the ABI; decoding gives them back in viem's types.
    const data = encodeFunctionData({ abi: streamRegistryAbi, functionName: functionName as SignableFunctionName, args } as Parameters<typeof encodeFunctionData>[0]);
    decoded = decodeFunctionData({ abi: streamRegistryAbi, data }).args ?? [];
  } catch (error) {
    throw new InvalidArgumentError(`Not a signed change: args do not fit ${functionName} (${(error as Error).message.split("\n")[0]})`, { cause: error });
  }
  return {
    functionName,
    args: decoded,
    chainId,
    registryAddress: getAddress(registryAddress),
    ...by,
    signature,
  } as SignedChange;
}
