import { type Hex, isHex } from "viem";

/** The revert data a JSON-RPC error carries: `data` itself (geth, anvil) or `data.data` (Hardhat). */
export function revertDataOf(error: unknown): Hex | undefined {
  const data = (error as { data?: unknown } | null)?.data;
  const hex = typeof data === "object" && data !== null ? (data as { data?: unknown }).data : data;
  return typeof hex === "string" && isHex(hex) ? hex : undefined;
}

/**
 * A JSON-RPC error that carries revert data is an execution revert: it gets code 3, as geth
 * answers. Hardhat answers -32603 (internal error), which viem retries with backoff, so each
 * revert would take over a second to surface.
 */
export function withRevertCode<E extends { code?: unknown }>(error: E): E {
  return revertDataOf(error) !== undefined && error.code !== 3 ? { ...error, code: 3 } : error;
}
