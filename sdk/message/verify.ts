import { equalBytes } from "@noble/curves/abstract/utils";
import type { Address } from "viem";
import { setBounded } from "./boundedMap";
import { curveBackend, keccak256 } from "./crypto";
import { domainSeparator, hashWithSeparator } from "./hash";
import { bytesToHex } from "./hex";
import { parseSignedStreamMessage } from "./parse";
import { splitSignature } from "./signature";
import type { MessageDomain, SignedStreamMessage } from "./types";

const MAX_CACHED_KEYS = 4096;
/** Publisher address -> its uncompressed public key, learnt from a signature that recovered it. */
const publicKeys = new Map<string, Uint8Array>();

function addressOf(publicKey: Uint8Array): Address {
  return bytesToHex(keccak256(publicKey.subarray(1)).subarray(12)) as Address;
}

/** What recovering a message's signer takes: its digest and its canonical signature, split. */
export interface RecoveryInput {
  digest: Uint8Array;
  /** r || s, 64 bytes. */
  signature: Uint8Array;
  recoveryId: number;
}

/** Recovers, elsewhere (another thread), the 65-byte public key that made a signature; undefined: nobody. */
export type RecoverPublicKeyAsync = (input: RecoveryInput) => Promise<Uint8Array | undefined>;

/** The recovery a message's signature needs in `separator`'s domain; undefined for a malformed or non-canonical signature. */
export function recoveryInputOf(message: SignedStreamMessage, separator: Uint8Array): RecoveryInput | undefined {
  // `message` has been through parseSignedStreamMessage: lowercase hex, fields in range.
  const signature = splitSignature(message.signature);
  return signature && { digest: hashWithSeparator(message, separator), signature: signature.compact, recoveryId: signature.recoveryId };
}

/**
 * Whether a recovered key is `signer`'s. Always judged on a full recovery with the signature's
 * own v (verifying against a cached key would accept v flipped); a signer's cached key only
 * replaces the keccak of the recovered key by a comparison.
 */
export function isKeyOf(recovered: Uint8Array | undefined, signer: Address): boolean {
  if (recovered === undefined) return false;
  const known = publicKeys.get(signer);
  if (known !== undefined && equalBytes(known, recovered)) return true;
  if (addressOf(recovered) !== signer) return false;
  setBounded(publicKeys, signer, recovered.slice(), MAX_CACHED_KEYS); // a copy: `recovered` may be a view of a larger buffer
  return true;
}

/** Recovers the public key in this thread, at once (undefined: nobody). */
export function recoverInThread({ digest, signature, recoveryId }: RecoveryInput): Uint8Array | undefined {
  return curveBackend().recoverPublicKey(digest, signature, recoveryId);
}

/**
 * Whether the signature is the publisher's (or `signer`'s: a session key signs as its
 * holder), over this message in this domain, recovered in this thread.
 */
export function isSignedByPublisher(message: SignedStreamMessage, separator: Uint8Array, signer: Address = message.publisher): boolean {
  const input = recoveryInputOf(message, separator);
  return input !== undefined && isKeyOf(recoverInThread(input), signer);
}

/**
 * Checks the signature only (not permissions, time or chain: see the MessageValidator).
 * Throws InvalidMessageError if the message is malformed; returns false for a signature
 * that is malformed, not canonical (high s, v other than 27/28) or not the publisher's.
 */
export function verifyStreamMessage(message: SignedStreamMessage, domain: MessageDomain): boolean {
  return isSignedByPublisher(parseSignedStreamMessage(message), domainSeparator(domain));
}
