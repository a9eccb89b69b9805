import type { Address, Hex } from "viem";
import type { SignedAccessGrant, SignedDelegation } from "../delegation/types";

// The key exchange's wire shapes, in a leaf module: the relay protocol declares its frames with them.

/**
 * A subscriber's request for a publisher's group keys of a stream, signed by the requester (or
 * its session key), binding the one-time X25519 public key the answer must be wrapped to: a
 * relay that swaps the key breaks the signature.
 */
export interface KeyRequest {
  streamId: string;
  /** Who asks (lowercase): the Subscribe holder, a session key's holder, or an access grant's grantee. */
  requester: Address;
  /** Whose keys (lowercase): the publisher that named them in its messages. */
  publisher: Address;
  /** The requester's X25519 public key, 32 bytes. */
  publicKey: Hex;
  /** The keys wanted (at most `MAX_REQUESTED_KEYS`); none: the publisher's current key. */
  groupKeyIds: string[];
  /** Unix ms; answered only within `KEY_REQUEST_MAX_AGE_MS` of the answerer's clock. */
  timestamp: number;
}

export interface SignedKeyRequest extends KeyRequest {
  signature: Hex;
  /** Signed by a session key: its holder's delegation (with the Subscribe bit and the stream). */
  delegation?: SignedDelegation;
  /** Asked under an access grant to the requester (with the Subscribe bit). */
  grant?: SignedAccessGrant;
}

/**
 * Group keys wrapped to the one-time public key of a key request: the answer to it, or a
 * re-key pushed later to the same requester. Unsigned: a wrong key is caught by use (it does
 * not authenticate a message its publisher signed), and only the request's key can open it.
 */
export interface KeyResponse {
  streamId: string;
  /** The signature of the request whose public key the keys are wrapped to: names it, and binds the wrapping to it. */
  requestSignature: Hex;
  /** The answerer's fresh X25519 public key, 32 bytes. */
  publicKey: Hex;
  /** AES-256-GCM of the keys under HKDF(X25519(answerer's key, request's key)). */
  ciphertext: Hex;
}
