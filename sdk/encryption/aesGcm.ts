import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

// AES-256-GCM of message content on Node: node:crypto, synchronous (~8 µs for a small message,
// where WebCrypto's asynchronous call costs ~25 µs and a turn of the event loop). Browser builds
// map this file to aesGcm.browser.ts (WebCrypto), through the "browser" field of package.json.
// Both produce nonce (12 bytes) || ciphertext || tag (16 bytes).

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** Seals `plaintext` under the 32-byte `key` with a fresh random nonce, binding `additionalData`. */
export function sealContent(key: Uint8Array, plaintext: Uint8Array, additionalData: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, nonce);
  cipher.setAAD(additionalData);
  return Buffer.concat([nonce, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** The plaintext of `sealContent`'s output; throws when it does not authenticate under `key` and `additionalData`. */
export function openContent(key: Uint8Array, sealed: Uint8Array, additionalData: Uint8Array): Uint8Array {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new RangeError(`sealed data is ${sealed.length} bytes, shorter than a nonce and a tag`);
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, NONCE_BYTES));
  decipher.setAAD(additionalData);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
}
