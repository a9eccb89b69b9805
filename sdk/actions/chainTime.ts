import { type ChainTime, readLatestBlock } from "../blocks";
import type { RegistryContext } from "../context";

export type { ChainTime } from "../blocks";

export type LatestChainTimeReturnType = ChainTime;

/**
 * The latest block's number and timestamp, read from the node.
 *
 * @example
 * const { blockNumber, timestamp } = await latestChainTime(client.context);
 */
export async function latestChainTime(context: RegistryContext): Promise<LatestChainTimeReturnType> {
  const { blockNumber, timestamp } = await readLatestBlock(context);
  return { blockNumber, timestamp };
}

/** Unix seconds. */
export type ChainNowSecondsReturnType = number;

/**
 * The chain's clock now, in unix seconds, without a request: the local clock plus the offset
 * between the two seen at the newest block the context read (every poll of its watcher
 * refreshes it). Permission expiries are judged against it.
 *
 * @example
 * const expired = expiry <= chainNowSeconds(client.context);
 */
export function chainNowSeconds(context: RegistryContext): ChainNowSecondsReturnType {
  return context.cache.chainNowSeconds();
}
