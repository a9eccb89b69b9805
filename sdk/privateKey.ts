import type { Hex } from "viem";

/** The order of secp256k1's group: a private key is a number from 1 to N - 1. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Whether `value` is a private key as the SDK takes it: 0x and 64 hex digits of a number from 1 to n-1. */
export function isPrivateKey(value: unknown): value is Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{64}$/.test(value)) return false;
  const scalar = BigInt(value);
  return scalar > 0n && scalar < SECP256K1_N;
}
