import { type Address, zeroAddress } from "viem";
import { holderAddress, type HolderSelector } from "../assignments";
import { type BlockRef, readLatestBlock } from "../blocks";
import type { ExpiriesReading } from "../cache";
import { assertChain, type RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import { type Expiries, permissionIndex, type StreamPermission } from "../permissions";
import { streamRefOf, type StreamRef } from "../streamId";
import { readRegistry } from "./readRegistry";

/**
 * A permission question: does this user (also through the public, with `allowPublic`), or does
 * the public, hold `permission` on the stream now?
 */
export type PermissionQuery = HolderSelector & {
  streamId: string;
  permission: StreamPermission;
  /** For a user: count a permission the public holds. */
  allowPublic?: boolean;
};

/** Publish and Subscribe, the only permissions the public may hold, by contract index. */
const PUBLISH_INDEX = 2;
const SUBSCRIBE_INDEX = 3;
/** What a holder that is not asked about holds. */
const NOTHING: Expiries = [0, 0, 0, 0, 0];

/**
 * The unix-seconds expiry of the permission the query's holder holds now: the later of the
 * direct one and, with `allowPublic`, the public one; 0 when not held; `FOREVER` when held
 * forever. Compared with the chain's clock, not the local one. Answered from the context's
 * cache when it holds the entries (no RPC, no allocation), else read at the latest block.
 *
 * @example
 * const expiry = await getPermissionExpiry(client.context, { streamId, userId, permission: StreamPermission.PUBLISH, allowPublic: true });
 */
export async function getPermissionExpiry(context: RegistryContext, query: PermissionQuery): Promise<number> {
  if (query === null || typeof query !== "object") throw new InvalidArgumentError("A permission query must be an object");
  const stream = streamRefOf(query.streamId);
  const index = permissionIndex(query.permission);
  const holder = holderAddress(query);
  const withPublic = query.allowPublic === true && holder !== zeroAddress && (index === PUBLISH_INDEX || index === SUBSCRIBE_INDEX);
  const { cache } = context;
  const direct = cache.get(stream.key, holder);
  const shared = withPublic ? cache.get(stream.key, zeroAddress) : NOTHING;
  if (direct !== undefined && shared !== undefined) return heldUntil(direct[index], shared[index], cache.chainNowSeconds());
  const missing = [...(direct === undefined ? [holder] : []), ...(shared === undefined ? [zeroAddress] : [])];
  const reading = await readHolderExpiries(context, stream, missing);
  cache.store(stream.key, missing, reading);
  const read = (address: Address) => reading.expiries[missing.indexOf(address)];
  return heldUntil((direct ?? read(holder))[index], (shared ?? read(zeroAddress))[index], reading.at.timestamp);
}

/**
 * Whether the query's holder holds the permission now: `getPermissionExpiry(...) > 0`.
 *
 * @example
 * if (await hasPermission(client.context, { streamId, public: true, permission: StreamPermission.SUBSCRIBE })) { … }
 */
export async function hasPermission(context: RegistryContext, query: PermissionQuery): Promise<boolean> {
  return (await getPermissionExpiry(context, query)) > 0;
}

/** The later of two expiries that is still ahead of `nowSeconds`, else 0. */
function heldUntil(direct: number, shared: number, nowSeconds: number): number {
  const expiry = direct > shared ? direct : shared;
  return expiry > nowSeconds ? expiry : 0;
}

/**
 * Holders' expiries on a stream, pinned to one block: the latest one's header is read first
 * (with the chain check), then every call runs at its number (together: one batch over a
 * batching transport). Reading and block therefore agree, which lets the cache keep it.
 */
export async function readHolderExpiries(
  context: RegistryContext,
  stream: StreamRef,
  holders: readonly Address[],
  at?: BlockRef,
): Promise<ExpiriesReading> {
  const [block] = at === undefined ? await Promise.all([readLatestBlock(context), assertChain(context)]) : [at];
  const expiries = await Promise.all(holders.map((holder) => readRegistry(context, "getPermissionsForUser", [stream.id, holder], block.blockNumber)));
  return { at: block, expiries: expiries as Expiries[] };
}
