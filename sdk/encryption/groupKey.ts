import type { Address } from "viem";
import { bytesToHex } from "../message/hex";
import { openContent, sealContent } from "./aesGcm";
import { KEY_BYTES, randomBytes } from "./webCrypto";

/**
 * A publisher's content key for one stream: AES-256-GCM. `id` is what its messages name in
 * `groupKeyId`; keys are told apart by publisher and id (two publishers may pick the same id).
 */
export interface GroupKey {
  /** The publisher (lowercase) whose messages this key encrypts. */
  publisher: Address;
  id: string;
  /** The raw 32 bytes: wrapped for each recipient, never sent in clear. */
  raw: Uint8Array;
}

/** A fresh random key for `publisher`, with a random 128-bit id. */
export function createGroupKey(publisher: Address): GroupKey {
  return { publisher, id: bytesToHex(randomBytes(16)).slice(2), raw: randomBytes(KEY_BYTES) };
}

/** A key received from another client: throws RangeError unless `raw` is 32 bytes. */
export function importGroupKey(publisher: Address, id: string, raw: Uint8Array): GroupKey {
  if (raw.length !== KEY_BYTES) throw new RangeError(`a group key is ${KEY_BYTES} bytes, got ${raw.length}`);
  return { publisher, id, raw };
}

const encoder = new TextEncoder();

/**
 * What the ciphertext is bound to besides its key: the stream, the publisher and the key id.
 * The signature binds the ciphertext to its position; this stops a publisher that holds another
 * publisher's key from passing that one's ciphertext off as its own, or as another stream's.
 */
function contentAad(streamId: string, key: GroupKey): Uint8Array {
  return encoder.encode(`keyway/content/v1\n${streamId}\n${key.publisher}\n${key.id}`);
}

/**
 * The content of a message of `streamId` published by `key.publisher`, encrypted: nonce ||
 * ciphertext || tag. Synchronous on Node (node:crypto), a promise in browsers (WebCrypto).
 */
export function encryptContent(streamId: string, key: GroupKey, plaintext: Uint8Array): Uint8Array | Promise<Uint8Array> {
  return sealContent(key.raw, plaintext, contentAad(streamId, key));
}

/** The plaintext of `encryptContent`'s output; throws (rejects, in browsers) when it does not authenticate under `key`. */
export function decryptContent(streamId: string, key: GroupKey, ciphertext: Uint8Array): Uint8Array | Promise<Uint8Array> {
  return openContent(key.raw, ciphertext, contentAad(streamId, key));
}
