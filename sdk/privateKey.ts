import type { Hex } from "viem";

/** Whether `value` is a private key as the SDK takes it: 0x and 64 hex digits. */
export function isPrivateKey(value: unknown): value is Hex {
  return typeof value === "string" && /^0x[0-9a-fA-F]{64}$/.test(value);
}
