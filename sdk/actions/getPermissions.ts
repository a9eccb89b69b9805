import { type Address, keccak256, toBytes } from "viem";
import { getContractEvents } from "viem/actions";
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

/**
 * Everyone who holds a permission on the stream now, rebuilt without an indexer: the holders
 * named by the stream's `PermissionsUpdated` logs since its creation block (paged by
 * `logPageSize`), each read back from contract state at one pinned block and compared with
 * that block's timestamp, so expired permissions are left out.
 *
 * Order: holders in the order they first received a permission in the stream's current
 * incarnation (so the creator comes first), the public included at its place in that order.
 * Throws `StreamNotFoundError` for a stream that does not exist.
 */
export async function getPermissions(context: RegistryContext, streamId: string): Promise<PermissionAssignment[]> {
  const id = normalizeStreamId(streamId);
  const now = await latestChainTime(context);
  const createdAt = await readRegistry(context, "getStreamCreationBlock", [id], now.blockNumber);
  const holders = await permissionHolders(context, id, createdAt, now.blockNumber);
  const expiries = await Promise.all(
    holders.map((holder) => readRegistry(context, "getPermissionsForUser", [id, holder], now.blockNumber)),
  );
  return holders.flatMap((holder, i) => decodeAssignment(holder, expiries[i], now.timestamp) ?? []);
}

/** Every address named in the stream's `PermissionsUpdated` logs in `fromBlock..toBlock`, first appearance first. */
async function permissionHolders(context: RegistryContext, streamId: string, fromBlock: bigint, toBlock: bigint): Promise<Address[]> {
  const streamKey = keccak256(toBytes(streamId));
  const ranges = blockRanges(fromBlock, toBlock, context.logPageSize);
  const holders = new Set<Address>();
  for (let i = 0; i < ranges.length; i += PAGES_IN_FLIGHT) {
    const pages = await Promise.all(
      ranges.slice(i, i + PAGES_IN_FLIGHT).map((range) =>
        getContractEvents(context.publicClient, {
          address: context.registryAddress,
          abi: streamRegistryAbi,
          eventName: "PermissionsUpdated",
          args: { streamKey },
          ...range,
          strict: true,
        }).catch((error: unknown) => {
          throw toKeywayError(error);
        }),
      ),
    );
    for (const log of pages.flat()) holders.add(log.args.holder.toLowerCase() as Address);
  }
  return [...holders];
}
