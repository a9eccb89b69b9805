import type { CurveBackend, KeccakBackend } from "./backend";

// Browser builds map this file to native.browser.ts (the "browser" field of package.json),
// so bundlers never see these requires. On Node each addon is optional: if its prebuilt
// binary does not load, the caller falls back to @noble.

interface NativeSecp256k1 {
  ecdsaSign(digest: Uint8Array, privateKey: Uint8Array): { signature: Uint8Array; recid: number };
  ecdsaRecover(signature: Uint8Array, recid: number, digest: Uint8Array, compressed: boolean): Uint8Array;
}

/** The XKCP sponge the `keccak` package wraps in a stream; used directly, it costs one object per process. */
interface NativeKeccakState {
  initialize(rate: number, capacity: number): void;
  absorb(data: Uint8Array): void;
  squeeze(length: number): Uint8Array;
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

export function loadNativeKeccak(): KeccakBackend | undefined {
  let state: NativeKeccakState;
  try {
    const path = require("node:path") as typeof import("node:path");
    const nodeGypBuild = require("node-gyp-build") as (dir: string) => new () => NativeKeccakState;
    state = new (nodeGypBuild(path.dirname(require.resolve("keccak/package.json"))))();
  } catch {
    return undefined;
  }
  return {
    name: "native",
    keccak256(data) {
      state.initialize(1088, 512); // keccak256: rate 1088 bits, capacity 512
      state.absorb(data);
      return state.squeeze(32);
    },
  };
}
