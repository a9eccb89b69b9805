import { importAesKey, openAesGcm, sealAesGcm } from "./webCrypto";

// Browser stand-in for aesGcm.ts (mapped by the "browser" field of package.json): WebCrypto,
// with each key imported once.

const imported = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function cryptoKeyOf(key: Uint8Array): Promise<CryptoKey> {
  let cryptoKey = imported.get(key);
  if (cryptoKey === undefined) imported.set(key, (cryptoKey = importAesKey(key)));
  return cryptoKey;
}

export async function sealContent(key: Uint8Array, plaintext: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  return sealAesGcm(await cryptoKeyOf(key), plaintext, additionalData);
}

export async function openContent(key: Uint8Array, sealed: Uint8Array, additionalData: Uint8Array): Promise<Uint8Array> {
  return openAesGcm(await cryptoKeyOf(key), sealed, additionalData);
}
