import { secp256k1 } from "@noble/curves/secp256k1";
import type { Hex } from "viem";
import { bytesToHex, hexToBytes } from "./hex";

/** A signature split for the curve backends. */
export interface SplitSignature {
  /** r || s, 64 bytes. */
  compact: Uint8Array;
  recoveryId: number;
}

const N = secp256k1.CURVE.n;
const HALF_N = N >> 1n;
// Big-endian bytes of n/2: s is "low" when its bytes do not exceed these.
const HALF_N_BYTES = hexToBytes(`0x${HALF_N.toString(16).padStart(64, "0")}`);

function isLowS(compact: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const difference = compact[32 + i] - HALF_N_BYTES[i];
    if (difference !== 0) return difference < 0;
  }
  return true;
}

/**
 * Splits a 0x 65-byte signature r || s || v. Only the canonical encoding passes: v 27 or 28
 * and s in the lower half of the curve order (EIP-2), so each message has exactly one valid
 * signature per key and a signature cannot be altered into another valid one.
 */
export function splitSignature(signature: Hex): SplitSignature | undefined {
  const bytes = hexToBytes(signature);
  const v = bytes[64];
  if (bytes.length !== 65 || (v !== 27 && v !== 28)) return undefined;
  const compact = bytes.subarray(0, 64);
  return isLowS(compact) ? { compact, recoveryId: v - 27 } : undefined;
}

export function joinSignature(compact: Uint8Array, recoveryId: number): Hex {
  return `${bytesToHex(compact)}${recoveryId === 0 ? "1b" : "1c"}`; // v = 27 + recoveryId
}

/**
 * Brings a signature from a wallet or library into the canonical form: v 0/1 becomes
 * 27/28 and a high s becomes n - s with the other recovery id (the same signature, EIP-2).
 */
export function canonicalSignature(signature: Hex): Hex {
  const bytes = hexToBytes(signature);
  const recoveryId = bytes[64] >= 27 ? bytes[64] - 27 : bytes[64];
  const parsed = secp256k1.Signature.fromCompact(bytes.subarray(0, 64));
  if (!parsed.hasHighS()) return joinSignature(bytes.subarray(0, 64), recoveryId);
  return joinSignature(new secp256k1.Signature(parsed.r, N - parsed.s).toCompactRawBytes(), recoveryId ^ 1);
}
