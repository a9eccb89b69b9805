import { type Address, zeroAddress } from "viem";
import { holderAddress, streamKeyOf } from "../sdk";
import type { SignedAccessGrant } from "../sdk/delegation/types";
import { type Connection, holderOf } from "./connection";
import { cachedPermissionExpiry, permissionSourceOf } from "../sdk/actions/getPermissionExpiry";
import type { RegistryContext } from "../sdk/context";
import type { PermissionExpiryQuery, PermissionSource } from "../sdk/permissions";
import type { RelayContext } from "./context";
import type { RelayLimits } from "./options";
import { ErrorCode } from "../sdk/relay/protocol";
import { RequestError } from "./requestError";

/**
 * Whether the SDK's cache holds everything a subscribe's check reads: the stream's existence
 * and the entry its admission hangs on (a grant's issuer's; else the public's, and the signed-in
 * holder's, a session key's connection signing in as its holder).
 */
function answeredByCache(relay: RelayContext, connection: Connection, streamId: string, grant: SignedAccessGrant | undefined): boolean {
  const { cache } = relay.client.context;
  const streamKey = streamKeyOf(streamId);
  const nowMs = Date.now();
  const exists = cache.existence(streamKey, nowMs);
  if (exists !== true) return exists === false;
  const known = (holder: Address) => cache.get(streamKey, holder, nowMs) !== undefined;
  if (grant !== undefined) return known(holderAddress({ userId: grant.issuer }));
  const holder = holderOf(connection);
  return known(zeroAddress) && (holder === undefined || known(holderAddress({ userId: holder })));
}

/** The node reads requests make, each kind counted against its relay-wide limit. */
const READS = {
  subscribeReads: { limitOf: (limits: RelayLimits) => limits.maxSubscribeReads, what: "subscribes' checks" },
  publishReads: { limitOf: (limits: RelayLimits) => limits.maxPublishReads, what: "publishes' checks" },
} as const;

export type NodeReadKind = keyof typeof READS;

/**
 * Runs a read of the chain node that a request made, counted among the relay's `kind` reads in
 * flight; when its limit of them are under way it is refused RATE_LIMITED before reading. Per
 * connection, rates bound how often a client may ask; this bounds what all of them together
 * make the node do at once.
 */
export async function countedRead<T>({ inFlight, limits }: Pick<RelayContext, "inFlight" | "limits">, kind: NodeReadKind, read: () => T | Promise<T>): Promise<T> {
  const { limitOf, what } = READS[kind];
  const limit = limitOf(limits);
  if (inFlight[kind] >= limit) throw new RequestError(ErrorCode.RATE_LIMITED, `the relay is reading ${limit} ${what} from the chain already: try again shortly`);
  inFlight[kind] += 1;
  try {
    return await read();
  } finally {
    inFlight[kind] -= 1;
  }
}

/**
 * Runs a subscribe's check (`check`: existence, then admission). One the cache cannot answer
 * reads the chain node and counts among the relay's `maxSubscribeReads`. The per-connection
 * `subscribeRate` allows a burst of `subscribeLimit + subscribeRate` on each of
 * `maxConnections`: the node is not to see them all.
 */
export async function checkSubscribe<T>(relay: RelayContext, connection: Connection, streamId: string, grant: SignedAccessGrant | undefined, check: () => Promise<T>): Promise<T> {
  if (answeredByCache(relay, connection, streamId, grant)) return check();
  return countedRead(relay, "subscribeReads", check);
}

/**
 * The validator's permission source for the relay's publishes: a warm cache answers at once;
 * a miss (a publisher or stream the cache does not know: a fresh key costs one) reads the node
 * counted among `maxPublishReads`. Publishing needs no sign-in, so without it fresh keys would
 * make the node read without bound. Concurrent misses of the same query share one counted read,
 * as the SDK shares the node read itself: a burst of one publisher's messages on a stream not
 * cached yet is one read, not one per message.
 */
export function boundedPermissionSource(context: RegistryContext, relay: Pick<RelayContext, "inFlight" | "limits">): PermissionSource {
  const source = permissionSourceOf(context);
  const reading = new Map<string, Promise<number>>();
  function read(query: PermissionExpiryQuery): Promise<number> {
    const key = `${query.streamId}|${query.userId}|${query.permission}|${query.allowPublic}`;
    let shared = reading.get(key);
    if (shared === undefined) {
      shared = countedRead(relay, "publishReads", () => source.getPermissionExpiry(query)).finally(() => reading.delete(key));
      reading.set(key, shared);
    }
    return shared;
  }
  return {
    getPermissionExpiry: (query) => cachedPermissionExpiry(context, query) ?? read(query),
  };
}
