import { type Address, type Hex, keccak256, toBytes } from "viem";
import type { ChainTime } from "./actions/chainTime";
import type { RegistryContext } from "./context";
import type { Expiries } from "./permissions";
import { watchRegistry, type RegistryWatcher } from "./watchRegistry";

/** How far back the cache remembers which streams had events, to vet readings that raced a poll. */
const EVENT_HISTORY_BLOCKS = 64n;

export interface PermissionCacheOptions {
  /** Longest time an entry is trusted, in ms. */
  maxAgeMs: number;
  /** How often the registry's events are polled while something is cached, in ms. */
  pollingInterval: number;
}

/** Holders' expiries as read at one block, plus that block's time. */
export interface ExpiriesReading {
  at: ChainTime;
  expiries: Expiries[];
}

/** Holders' expiries, from the cache or the chain, with the chain's "now" to compare them with. */
export interface CachedExpiries {
  expiries: Expiries[];
  nowSeconds: number;
}

export interface PermissionCache {
  /** The expiries of `holders` on `streamId`; `load` reads those that are not cached. */
  read(streamId: string, holders: readonly Address[], load: (holders: Address[]) => Promise<ExpiriesReading>): Promise<CachedExpiries>;
  /** Drops every entry and stops the watcher. */
  clear(): void;
}

interface Entry {
  expiries: Expiries;
  storedAtMs: number;
}

/**
 * A per-client cache of holders' raw expiries, keyed by stream key and holder.
 *
 * - An entry is dropped after `maxAgeMs`.
 * - Expiry is judged at read time against the chain's clock, estimated as the local clock plus
 *   the offset last seen between them (Hardhat's time travel moves the chain away from the
 *   local clock; the watcher refreshes the offset every poll). So a cached permission is never
 *   reported past its own expiry.
 * - Any registry event for a stream drops all of that stream's entries. The events come from
 *   one watcher, started when something is first cached, stopped when the cache empties or on
 *   `destroy()`. A revocation by anyone is therefore seen within one polling interval.
 * - A reading may be a block older than the block it was paired with, so an event in that
 *   block also drops it: a value read in the block of a change is read once more after the
 *   next poll. Conservative, and it assumes nothing about the order a node runs requests in.
 */
export function createPermissionCache(context: RegistryContext, options: PermissionCacheOptions): PermissionCache {
  const streams = new Map<Hex, Map<Address, Entry>>();
  /** Stream key -> the last block in which it had an event, for the last EVENT_HISTORY_BLOCKS blocks. */
  const lastEventBlocks = new Map<Hex, bigint>();
  let chainOffsetMs = 0;
  let watcher: RegistryWatcher | undefined;

  const nowSeconds = () => Math.floor((Date.now() + chainOffsetMs) / 1000);
  const observe = (time: ChainTime) => {
    chainOffsetMs = time.timestamp * 1000 - Date.now();
  };

  function fresh(entry: Entry | undefined): entry is Entry {
    return entry !== undefined && Date.now() - entry.storedAtMs <= options.maxAgeMs;
  }

  function sweep(): void {
    for (const [key, holders] of streams) {
      for (const [holder, entry] of holders) if (!fresh(entry)) holders.delete(holder);
      if (holders.size === 0) streams.delete(key);
    }
    const oldest = (watcher?.processedBlock ?? 0n) - EVENT_HISTORY_BLOCKS;
    for (const [key, block] of lastEventBlocks) if (block <= oldest) lastEventBlocks.delete(key);
    if (streams.size === 0) stopWatching();
  }

  function stopWatching(): void {
    watcher?.stop();
    watcher = undefined;
    lastEventBlocks.clear();
  }

  function store(key: Hex, holders: readonly Address[], reading: ExpiriesReading): void {
    // The reading's calls ran alongside the request for the latest block, so a block mined
    // meanwhile may separate them: its data may be one block older than `at`. It is stale if
    // the stream had an event in block `at` or later. A new watcher therefore starts at `at`;
    // an existing one may have passed `at` already, and then its record of recent events says.
    const at = reading.at.blockNumber;
    if (watcher !== undefined && at <= watcher.processedBlock) {
      const known = at > watcher.processedBlock - EVENT_HISTORY_BLOCKS;
      if (!known || (lastEventBlocks.get(key) ?? -1n) >= at) return;
    }
    watcher ??= watchRegistry(context, {
      fromBlock: at,
      pollingInterval: options.pollingInterval,
      onChainTime: (time) => {
        observe(time);
        sweep();
      },
      onStreamEvents: (events) => {
        for (const { streamKey, blockNumber } of events) {
          streams.delete(streamKey);
          lastEventBlocks.set(streamKey, blockNumber);
        }
      },
      // Events may have been missed: trust nothing cached.
      onError: () => streams.clear(),
    });
    const entries = streams.get(key) ?? new Map<Address, Entry>();
    holders.forEach((holder, i) => entries.set(holder, { expiries: reading.expiries[i], storedAtMs: Date.now() }));
    streams.set(key, entries);
  }

  return {
    async read(streamId, holders, load) {
      const key = keccak256(toBytes(streamId));
      const cached = holders.map((holder) => streams.get(key)?.get(holder)).map((entry) => (fresh(entry) ? entry : undefined));
      const missing = holders.filter((_, i) => cached[i] === undefined);
      if (missing.length === 0) return { expiries: cached.map((entry) => entry!.expiries), nowSeconds: nowSeconds() };
      const reading = await load(missing);
      observe(reading.at);
      store(key, missing, reading);
      const expiries = holders.map((holder, i) => cached[i]?.expiries ?? reading.expiries[missing.indexOf(holder)]);
      return { expiries, nowSeconds: reading.at.timestamp };
    },
    clear() {
      streams.clear();
      stopWatching();
    },
  };
}
