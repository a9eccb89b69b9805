import type { CurveBackend } from "./backend";

// Browser builds map this file to native.browser.ts (the "browser" field of package.json),
// so bundlers never see this require. On Node the addon is optional: if its prebuilt
// binary does not load, the caller falls back to @noble.

interface NativeSecp256k1 {
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, digest: Uint8Array, compressed: boolean): Uint8Array;
}

export function loadNativeCurve(): CurveBackend | undefined {
  let addon: NativeSecp256k1;
  try {
    addon = require("secp256k1/bindings") as NativeSecp256k1;
  } catch {
    return undefined;
  }
  return {
    name: "native",
    sign(digest, privateKey) {
      const { signature, recid } = addon.ecdsaSign(digest, privateKey);
      return { signature, recoveryId: recid };
    },
    recoverPublicKey(digest, signature, recoveryId) {
      try {
        return addon.ecdsaRecover(signature, recoveryId, digest, false);
      } catch {
        return undefined; // r or s out of range, or no point with that x
      }
    },
  };
}
