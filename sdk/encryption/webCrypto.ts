// The primitives end-to-end encryption uses, all from WebCrypto, which Node 20 and browsers
// both have natively (no hand-written crypto, no extra dependency): AES-256-GCM for content and
// for wrapped keys, X25519 to agree on a wrapping key, HKDF-SHA-256 to derive it.

const subtle = (): SubtleCrypto => globalThis.crypto.subtle;
// WebCrypto's types want bytes over an ArrayBuffer (not a SharedArrayBuffer): all bytes here are.
const bytes = (data: Uint8Array) => data as Uint8Array<ArrayBuffer>;

/** Bytes of an AES-GCM nonce (96 bits, the size GCM is specified for). */
export const NONCE_BYTES = 12;
/** Bytes of an AES-256 key. */
export const KEY_BYTES = 32;
/** Bytes of an X25519 public key. */
export const PUBLIC_KEY_BYTES = 32;
/** Bytes the AES-GCM authentication tag adds. */
export const TAG_BYTES = 16;

export function randomBytes(length: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(length));
}

/** An AES-256-GCM key for encrypt and decrypt, not extractable. */
export function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  return subtle().importKey("raw", bytes(raw), "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** nonce || ciphertext || tag, under a fresh random nonce (a key encrypts at most ~2^32 contents: see docs/encryption.md, key lifetimes). */
export async function sealAesGcm(key: CryptoKey, plaintext: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  const nonce = randomBytes(NONCE_BYTES);
  const sealed = new Uint8Array(await subtle().encrypt({ name: "AES-GCM", iv: bytes(nonce), additionalData: bytes(additionalData) }, key, bytes(plaintext)));
  const out = new Uint8Array(NONCE_BYTES + sealed.length);
  out.set(nonce);
  out.set(sealed, NONCE_BYTES);
  return out;
}

/** The plaintext of `sealAesGcm`'s output; rejects (an OperationError) when it does not authenticate. */
export async function openAesGcm(key: CryptoKey, sealed: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) throw new RangeError(`sealed data is ${sealed.length} bytes, shorter than a nonce and a tag`);
  const iv = bytes(sealed.subarray(0, NONCE_BYTES));
  return new Uint8Array(await subtle().decrypt({ name: "AES-GCM", iv, additionalData: bytes(additionalData) }, key, bytes(sealed.subarray(NONCE_BYTES))));
}

/** An X25519 key pair: the private half stays inside WebCrypto, never extractable. */
export interface AgreementKeyPair {
  privateKey: CryptoKey;
  /** The raw 32-byte public key. */
  publicKey: Uint8Array;
}

export async function generateAgreementKeyPair(): Promise<AgreementKeyPair> {
  const pair = (await subtle().generateKey({ name: "X25519" }, false, ["deriveBits"])) as CryptoKeyPair;
  return { privateKey: pair.privateKey, publicKey: new Uint8Array(await subtle().exportKey("raw", pair.publicKey)) };
}

/**
 * The AES-256-GCM key both sides of an X25519 agreement derive: HKDF-SHA-256 over the shared
 * secret, salted with both public keys (sender's, then recipient's) so that it is bound to this pair.
 */
export async function agreeWrappingKey(privateKey: CryptoKey, peerPublicKey: Uint8Array, salt: Uint8Array, info: string): Promise<CryptoKey> {
  const peer = await subtle().importKey("raw", bytes(peerPublicKey), { name: "X25519" }, false, []);
  const shared = await subtle().deriveBits({ name: "X25519", public: peer }, privateKey, 256);
  const secret = await subtle().importKey("raw", shared, "HKDF", false, ["deriveKey"]);
  return subtle().deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: bytes(salt), info: new TextEncoder().encode(info) },
    secret,
    { name: "AES-GCM", length: 256 },
    false,
    ["encrypt", "decrypt"],
  );
}
