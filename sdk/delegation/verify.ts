import { hashTypedData, type Address, type Hex } from "viem";
import { setBounded } from "../message/boundedMap";
import { curveBackend, keccak256 } from "../message/crypto";
import { bytesToHex, hexToBytes } from "../message/hex";
import { splitSignature } from "../message/signature";
import type { MessageDomain } from "../message/types";
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

/** Recovers each distinct delegation or grant once: what one validator (or relay) keeps. */
export interface SignerMemo {
  delegationSigner(delegation: SignedDelegation): Address | undefined;
  accessGrantSigner(grant: SignedAccessGrant): Address | undefined;
}

const MAX_REMEMBERED = 4096;

/**
 * A memo of recovered signers for one domain. Keys are the whole signed struct, never the
 * signature alone: another struct under the same signature recovers another address.
 */
export function createSignerMemo(domain: MessageDomain, maxSize = MAX_REMEMBERED): SignerMemo {
  const signers = new Map<string, Address | undefined>();
  function remember<T>(key: string, value: T, recover: (value: T, domain: MessageDomain) => Address | undefined) {
    if (signers.has(key)) return signers.get(key);
    const signer = recover(value, domain);
    setBounded(signers, key, signer, maxSize);
    return signer;
  }
  return {
    delegationSigner: (d) =>
      remember(`d${d.signature}${d.delegate}${d.permissions}|${d.expiresAt}${d.salt}${JSON.stringify(d.streamIds)}`, d, recoverDelegationSigner),
    accessGrantSigner: (g) =>
      remember(`g${g.signature}${g.grantee}${g.permissions}|${g.expiresAt}${g.salt}${g.streamId}`, g, recoverAccessGrantSigner),
  };
}
