import { type Address, encodeEventTopics, keccak256, numberToHex, parseEventLogs, toBytes } from "viem";
import { streamRegistryAbi } from "../abi";
import { decodeAssignment } from "../assignments";
import { blockRanges } from "../blockRanges";
import type { RegistryContext } from "../context";
import type { PermissionAssignment } from "../permissions";
import { normalizeStreamId } from "../streamId";
import { toKeywayError } from "../toKeywayError";
import { latestChainTime } from "./chainTime";
import { readRegistry } from "./readRegistry";

/** How many `eth_getLogs` pages are asked for at once (one batch over a batching transport). */
const PAGES_IN_FLIGHT = 8;
/** The two events that name a stream's holders: a creation starts the list afresh. */
const HOLDER_EVENTS = streamRegistryAbi.filter(
  (item) => item.type === "event" && (item.name === "StreamCreated" || item.name === "PermissionsUpdated"),
);

export interface GetPermissionsParameters {
  streamId: string;
}

export type GetPermissionsReturnType = PermissionAssignment[];

/**
 * Everyone who holds a permission on the stream now, rebuilt without an indexer: the holders
 * named by the stream's `PermissionsUpdated` logs since its creation block (paged by
 * `logPageSize`), each read back from contract state at one pinned block and compared with
 * that block's timestamp, so expired permissions are left out.
 *
 * Order: holders in the order they first received a permission in the stream's current
 * incarnation (so the creator comes first), the public included at its place in that order.
 * Throws `StreamNotFoundError` for a stream that does not exist.
 *
 * @example
 * const assignments = await getPermissions(client.context, { streamId });
 */
export async function getPermissions(context: RegistryContext, parameters: GetPermissionsParameters): Promise<GetPermissionsReturnType> {
  const id = normalizeStreamId(parameters.streamId);
  const now = await latestChainTime(context);
  const createdAt = await readRegistry(context, { functionName: "getStreamCreationBlock", args: [id], blockNumber: now.blockNumber });
  const holders = await permissionHolders(context, id, createdAt, now.blockNumber);
  const expiries = await Promise.all(
    holders.map((holder) => readRegistry(context, { functionName: "getPermissionsForUser", args: [id, holder], blockNumber: now.blockNumber })),
  );
  return holders.flatMap((holder, i) => decodeAssignment(holder, expiries[i], now.timestamp) ?? []);
}

/**
 * Every address named in the stream's `PermissionsUpdated` logs in `fromBlock..toBlock` after
 * its last `StreamCreated`, first appearance first: a deletion and a re-creation can share the
 * creation block, and the old incarnation's logs in that block must not count (nor come first).
 */
async function permissionHolders(context: RegistryContext, streamId: string, fromBlock: bigint, toBlock: bigint): Promise<Address[]> {
  const streamKey = keccak256(toBytes(streamId));
  // Both events carry `streamKey` as their first indexed topic: one filter, one request a page.
  const topics = [HOLDER_EVENTS.map((event) => encodeEventTopics({ abi: [event] })[0]), streamKey];
  const ranges = blockRanges(fromBlock, toBlock, context.logPageSize);
  const holders = new Set<Address>();
  for (let i = 0; i < ranges.length; i += PAGES_IN_FLIGHT) {
    const pages = await Promise.all(
      ranges.slice(i, i + PAGES_IN_FLIGHT).map((range) =>
        context.publicClient
          .request({
            method: "eth_getLogs",
            params: [{ address: context.registryAddress, topics, fromBlock: numberToHex(range.fromBlock), toBlock: numberToHex(range.toBlock) }],
          })
          .catch((error: unknown) => {
            throw toKeywayError(error);
          }),
      ),
    );
    for (const log of parseEventLogs({ abi: HOLDER_EVENTS, logs: pages.flat() as never, strict: true })) {
      if (log.eventName === "StreamCreated") holders.clear();
      else holders.add(log.args.holder.toLowerCase() as Address);
    }
  }
  return [...holders];
}
