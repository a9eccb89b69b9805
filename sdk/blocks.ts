import type { Hex } from "viem";
import { getBlock } from "viem/actions";
import type { RegistryReader } from "./registryReader";
import { toKeywayError } from "./toKeywayError";

/** A block and its timestamp: the "now" a permission's expiry is compared with. */
export interface ChainTime {
  blockNumber: bigint;
  /** Unix seconds. */
  timestamp: number;
}

/** A block's place in the chain: what a reading is pinned to and what the event watcher follows. */
export interface BlockRef extends ChainTime {
  hash: Hex;
  parentHash: Hex;
}

/** The header of the latest block, or of block `number`; `undefined` when the chain has no such block (yet, or any more). */
export async function readBlock(context: Pick<RegistryReader, "publicClient">, number?: bigint): Promise<BlockRef | undefined> {
  try {
    const block = await getBlock(context.publicClient, number === undefined ? { blockTag: "latest" } : { blockNumber: number });
    return { blockNumber: block.number, timestamp: Number(block.timestamp), hash: block.hash, parentHash: block.parentHash };
  } catch (error) {
    // viem reports a block the node does not have as BlockNotFoundError.
    if ((error as { name?: string }).name === "BlockNotFoundError") return undefined;
    throw toKeywayError(error);
  }
}

/** The latest block's header (a node always has one). */
export async function readLatestBlock(context: Pick<RegistryReader, "publicClient">): Promise<BlockRef> {
  return (await readBlock(context))!;
}
