import { hashTypedData, type Address, type Hex } from "viem";
import { setBounded } from "../message/boundedMap";
import { curveBackend, keccak256 } from "../message/crypto";
import { bytesToHex, hexToBytes } from "../message/hex";
import { splitSignature } from "../message/signature";
import type { MessageDomain } from "../message/types";
import { parseAccessGrant, parseDelegation } from "./parse";
import { accessGrantTypedData, delegationTypedData } from "./typedData";
import type { SignedAccessGrant, SignedDelegation } from "./types";

/** The address whose key made a canonical signature of `digest`, or undefined. */
export function recoverSigner(digest: Uint8Array, signature: Hex): Address | undefined {
  const split = splitSignature(signature);
  if (split === undefined) return undefined;
  const publicKey = curveBackend().recoverPublicKey(digest, split.compact, split.recoveryId);
  return publicKey && (bytesToHex(keccak256(publicKey.subarray(1)).subarray(12)) as Address);
}

/** The holder who signed `delegation` for `domain` (undefined when the signature recovers nobody). */
export function recoverDelegationSigner(delegation: SignedDelegation, domain: MessageDomain): Address | undefined {
  return recoverSigner(hexToBytes(hashTypedData(delegationTypedData(delegation, domain))), delegation.signature);
}

/** The account that signed `grant` for `domain`. */
export function recoverAccessGrantSigner(grant: SignedAccessGrant, domain: MessageDomain): Address | undefined {
  return recoverSigner(hexToBytes(hashTypedData(accessGrantTypedData(grant, domain))), grant.signature);
}

/**
 * Whether `grant` is signed by its `issuer` for `domain`. Only the signature: whether the
 * issuer holds Grant, and what the grant allows, are `checkAccessGrant`'s.
 *
 * @example
 * verifyAccessGrant(parseAccessGrant(json), domain); // true or false
 */
export function verifyAccessGrant(grant: SignedAccessGrant, domain: MessageDomain): boolean {
  return recoverAccessGrantSigner(grant, domain) === grant.issuer;
}

/** A parsed delegation or grant and who signed it (undefined: the signature recovers nobody). */
export interface Resolved<T> {
  struct: T;
  signer: Address | undefined;
}

/**
 * Parses and recovers each distinct delegation or grant once: what one validator (or relay)
 * keeps, so that the messages of a session cost no more than plain ones.
 */
export interface AuthorityMemo {
  /** parseDelegation (InvalidDelegationError when malformed) and its signer. */
  delegation(value: unknown): Resolved<SignedDelegation>;
  /** parseAccessGrant (InvalidAccessGrantError when malformed) and its signer. */
  accessGrant(value: unknown): Resolved<SignedAccessGrant>;
}

const MAX_REMEMBERED = 4096;

/** Whether `value` has exactly the fields of `known`, each equal (arrays element by element). */
function sameStruct(value: unknown, known: object): boolean {
  if (typeof value !== "object" || value === null) return false;
  const fields = value as Record<string, unknown>;
  let count = 0;
  for (const name in known) {
    const expected = (known as Record<string, unknown>)[name];
    const actual = fields[name];
    count++;
    if (actual === expected) continue;
    if (!Array.isArray(expected) || !Array.isArray(actual) || actual.length !== expected.length) return false;
    for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) return false;
  }
  return Object.keys(fields).length === count;
}

function memoOf<T extends { signature: Hex }>(
  domain: MessageDomain,
  parse: (value: unknown) => T,
  recover: (struct: T, domain: MessageDomain) => Address | undefined,
  maxSize: number,
): (value: unknown) => Resolved<T> {
  // Keyed by signature, and a hit must match every field: another struct under the same
  // signature recovers another address, so it is parsed and recovered afresh.
  const known = new Map<Hex, Resolved<T>>();
  return (value) => {
    const signature = (value as { signature?: unknown } | null)?.signature;
    const hit = typeof signature === "string" ? known.get(signature as Hex) : undefined;
    if (hit !== undefined && sameStruct(value, hit.struct)) return hit;
    const struct = parse(value);
    const resolved = { struct, signer: recover(struct, domain) };
    setBounded(known, struct.signature, resolved, maxSize);
    return resolved;
  };
}

/** An AuthorityMemo for one domain, remembering up to `maxSize` delegations and as many grants. */
export function createAuthorityMemo(domain: MessageDomain, maxSize = MAX_REMEMBERED): AuthorityMemo {
  return {
    delegation: memoOf(domain, parseDelegation, recoverDelegationSigner, maxSize),
    accessGrant: memoOf(domain, parseAccessGrant, recoverAccessGrantSigner, maxSize),
  };
}
