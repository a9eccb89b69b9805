import { type Address, zeroAddress } from "viem";
import { holderAddress, streamKeyOf } from "../sdk";
import type { SignedAccessGrant } from "../sdk/delegation/types";
import { type Connection, holderOf } from "./connection";
import { type RelayContext } from "./context";
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

/**
 * Runs a subscribe's check (`check`: existence, then admission). One the cache cannot answer
 * reads the chain node and counts among the relay's `maxSubscribeReads`; beyond them it is
 * refused RATE_LIMITED before any read. The per-connection `subscribeRate` allows a burst of
 * `subscribeLimit + subscribeRate` on each of `maxConnections`: the node is not to see them all.
 */
export async function checkSubscribe<T>(relay: RelayContext, connection: Connection, streamId: string, grant: SignedAccessGrant | undefined, check: () => Promise<T>): Promise<T> {
  if (answeredByCache(relay, connection, streamId, grant)) return check();
  const { maxSubscribeReads } = relay.limits;
  if (relay.inFlight.subscribeReads >= maxSubscribeReads) {
    throw new RequestError(ErrorCode.RATE_LIMITED, `the relay is reading ${maxSubscribeReads} subscribes' permissions from the chain already: try again shortly`);
  }
  relay.inFlight.subscribeReads += 1;
  try {
    return await check();
  } finally {
    relay.inFlight.subscribeReads -= 1;
  }
}
