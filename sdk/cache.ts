import type { Address, Hex } from "viem";
import type { BlockRef, ChainTime } from "./blocks";
import type { Expiries } from "./permissions";
import { partitionsOf } from "./partitions";
import type { RegistryReader } from "./registryReader";
import { watchRegistry, type MetadataChange, type RegistryChange, type RegistryChanges, type RegistryWatcher, type WatcherPoll } from "./watchRegistry";

/**
 * Streams whose existence (and, apart, whose partition count) is remembered, newest kept: a
 * subscribe to a random id must not cost a read each time, nor may a flood of random ids grow
 * the cache without bound.
 */
const MAX_EXISTENCE_ENTRIES = 10_000;

/** How many blocks back the cache remembers which entries changed, to vet readings pinned to an older block. */
const CHANGE_HISTORY_BLOCKS = 64n;

export interface PermissionCacheOptions {
  /** Keep readings; `false` only follows the chain's clock and serves `watch`. */
  enabled: boolean;
  /** Longest time an entry is trusted, in ms. */
  maxAgeMs: number;
  /** How often the registry's events are polled while something is cached or watched, in ms. */
  pollingInterval: number;
}

/** Holders' expiries as read at one block (calls pinned to its number). */
export interface ExpiriesReading {
  at: BlockRef;
  expiries: Expiries[];
}

/** What one poll of the registry's events did to the cache: see `KeywayClient.watchPermissionChanges`. */
export interface RegistryPoll {
  /** The latest block this poll reached: the chain's clock. */
  chainTime: ChainTime;
  /**
   * Stream/holder entries that changed in the blocks this poll covered, already dropped from
   * the cache. `holder` is the lowercase address, `address(0)` for the public, or null for
   * the stream as a whole (created, deleted).
   */
  changes: Array<{ streamKey: Hex; holder: Address | null }>;
  /** Streams whose metadata was replaced in those blocks (no permission changed with it), already dropped from the cache. */
  metadataChanges: Array<{ streamKey: Hex }>;
  /** A reorg was detected: everything cached was dropped, re-check everything. */
  reorg: boolean;
}

export interface PermissionCache {
  /** The holder's expiries on the stream if an entry younger than `maxAgeMs` at `nowMs` is cached. Synchronous and allocation-free: the warm path. */
  get(streamKey: Hex, holder: Address, nowMs: number): Expiries | undefined;
  /** Keeps a reading unless a change after its block is known; moves the chain's clock. */
  store(streamKey: Hex, holders: readonly Address[], reading: ExpiriesReading): void;
  /** Whether the stream exists, if known (an answer younger than `maxAgeMs` that no creation or deletion since has dropped). */
  existence(streamKey: Hex, nowMs: number): boolean | undefined;
  /**
   * Keeps whether the stream exists, as read at the latest block after the watcher had processed
   * block `since` (see `existenceSince`); kept only while the watcher runs and has seen no
   * creation or deletion of it after `since`, so a stream created later is honoured at the next poll.
   */
  storeExistence(streamKey: Hex, exists: boolean, since: bigint): void;
  /** The block the watcher has processed, to pass to `storeExistence` for a read begun now; undefined when it is not running. */
  existenceSince(): bigint | undefined;
  /** The stream's partition count, if known (an answer younger than `maxAgeMs` that no metadata update, creation or deletion since has dropped). */
  partitions(streamKey: Hex, nowMs: number): number | undefined;
  /** The stream's metadata, if known (kept and dropped with its partition count). */
  metadata(streamKey: Hex, nowMs: number): string | undefined;
  /** Keeps the metadata read at block `at`, and its partition count (as `store` keeps a reading: unless a change after `at` is known); moves the chain's clock. */
  storeMetadata(streamKey: Hex, metadata: string, at: BlockRef): void;
  /**
   * Drops what these changes (of a write this client made, from its receipt's logs) make stale,
   * as the watcher will when it sees them: a client's own write is not answered from before it.
   */
  dropChanged(changes: RegistryChanges): void;
  /** The chain's clock at local time `nowMs` (default now), in unix seconds: the local clock plus the offset seen at the newest block read. */
  chainNowSeconds(nowMs?: number): number;
  /** Calls `onPoll` after every poll has been applied; returns the function that stops it. */
  watch(onPoll: (poll: RegistryPoll) => void): () => void;
  /** Drops everything, stops the watcher, and keeps nothing read later. */
  destroy(): void;
}

