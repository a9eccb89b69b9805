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

/**
 * Whether the signature is the publisher's, over this message in this domain. Always a full
 * recovery with the signature's own v (verifying against a cached key would accept v flipped);
 * a publisher's cached key only replaces the keccak of the recovered key by a comparison.
 */
export function isSignedByPublisher(message: SignedStreamMessage, separator: Uint8Array): boolean {
  // `message` has been through parseSignedStreamMessage: lowercase hex, fields in range.
  const signature = splitSignature(message.signature);
  if (signature === undefined) return false;
  const recovered = curveBackend().recoverPublicKey(
    hashWithSeparator(message, separator),
    signature.compact,
    signature.recoveryId,
  );
  if (recovered === undefined) return false;
  const known = publicKeys.get(message.publisher);
  if (known !== undefined && equalBytes(known, recovered)) return true;
  if (addressOf(recovered) !== message.publisher) return false;
  setBounded(publicKeys, message.publisher, recovered, MAX_CACHED_KEYS);
  return true;
}

/**
 * Checks the signature only (not permissions, time or chain: see the MessageValidator).
 * Throws InvalidMessageError if the message is malformed; returns false for a signature
 * that is malformed, not canonical (high s, v other than 27/28) or not the publisher's.
 */
export function verifyStreamMessage(message: SignedStreamMessage, domain: MessageDomain): boolean {
  return isSignedByPublisher(parseSignedStreamMessage(message), domainSeparator(domain));
}
