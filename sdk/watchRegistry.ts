import { type Address, getAbiItem, type Hex, type Log, toEventSelector } from "viem";
import { getLogs } from "viem/actions";
import { streamRegistryAbi } from "./abi";
import { type BlockRef, readBlock, readLatestBlock } from "./blocks";
import { blockRanges } from "./blockRanges";
import type { RegistryReader } from "./registryReader";
import { toKeywayError } from "./toKeywayError";

/** A change to what a stream's holders hold, as one registry event says. */
export interface RegistryChange {
  streamKey: Hex;
  /** The holder whose permissions changed (lowercase, `address(0)` for the public), or null for the whole stream. */
  holder: Address | null;
  blockNumber: bigint;
}

/** A stream's metadata was replaced (`StreamMetadataUpdated`): what is derived from it (its partition count) is stale. */
export interface MetadataChange {
  streamKey: Hex;
  blockNumber: bigint;
}

/** What one poll found: the chain's head and the changes in the blocks up to it, or that the chain was reorganised. */
/** What a run of the registry's logs changed. */
export interface RegistryChanges {
  /** Permission changes, creations and deletions, in chain order. */
  changes: RegistryChange[];
  /** Metadata updates (no permission changed with them). */
  metadataChanges: MetadataChange[];
}

export interface WatcherPoll {
  head: BlockRef;
  /** The changes since the previous poll's head, in chain order; empty after a reorg. */
  changes: RegistryChange[];
  /** The metadata updates since the previous poll's head (no permission changed with them); empty after a reorg. */
  metadataChanges: MetadataChange[];
  /**
   * The block the watcher had processed, or a block a reading was pinned to, is no longer
   * in the chain: changes may have been undone or missed, so nothing known before is valid.
   */
  reorg: boolean;
}

export interface RegistryWatcher {
  /** The last block whose events have been reported, once the first poll has anchored the watcher. */
  readonly processed: BlockRef | undefined;
  /**
   * Has the next poll check that `block` is still in the chain (it was read ahead of
   * `processed`). Before the first poll, the watcher starts from the lowest such block.
   */
  confirm(block: BlockRef): void;
  stop(): void;
}

export interface WatchRegistryOptions {
  /** The block the watcher starts after; without one the first poll runs at once and starts at the lowest block to confirm, else the head. */
  anchor?: BlockRef;
  pollingInterval: number;
  /** Every successful poll, also when nothing changed. */
  onPoll(poll: WatcherPoll): void;
  /** A poll failed; it is retried from the same block after `pollingInterval`. */
  onError(error: Error): void;
}

const PERMISSIONS_UPDATED = toEventSelector(getAbiItem({ abi: streamRegistryAbi, name: "PermissionsUpdated" }));
const STREAM_METADATA_UPDATED = toEventSelector(getAbiItem({ abi: streamRegistryAbi, name: "StreamMetadataUpdated" }));

/**
 * What a registry log changes: `PermissionsUpdated` one holder's entry (its second topic is
 * the holder), creation, deletion and any other event the whole stream (conservatively);
 * a metadata update no permission.
 */
function changeOf({ topics: [selector, streamKey, holderTopic], blockNumber }: Log): RegistryChange | undefined {
  if (streamKey === undefined || blockNumber === null || selector === STREAM_METADATA_UPDATED) return undefined;
  const holder = selector === PERMISSIONS_UPDATED && holderTopic !== undefined ? (`0x${holderTopic.slice(26).toLowerCase()}` as Address) : null;
  return { streamKey, holder, blockNumber };
}

/** What the registry's logs (the watcher's, or a write's receipt's, of the registry's address only) changed. */
export function changesOf(logs: readonly Log[]): RegistryChanges {
  const changes: RegistryChange[] = [];
  const metadataChanges: MetadataChange[] = [];
  for (const log of logs) {
    const change = changeOf(log);
    if (change !== undefined) changes.push(change);
    else if (log.topics[0] === STREAM_METADATA_UPDATED && log.topics[1] !== undefined && log.blockNumber !== null) {
      metadataChanges.push({ streamKey: log.topics[1], blockNumber: log.blockNumber });
    }
  }
  return { changes, metadataChanges };
}

/**
 * Follows the registry's events, block by block, and the chain by block hash: every
 * `pollingInterval` ms it reads the head, the block it last processed and the blocks it was
 * asked to confirm (together: one batch over a batching transport). If any of those is gone
 * or has another hash, the chain was reorganised under it: it reports `reorg` and starts
 * over from the head. Otherwise it reports the registry's logs of the new blocks. One
 * `setTimeout` at a time, cleared by `stop()`, so a stopped watcher keeps no timer alive.
 */
export function watchRegistry(context: RegistryReader, options: WatchRegistryOptions): RegistryWatcher {
  let processed = options.anchor;
  const unconfirmed = new Map<bigint, BlockRef>();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function poll(): Promise<void> {
    let delay = options.pollingInterval;
    try {
      const pending = [...unconfirmed.values()];
      const report = await nextPoll(pending);
      if (stopped) return;
      if (report === undefined) {
        delay = 0; // blocks to start from arrived during the poll: start from them at once
      } else {
        processed = report.head;
        // Blocks asked for during the poll were not checked in it: they stay for the next one.
        for (const block of pending) {
          if ((report.reorg || block.blockNumber <= report.head.blockNumber) && unconfirmed.get(block.blockNumber) === block) {
            unconfirmed.delete(block.blockNumber);
          }
        }
        options.onPoll(report);
      }
    } catch (error) {
      if (!stopped) options.onError(toKeywayError(error));
    }
    if (!stopped) timer = setTimeout(poll, delay);
  }

  /** The next report, or undefined when the watcher had no block to start from and was given some meanwhile. */
  async function nextPoll(pending: readonly BlockRef[]): Promise<WatcherPoll | undefined> {
    // Not anchored yet: the lowest block given to confirm, else the head.
    const from = processed ?? pending.reduce<BlockRef | undefined>((low, block) => (low === undefined || block.blockNumber < low.blockNumber ? block : low), undefined);
    const checks = processed === undefined ? pending : [processed, ...pending];
    const [head, ...seen] = await Promise.all([readLatestBlock(context), ...checks.map((block) => readBlock(context, block.blockNumber))]);
    if (from === undefined) return unconfirmed.size > 0 ? undefined : { head, changes: [], metadataChanges: [], reorg: false };
    // Every checked block was seen in the chain before: gone or changed, the chain was reorganised.
    const reorg = checks.some((block, i) => seen[i]?.hash !== block.hash);
    if (reorg || head.blockNumber <= from.blockNumber) return { head, changes: [], metadataChanges: [], reorg };
    const logs: Log[] = [];
    for (const range of blockRanges(from.blockNumber + 1n, head.blockNumber, context.logPageSize)) {
      logs.push(...(await getLogs(context.publicClient, { address: context.registryAddress, ...range })));
    }
    return { head, ...changesOf(logs), reorg: false };
  }

  timer = setTimeout(poll, processed === undefined ? 0 : options.pollingInterval);
  return {
    get processed() {
      return processed;
    },
    confirm(block) {
      unconfirmed.set(block.blockNumber, block);
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
