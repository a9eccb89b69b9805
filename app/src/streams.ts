import { FOREVER, type KeywayClient, STREAM_PERMISSIONS, type StreamPermission, streamRegistryAbi, unpackExpiries } from "keyway";
import type { Address, Hex } from "viem";
import { getBlock, getContractEvents } from "viem/actions";

/** A stream and the permissions an account holds on it now. */
export interface HeldStream {
  streamId: string;
  permissions: StreamPermission[];
  /** When those that expire do, in unix seconds (none for permissions held forever). */
  expiries: number[];
}

interface LogPosition {
  blockNumber: bigint;
  logIndex: number;
}

const after = (a: LogPosition, b: LogPosition | undefined) =>
  b === undefined || a.blockNumber > b.blockNumber || (a.blockNumber === b.blockNumber && a.logIndex > b.logIndex);

/**
 * The streams `holder` holds any permission on now, from the registry's logs alone (no
 * indexer): `PermissionsUpdated` is indexed by holder, so one query finds every stream key the
 * holder was ever named on; `StreamCreated` names those keys' streams. A holder's last update
 * since the stream's latest creation is its state (the registry's rule), and a stream deleted
 * after that creation is gone. Expiries are compared with the latest block's time.
 */
export async function listHeldStreams(client: KeywayClient, holder: Address, fromBlock: number): Promise<HeldStream[]> {
  const { publicClient, registryAddress, logPageSize } = client.context;
  const latest = await getBlock(publicClient);
  const inPages = <T>(query: (range: { fromBlock: bigint; toBlock: bigint }) => Promise<T[]>) =>
    pages(BigInt(fromBlock), latest.number, BigInt(logPageSize), query);
  const registry = { address: registryAddress, abi: streamRegistryAbi, strict: true } as const;
  const updates = await inPages((range) => getContractEvents(publicClient, { ...registry, ...range, eventName: "PermissionsUpdated", args: { holder } }));
  const keys = [...new Set(updates.map((log) => log.args.streamKey))];
  if (keys.length === 0) return [];
  const [creations, deletions] = await Promise.all([
    inPages((range) => getContractEvents(publicClient, { ...registry, ...range, eventName: "StreamCreated", args: { streamKey: keys } })),
    inPages((range) => getContractEvents(publicClient, { ...registry, ...range, eventName: "StreamDeleted", args: { streamKey: keys } })),
  ]);

  const created = new Map<Hex, LogPosition & { streamId: string }>();
  for (const log of creations) created.set(log.args.streamKey, { ...position(log), streamId: log.args.streamId });
  const deleted = new Map(deletions.map((log) => [log.args.streamKey, position(log)]));
  const expiries = new Map<Hex, bigint>();
  for (const log of updates) {
    const creation = created.get(log.args.streamKey);
    if (creation !== undefined && after(position(log), creation)) expiries.set(log.args.streamKey, log.args.expiries);
  }
  const now = Number(latest.timestamp);
  return [...created].flatMap(([key, creation]) => {
    const packed = expiries.get(key);
    const deletion = deleted.get(key);
    if (packed === undefined || (deletion !== undefined && after(deletion, creation))) return [];
    const held = unpackExpiries(packed);
    const permissions = STREAM_PERMISSIONS.filter((_, p) => held[p] > now);
    const ending = held.filter((expiry) => expiry > now && expiry !== FOREVER);
    return permissions.length === 0 ? [] : [{ streamId: creation.streamId, permissions, expiries: ending }];
  });
}

function position(log: { blockNumber: bigint; logIndex: number }): LogPosition {
  return { blockNumber: log.blockNumber, logIndex: log.logIndex };
}

/** `query` over `fromBlock..toBlock` in ranges of at most `size` blocks (hosted nodes cap `eth_getLogs` ranges), in order. */
async function pages<T>(fromBlock: bigint, toBlock: bigint, size: bigint, query: (range: { fromBlock: bigint; toBlock: bigint }) => Promise<T[]>): Promise<T[]> {
  const results: T[] = [];
  for (let start = fromBlock; start <= toBlock; start += size) {
    const end = start + size - 1n < toBlock ? start + size - 1n : toBlock;
    results.push(...(await query({ fromBlock: start, toBlock: end })));
  }
  return results;
}
