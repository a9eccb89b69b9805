import { secp256k1 } from "@noble/curves/secp256k1";
import { keccak_256 } from "@noble/hashes/sha3";
import type { CurveBackend, KeccakBackend } from "./backend";

/** Pure JS: runs in browsers and wherever the native addons do not load. */
export const nobleCurve: CurveBackend = {
  name: "noble",
  sign(digest, privateKey) {
    const signature = secp256k1.sign(digest, privateKey, { lowS: true });
    return { signature: signature.toCompactRawBytes(), recoveryId: signature.recovery };
  },
  recoverPublicKey(digest, signature, recoveryId) {
    try {
      return secp256k1.Signature.fromCompact(signature)
        .addRecoveryBit(recoveryId)
        .recoverPublicKey(digest)
        .toRawBytes(false);
    } catch {
      return undefined; // r or s out of range, or no point with that x
    }
  },
};

export const nobleKeccak: KeccakBackend = { name: "noble", keccak256: keccak_256 };
