import type { Hex } from "viem";
import { getLogs } from "viem/actions";
import { latestChainTime, type ChainTime } from "./actions/chainTime";
import { blockRanges } from "./blockRanges";
import type { RegistryContext } from "./context";
import { toKeywayError } from "./toKeywayError";

export interface RegistryWatcher {
  /** The last block whose registry events have been reported. */
  readonly processedBlock: bigint;
  stop(): void;
}

/** That a stream had a registry event (any: creation, deletion, metadata, permissions) in a block. */
export interface StreamEvent {
  streamKey: Hex;
  blockNumber: bigint;
}

export interface WatchRegistryOptions {
  /** First block whose events are reported. */
  fromBlock: bigint;
  pollingInterval: number;
  /** The registry's events in new blocks: each one's stream key (`keccak256(streamId)`) and block. */
  onStreamEvents(events: StreamEvent[]): void;
  /** The latest block seen, on every poll. */
  onChainTime(time: ChainTime): void;
  /** A poll failed; it is retried from the same block after `pollingInterval`. */
  onError(error: Error): void;
}

/**
 * Polls the node every `pollingInterval` ms for the registry's events in new blocks (every
 * event's first topic is its stream key). One `setTimeout` at a time, cleared by `stop()`, so
 * a stopped watcher keeps no timer alive.
 */
export function watchRegistry(context: RegistryContext, options: WatchRegistryOptions): RegistryWatcher {
  let next = options.fromBlock;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function poll(): Promise<void> {
    try {
      const now = await latestChainTime(context);
      options.onChainTime(now);
      for (const range of blockRanges(next, now.blockNumber, context.logPageSize)) {
        const logs = await getLogs(context.publicClient, { address: context.registryAddress, ...range }).catch((error: unknown) => {
          throw toKeywayError(error);
        });
        if (stopped) return;
        const events = logs.flatMap(({ topics: [, streamKey], blockNumber }) =>
          streamKey === undefined || blockNumber === null ? [] : [{ streamKey, blockNumber }],
        );
        if (events.length > 0) options.onStreamEvents(events);
        next = range.toBlock + 1n;
      }
    } catch (error) {
      if (!stopped) options.onError(error as Error);
    }
    if (!stopped) timer = setTimeout(poll, options.pollingInterval);
  }

  timer = setTimeout(poll, options.pollingInterval);
  return {
    get processedBlock() {
      return next - 1n;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