interface Entry {
  expiries: Expiries;
  /** The block the entry was read at: a change in a later block drops it. */
  readAt: bigint;
  storedAtMs: number;
}

/** The last block in which a stream, or one of its holders, changed: for vetting readings pinned to older blocks. */
interface ChangeRecord {
  stream: bigint;
  metadata: bigint;
  holders: Map<Address, bigint>;
  last: bigint;
}

/**
 * A per-client cache of holders' raw expiries, keyed by stream key and holder, kept exact by
 * one watcher of the registry's events.
 *
 * - Every reading is pinned to a block (its calls run at that block number), so it reflects
 *   exactly the events up to that block. A change in a later block drops the entry: a
 *   `PermissionsUpdated` only that holder's (the public's for `address(0)`), a creation or
 *   deletion the stream's. A reading pinned to a block the watcher has already passed is kept
 *   only if the watcher's recent history shows no change to it since that block. So a stream
 *   whose last event is in the latest block is cached like any other (an idle chain, automine).
 * - The watcher follows block hashes; on a reorg everything is dropped (and listeners told).
 *   A reading pinned ahead of the watcher has its block confirmed by the next poll.
 * - An entry is dropped after `maxAgeMs`; if a poll fails, everything is.
 * - Expiry is judged by the caller against `chainNowSeconds()`, the local clock plus the offset
 *   seen at the newest block read (Hardhat's time travel moves the chain's clock away from
 *   the local one), so a cached permission is never reported past its own expiry.
 * - The watcher runs while something is cached or a listener is attached; `destroy()` stops it.
 */
