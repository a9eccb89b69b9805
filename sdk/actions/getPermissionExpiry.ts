import { type Address, zeroAddress } from "viem";
import { holderAddress, type HolderSelector } from "../assignments";
import { type BlockRef, readLatestBlock } from "../blocks";
import type { ExpiriesReading } from "../cache";
import { assertChain, type RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import type { PermissionSource } from "../permissions";
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
  /**
   * For a user: count a permission the public holds (default false). Public permissions, one rule
   * for the contract, the SDK and the CLI (docs/contract.md, "Public permissions"): the public
   * holds only publish and subscribe, and whether its permission counts for a user is part of
   * the question. The SDK counts it only with `allowPublic: true` (as the Streamr SDK); the
   * registry's `hasPermission` counts it, and the CLI's `permission check` unless `--no-public`.
   */
  allowPublic?: boolean;
};

/** Publish and Subscribe, the only permissions the public may hold, by contract index. */
const PUBLISH_INDEX = 2;
const SUBSCRIBE_INDEX = 3;
/** The public's holder address, a module constant: reading viem's export goes through a getter in CommonJS. */
const PUBLIC: Address = zeroAddress;
/** What a holder that is not asked about holds. */
const NOTHING: Expiries = [0, 0, 0, 0, 0];

export type GetPermissionExpiryParameters = PermissionQuery;

/** Unix seconds: 0 when not held, `FOREVER` when held forever. */
export type GetPermissionExpiryReturnType = number;

/**
 * The unix-seconds expiry of the permission the query's holder holds now: the later of the
 * direct one and, with `allowPublic`, the public one; 0 when not held; `FOREVER` when held
 * forever. Compared with the chain's clock, not the local one. Answered from the context's
 * cache when it holds the entries (no RPC), else read at the latest block and cached.
 *
 * @example
 * const expiry = await getPermissionExpiry(client.context, { streamId, userId, permission: StreamPermission.PUBLISH, allowPublic: true });
 */
export async function getPermissionExpiry(context: RegistryContext, parameters: GetPermissionExpiryParameters): Promise<GetPermissionExpiryReturnType> {
  return expiryNow(context, parameters);
}

/** The cache's answer at once when it has the entries, else a read that caches them: what every query here starts with. */
function expiryNow(context: RegistryContext, query: PermissionQuery): number | Promise<number> {
  return cachedPermissionExpiry(context, query) ?? readExpiry(context, query);
}

/**
 * The context as a message validator's permission source (what the relay and the client's
 * subscribers validate with): a warm cache answers at once, with no promise to await, so a
 * message costs one cache lookup; a miss reads and caches as `getPermissionExpiry` does.
 *
 * @example
 * const validator = createMessageValidator({ domain, permissions: permissionSourceOf(client.context) });
 */
export function permissionSourceOf(context: RegistryContext): PermissionSource {
  return {
    getPermissionExpiry: (query) => expiryNow(context, query),
  };
}

export type HasPermissionParameters = PermissionQuery;

export type HasPermissionReturnType = boolean;

/**
 * Whether the query's holder holds the permission now: `getPermissionExpiry(...) > 0`.
 *
 * @example
 * if (await hasPermission(client.context, { streamId, public: true, permission: StreamPermission.SUBSCRIBE })) { … }
 */
export async function hasPermission(context: RegistryContext, parameters: HasPermissionParameters): Promise<HasPermissionReturnType> {
  const expiry = expiryNow(context, parameters);
  return (typeof expiry === "number" ? expiry : await expiry) > 0;
}

/** A query's stream, checked (an id is remembered once checked). */
function streamOf(query: PermissionQuery): StreamRef {
  if (query === null || typeof query !== "object") throw new InvalidArgumentError("A permission query must be an object");
  return streamRefOf(query.streamId);
}

