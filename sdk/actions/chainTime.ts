import { getBlock } from "viem/actions";
import type { RegistryContext } from "../context";
import { toKeywayError } from "../toKeywayError";

/** A block and its timestamp: the "now" a permission's expiry is compared with. */
export interface ChainTime {
  blockNumber: bigint;
  /** Unix seconds. */
  timestamp: number;
}

/** The latest block's number and timestamp. */
export async function latestChainTime(context: RegistryContext): Promise<ChainTime> {
  try {
    const block = await getBlock(context.publicClient, { blockTag: "latest" });
    return { blockNumber: block.number, timestamp: Number(block.timestamp) };
  } catch (error) {
    throw toKeywayError(error);
  }
}