export function createPermissionCache(context: RegistryReader & { permissionReads: Map<string, Promise<ExpiriesReading>> }, options: PermissionCacheOptions): PermissionCache {
  const streams = new Map<Hex, Map<Address, Entry>>();
  const recent = new Map<Hex, ChangeRecord>();
  const existing = new Map<Hex, { exists: boolean; storedAtMs: number }>();
  const metadataEntries = new Map<Hex, { partitions: number; metadata: string; readAt: bigint; storedAtMs: number }>();
  /** Every change in a block after this one (up to the watcher's processed block) is in `recent`; unknown before the first poll. */
  let historyFrom: bigint | undefined;
  const listeners = new Set<(poll: RegistryPoll) => void>();
  let watcher: RegistryWatcher | undefined;
  let destroyed = false;
  let chainOffsetMs = 0;
  let newestSeen = -1n;

  function observe(block: ChainTime): void {
    if (block.blockNumber < newestSeen) return; // an older block says less about the clock now
    newestSeen = block.blockNumber;
    chainOffsetMs = block.timestamp * 1000 - Date.now();
  }

  function startWatching(anchor?: BlockRef): void {
    historyFrom = anchor?.blockNumber;
    watcher = watchRegistry(context, {
      anchor,
      pollingInterval: options.pollingInterval,
      onPoll: apply,
      // Events may be missed while the node is unreachable: trust nothing cached until it
      // answers. With nothing cached and nobody listening, stop asking.
      onError: () => {
        streams.clear();
        existing.clear();
        metadataEntries.clear();
        if (listeners.size === 0) stopWatching();
      },
    });
  }

  function stopWatching(): void {
    watcher?.stop();
    watcher = undefined;
    recent.clear();
    existing.clear();
    metadataEntries.clear();
  }

  function apply({ head, changes, metadataChanges, reorg }: WatcherPoll): void {
    if (reorg) {
      streams.clear();
      existing.clear();
      metadataEntries.clear();
      recent.clear();
      newestSeen = -1n;
    }
    if (reorg || historyFrom === undefined) historyFrom = head.blockNumber;
    if (reorg) context.permissionReads.clear();
    dropChanged({ changes, metadataChanges });
    observe(head);
    sweep(head.blockNumber);
    if (listeners.size > 0) notify({ chainTime: { blockNumber: head.blockNumber, timestamp: head.timestamp }, changes: distinct(changes), metadataChanges: metadataChanges.map(({ streamKey }) => ({ streamKey })), reorg });
  }

  function dropChanged({ changes, metadataChanges }: RegistryChanges): void {
    if (watcher === undefined) return; // nothing is cached while nothing is watched
    for (const change of changes) drop(change);
    for (const change of metadataChanges) dropMetadata(change);
    // A read in flight may be pinned to a block before these changes: it still answers those
    // who asked before them, but nobody asking from now on joins it.
    if (changes.length > 0) context.permissionReads.clear();
  }

  function recordOf(streamKey: Hex, blockNumber: bigint): ChangeRecord {
    const record = recent.get(streamKey) ?? { stream: -1n, metadata: -1n, holders: new Map<Address, bigint>(), last: -1n };
    record.last = blockNumber;
    recent.set(streamKey, record);
    return record;
  }

  function dropMetadata({ streamKey, blockNumber }: MetadataChange): void {
    recordOf(streamKey, blockNumber).metadata = blockNumber;
    dropMetadataBefore(streamKey, blockNumber);
  }

  /** Drops the stream's metadata if it was read before `blockNumber`: a poll may report a change older than a reading made meanwhile. */
  function dropMetadataBefore(streamKey: Hex, blockNumber: bigint): void {
    const entry = metadataEntries.get(streamKey);
    if (entry !== undefined && entry.readAt < blockNumber) metadataEntries.delete(streamKey);
  }

  function drop({ streamKey, holder, blockNumber }: RegistryChange): void {
    const record = recordOf(streamKey, blockNumber);
    if (holder === null) {
      record.stream = blockNumber;
      existing.delete(streamKey);
      dropMetadataBefore(streamKey, blockNumber);
    }
    else record.holders.set(holder, blockNumber);
    const entries = streams.get(streamKey);
    if (entries === undefined) return;
    for (const [cached, entry] of entries) {
      if ((holder === null || holder === cached) && entry.readAt < blockNumber) entries.delete(cached);
    }
    if (entries.size === 0) streams.delete(streamKey);
  }

  function sweep(head: bigint): void {
    const oldestMs = Date.now() - options.maxAgeMs;
    for (const [key, entries] of streams) {
      for (const [holder, entry] of entries) if (entry.storedAtMs < oldestMs) entries.delete(holder);
      if (entries.size === 0) streams.delete(key);
    }
    for (const [key, entry] of existing) if (entry.storedAtMs < oldestMs) existing.delete(key);
    for (const [key, entry] of metadataEntries) if (entry.storedAtMs < oldestMs) metadataEntries.delete(key);
    const horizon = head - CHANGE_HISTORY_BLOCKS;
    if (historyFrom! < horizon) historyFrom = horizon;
    for (const [key, record] of recent) if (record.last <= horizon) recent.delete(key);
    if (streams.size === 0 && existing.size === 0 && metadataEntries.size === 0 && listeners.size === 0) stopWatching();
  }

  function notify(poll: RegistryPoll): void {
    for (const listener of listeners) {
      try {
        listener(poll);
      } catch {
        // A listener's failure is its own: the cache and the other listeners go on.
      }
    }
  }

  /** Whether a reading pinned to `at` is still exact for these holders (and, with `metadata`, for the stream's metadata), as far as the watcher knows. */
  function current(streamKey: Hex, holders: readonly Address[], at: BlockRef, metadata = false): boolean {
    const processed = watcher!.processed;
    if (processed !== undefined && (historyFrom === undefined || at.blockNumber < historyFrom)) return false;
    if (processed === undefined || at.blockNumber > processed.blockNumber) {
      watcher!.confirm(at);
      return true;
    }
    if (at.blockNumber === processed.blockNumber) return at.hash === processed.hash;
    const record = recent.get(streamKey);
    if (record === undefined) return true;
    if (metadata && record.metadata > at.blockNumber) return false;
    return record.stream <= at.blockNumber && holders.every((holder) => (record.holders.get(holder) ?? -1n) <= at.blockNumber);
  }

  return {
    get(streamKey, holder, nowMs) {
      const entry = streams.get(streamKey)?.get(holder);
      return entry !== undefined && nowMs - entry.storedAtMs <= options.maxAgeMs ? entry.expiries : undefined;
    },
    store(streamKey, holders, reading) {
      if (destroyed) return;
      observe(reading.at);
      if (!options.enabled) return;
      if (watcher === undefined) startWatching(reading.at);
      else if (!current(streamKey, holders, reading.at)) return;
      const entries = streams.get(streamKey) ?? new Map<Address, Entry>();
      const storedAtMs = Date.now();
      holders.forEach((holder, i) => entries.set(holder, { expiries: reading.expiries[i], readAt: reading.at.blockNumber, storedAtMs }));
      streams.set(streamKey, entries);
    },
    existence(streamKey, nowMs) {
      const entry = existing.get(streamKey);
      return entry !== undefined && nowMs - entry.storedAtMs <= options.maxAgeMs ? entry.exists : undefined;
    },
    storeExistence(streamKey, exists, since) {
      if (destroyed || !options.enabled || watcher === undefined || historyFrom === undefined || since < historyFrom) return;
      if ((recent.get(streamKey)?.stream ?? -1n) > since) return; // created or deleted after: the read may predate it
      keepNewest(existing, streamKey, { exists, storedAtMs: Date.now() });
    },
    existenceSince() {
      return watcher === undefined || historyFrom === undefined ? undefined : watcher.processed?.blockNumber;
    },
    partitions(streamKey, nowMs) {
      const entry = metadataEntries.get(streamKey);
      return entry !== undefined && nowMs - entry.storedAtMs <= options.maxAgeMs ? entry.partitions : undefined;
    },
    metadata(streamKey, nowMs) {
      const entry = metadataEntries.get(streamKey);
      return entry !== undefined && nowMs - entry.storedAtMs <= options.maxAgeMs ? entry.metadata : undefined;
    },
    storeMetadata(streamKey, metadata, at) {
      if (destroyed) return;
      observe(at);
      if (!options.enabled) return;
      if (watcher === undefined) startWatching(at);
      else if (!current(streamKey, [], at, true)) return;
      keepNewest(metadataEntries, streamKey, { partitions: partitionsOf(metadata), metadata, readAt: at.blockNumber, storedAtMs: Date.now() });
    },
    dropChanged,
    chainNowSeconds(nowMs = Date.now()) {
      return Math.floor((nowMs + chainOffsetMs) / 1000);
    },
    watch(onPoll) {
      if (destroyed) return () => {};
      const listener = (poll: RegistryPoll) => onPoll(poll); // its own identity: the same function may watch twice
      listeners.add(listener);
      if (watcher === undefined) startWatching();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && streams.size === 0 && metadataEntries.size === 0) stopWatching();
      };
    },
    destroy() {
      destroyed = true;
      listeners.clear();
      streams.clear();
      existing.clear();
      metadataEntries.clear();
      stopWatching();
    },
  };
}

/** Sets `key` as the newest entry of a map bounded by `MAX_EXISTENCE_ENTRIES`, dropping the oldest when full. */
function keepNewest<V>(map: Map<Hex, V>, key: Hex, value: V): void {
  map.delete(key); // re-inserted as the newest
  if (map.size >= MAX_EXISTENCE_ENTRIES) map.delete(map.keys().next().value!);
  map.set(key, value);
}

/** Each (stream, holder) once, in order of first change. */
function distinct(changes: readonly RegistryChange[]): RegistryPoll["changes"] {
  const seen = new Map<string, RegistryPoll["changes"][number]>();
  for (const { streamKey, holder } of changes) {
    const id = `${streamKey}${holder ?? ""}`;
    if (!seen.has(id)) seen.set(id, { streamKey, holder });
  }
  return [...seen.values()];
}