/** Whether the public's entry counts too: asked for, for a user, and a permission the public can hold. */
function countsPublic(query: PermissionQuery, holder: Address, index: number): boolean {
  return query.allowPublic === true && holder !== PUBLIC && (index === PUBLISH_INDEX || index === SUBSCRIBE_INDEX);
}

/**
 * The expiry held now as far as the cache knows, or undefined when it lacks an entry the answer
 * needs (asking would read the node). The warm path: no RPC, no allocation.
 */
export function cachedPermissionExpiry(context: RegistryContext, query: PermissionQuery): number | undefined {
  const stream = streamOf(query);
  const index = permissionIndex(query.permission);
  const holder = holderAddress(query);
  const { cache } = context;
  const nowMs = Date.now();
  const direct = cache.get(stream.key, holder, nowMs);
  if (direct === undefined) return undefined;
  const shared = countsPublic(query, holder, index) ? cache.get(stream.key, PUBLIC, nowMs) : NOTHING;
  if (shared === undefined) return undefined;
  return heldUntil(direct[index], shared[index], cache.chainNowSeconds(nowMs));
}

/** Reads the query's holders at the latest block, caches them, and answers by that block's time. */
async function readExpiry(context: RegistryContext, query: PermissionQuery): Promise<number> {
  const stream = streamOf(query);
  const index = permissionIndex(query.permission);
  const holder = holderAddress(query);
  const holders = countsPublic(query, holder, index) ? [holder, PUBLIC] : [holder];
  const reading = await readLatestShared(context, stream, holders);
  const [direct, shared = NOTHING] = reading.expiries;
  return heldUntil(direct[index], shared[index], reading.at.timestamp);
}

/**
 * The holders' expiries at the latest block, then cached: one read for every concurrent miss of
 * the same entries (the relay validates a burst of publishes at once; each would read alike).
 * Forgotten as it settles, so a failure reaches all its waiters and the next miss reads afresh.
 * A query that joins it gets a block no older than the read's round trip: fresher than any
 * cached entry, which may be a polling interval behind.
 */
function readLatestShared(context: RegistryContext, stream: StreamRef, holders: readonly Address[]): Promise<ExpiriesReading> {
  const key = `${stream.key}|${holders.join("|")}`;
  const inFlight = context.permissionReads.get(key);
  if (inFlight !== undefined) return inFlight;
  const read = readHolderExpiries(context, { stream, holders })
    .then((reading) => {
      context.cache.store(stream.key, holders, reading);
      return reading;
    })
    .finally(() => context.permissionReads.delete(key));
  context.permissionReads.set(key, read);
  return read;
}

/** The later of two expiries that is still ahead of `nowSeconds`, else 0. */
function heldUntil(direct: number, shared: number, nowSeconds: number): number {
  const expiry = direct > shared ? direct : shared;
  return expiry > nowSeconds ? expiry : 0;
}

export interface ReadHolderExpiriesParameters {
  stream: StreamRef;
  holders: readonly Address[];
  /** The block read at; the latest (its header read first) when left out. */
  at?: BlockRef;
}

export type ReadHolderExpiriesReturnType = ExpiriesReading;

/**
 * Holders' expiries on a stream, pinned to one block: the latest one's header is read first
 * (with the chain check), then every call runs at its number (together: one batch over a
 * batching transport). Reading and block therefore agree, which lets the cache keep it.
 *
 * @example
 * const { at, expiries } = await readHolderExpiries(client.context, { stream: streamRefOf(streamId), holders: [userId, zeroAddress] });
 */
export async function readHolderExpiries(
  context: RegistryContext,
  { stream, holders, at }: ReadHolderExpiriesParameters,
): Promise<ReadHolderExpiriesReturnType> {
  const [block] = at === undefined ? await Promise.all([readLatestBlock(context), assertChain(context)]) : [at];
  const expiries = await Promise.all(
    holders.map((holder) => readRegistry(context, { functionName: "getPermissionsForUser", args: [stream.id, holder], blockNumber: block.blockNumber })),
  );
  return { at: block, expiries: expiries as Expiries[] };
}
