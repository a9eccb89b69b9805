import { type Address, zeroAddress } from "viem";
import { holderAddress, type HolderSelector } from "../assignments";
import type { ExpiriesReading, PermissionCache } from "../cache";
import type { RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import { type Expiries, permissionIndex, PUBLIC_PERMISSIONS, type StreamPermission } from "../permissions";
import { normalizeStreamId } from "../streamId";
import { latestChainTime } from "./chainTime";
import { readRegistry } from "./readRegistry";

/**
 * A permission question: does this user (also through the public, with `allowPublic`), or does
 * the public, hold `permission` on the stream now?
 */
export type PermissionQuery = HolderSelector & {
  streamId: string;
  permission: StreamPermission;
  /**
   * For a user: count a permission the public holds (default false). Public permissions, one rule
   * for the contract, the SDK and the CLI (docs/contract.md, "Public permissions"): the public
   * holds only publish and subscribe, and whether its permission counts for a user is part of
   * the question. The SDK counts it only with `allowPublic: true` (as the Streamr SDK); the
   * registry's `hasPermission` counts it, and the CLI's `permission check` unless `--no-public`.
   */
  allowPublic?: boolean;
};

/**
 * The unix-seconds expiry of the permission the query's holder holds now: the later of the
 * direct one and, with `allowPublic`, the public one; 0 when not held; `FOREVER` when held
 * forever. Compared with the chain's clock, not the local one. Answered from `cache` when it
 * holds the entries.
 */
export async function getPermissionExpiry(context: RegistryContext, query: PermissionQuery, cache?: PermissionCache): Promise<number> {
  if (query === null || typeof query !== "object") throw new InvalidArgumentError("A permission query must be an object");
  const streamId = normalizeStreamId(query.streamId);
  const index = permissionIndex(query.permission);
  const holders: Address[] = [holderAddress(query)];
  if (query.allowPublic === true && holders[0] !== zeroAddress && PUBLIC_PERMISSIONS.includes(query.permission)) {
    holders.push(zeroAddress);
  }
  const load = (missing: Address[]) => readHolderExpiries(context, streamId, missing);
  const { expiries, nowSeconds } = cache
    ? await cache.read(streamId, holders, load)
    : await load(holders).then((reading) => ({ expiries: reading.expiries, nowSeconds: reading.at.timestamp }));
  return Math.max(0, ...expiries.map((held) => held[index]).filter((expiry) => expiry > nowSeconds));
}

/** Whether the query's holder holds the permission now: `getPermissionExpiry(...) > 0`. */
export async function hasPermission(context: RegistryContext, query: PermissionQuery, cache?: PermissionCache): Promise<boolean> {
  return (await getPermissionExpiry(context, query, cache)) > 0;
}

/** Holders' expiries on a stream with the latest block's time, read concurrently (one batch over a batching transport). */
export async function readHolderExpiries(context: RegistryContext, streamId: string, holders: readonly Address[]): Promise<ExpiriesReading> {
  const [at, ...expiries] = await Promise.all([
    latestChainTime(context),
    ...holders.map((holder) => readRegistry(context, "getPermissionsForUser", [streamId, holder])),
  ]);
  return { at, expiries: expiries as Expiries[] };
}
