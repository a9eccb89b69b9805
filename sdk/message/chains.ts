import { setBounded } from "./boundedMap";
import type { ForgottenHorizons } from "./forgotten";
import { compareRefs, UINT32_MAX } from "./parse";
import type { MessageRef, StreamMessage } from "./types";

/** Identifies a chain: one publisher's msgChainId on one stream partition. */
export interface ChainKey {
  streamId: string;
  partition: number;
  publisher: string;
  msgChainId: string;
}

/** Messages of a chain are missing: those after `from` up to and including `to`. */
export interface GapEvent extends ChainKey {
  /** The newest position delivered before the gap. */
  from: MessageRef;
  /** The position the new message names as its predecessor. */
  to: MessageRef;
}

/** A message arrived after a newer one of its chain (it fills a gap, or the transport reordered). */
export interface OutOfOrderEvent extends ChainKey {
  message: MessageRef;
  /** The newest position delivered so far. */
  newest: MessageRef;
}

export type ChainOutcome =
  | { kind: "accepted"; gap?: GapEvent; outOfOrder?: OutOfOrderEvent }
  | { kind: "duplicate" }
  | { kind: "stale" };

/**
 * A chain's remembered positions, compact: a relay keeps up to maxChains x windowSize of them.
 * Each position is two uint32s, its timestamp as an offset from `base` and its sequence number
 * (8 bytes, where an object per position took about 70), sorted oldest first.
 */
interface ChainState {
  /** `[timestamp - base, sequenceNumber]` pairs; grows by doubling up to windowSize + 1 positions. */
  positions: Uint32Array;
  /** Positions in use. */
  length: number;
  /** At or before every remembered timestamp, and none more than MAX_SPAN_MS after it. */
  base: number;
  /** The newest position dropped from the window (anything at or before it may be a replay); -1: none yet. */
  floorTimestamp: number;
  floorSequenceNumber: number;
}

/**
 * The widest span of timestamps a chain remembers, in ms (about 49.7 days): offsets fit in a
 * uint32. A message further behind its chain's newest position is stale.
 */
export const MAX_SPAN_MS = 2 ** 32 - 1;
const INITIAL_CAPACITY = 8;

export interface ChainTrackerOptions {
  /** Positions remembered per chain. */
  windowSize: number;
  /** Chains remembered; the least recently used is forgotten beyond this. */
  maxChains: number;
  /**
   * Where the newest position of each chain forgotten is kept, per publisher: a message of a
   * chain not remembered, dated at or before its publisher's, is stale (it may replay a chain
   * whose forgetting anyone can force by publishing on enough chains), and a chain tracked
   * afresh starts with that floor. For live messages (a relay); a subscriber's resume replays
   * history, which this would refuse.
   */
  forgotten?: ForgottenHorizons;
}

export interface ChainTracker {
  /** What `record` would answer, without recording: lets a validator drop replays before the crypto. */
  check(key: string, message: StreamMessage): ChainOutcome["kind"];
  /** Records a delivered message of the chain `key` (see `chainKeyOf`) and reports gaps and reordering. */
  record(key: string, message: StreamMessage): ChainOutcome;
  /**
   * Forgets a recorded position, so that the same message is accepted again: for a caller that
   * recorded a message and then could not deliver it. The window's floor stays where it is.
   */
  forget(key: string, position: MessageRef): void;
}

/** The key of a message's chain in a ChainTracker. */
export function chainKeyOf(message: StreamMessage): string {
  // Stream ids contain no "|" and msgChainId comes last, so the key is unambiguous.
  return `${message.streamId}|${message.partition}|${message.publisher}|${message.msgChainId}`;
}

/** The publisher part of a `chainKeyOf` key. */
function publisherOfKey(key: string): string {
  const afterPartition = key.indexOf("|", key.indexOf("|") + 1) + 1;
  return key.slice(afterPartition, key.indexOf("|", afterPartition));
}

/** A message's chain, for the events that name it (made only when one is reported). */
function chainOf({ streamId, partition, publisher, msgChainId }: StreamMessage): ChainKey {
  return { streamId, partition, publisher, msgChainId };
}

const timestampAt = (state: ChainState, index: number) => state.base + state.positions[2 * index];
const sequenceNumberAt = (state: ChainState, index: number) => state.positions[2 * index + 1];
const refAt = (state: ChainState, index: number): MessageRef => ({ timestamp: timestampAt(state, index), sequenceNumber: sequenceNumberAt(state, index) });
const compareAt = (state: ChainState, index: number, timestamp: number, sequenceNumber: number) =>
  compareRefs(timestampAt(state, index), sequenceNumberAt(state, index), timestamp, sequenceNumber);

/** Index of the first remembered position not before (timestamp, sequenceNumber) (binary search). */
function lowerBound(state: ChainState, timestamp: number, sequenceNumber: number): number {
  let low = 0;
  let high = state.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareAt(state, middle, timestamp, sequenceNumber) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** The newest position a chain remembers (or, with none left, its floor): what forgetting it leaves unguarded. */
function newestTimestampOf(state: ChainState): number {
  return state.length > 0 ? timestampAt(state, state.length - 1) : state.floorTimestamp;
}

/** `horizon`: for a chain not remembered, the newest forgotten position of its publisher, if any. */
function classify(state: ChainState | undefined, timestamp: number, sequenceNumber: number, horizon: number | undefined): ChainOutcome["kind"] {
  if (state === undefined) return horizon !== undefined && timestamp <= horizon ? "stale" : "accepted";
  if (state.floorTimestamp >= 0 && compareRefs(timestamp, sequenceNumber, state.floorTimestamp, state.floorSequenceNumber) <= 0) return "stale";
  if (state.length === 0) return "accepted"; // every position was forgotten; the floor still holds
  const order = compareAt(state, state.length - 1, timestamp, sequenceNumber);
  if (order < 0) return "accepted";
  if (order === 0) return "duplicate";
  if (timestampAt(state, state.length - 1) - timestamp > MAX_SPAN_MS) return "stale";
  const index = lowerBound(state, timestamp, sequenceNumber);
  return compareAt(state, index, timestamp, sequenceNumber) === 0 ? "duplicate" : "accepted";
}

/** Forgets the oldest `count` positions, the newest of them becoming the floor. */
function dropOldest(state: ChainState, count: number): void {
  state.floorTimestamp = timestampAt(state, count - 1);
  state.floorSequenceNumber = sequenceNumberAt(state, count - 1);
  state.positions.copyWithin(0, 2 * count, 2 * state.length);
  state.length -= count;
}

/** Moves `base` to `timestamp`, which must be at or before every remembered position. */
function rebase(state: ChainState, timestamp: number): void {
  const shift = state.base - timestamp; // may be negative
  for (let i = 0; i < 2 * state.length; i += 2) state.positions[i] += shift;
  state.base = timestamp;
}

/** Inserts a position at `index`, making room (up to `capacity` positions). */
function insertAt(state: ChainState, index: number, timestamp: number, sequenceNumber: number, capacity: number): void {
  if (2 * state.length === state.positions.length) {
    const grown = new Uint32Array(2 * Math.min(capacity, 2 * state.length));
    grown.set(state.positions);
    state.positions = grown;
  }
  state.positions.copyWithin(2 * index + 2, 2 * index, 2 * state.length);
  state.positions[2 * index] = timestamp - state.base;
  state.positions[2 * index + 1] = sequenceNumber;
  state.length += 1;
}

/**
 * Per-chain memory of delivered positions, bounded twice: `windowSize` positions per chain
 * and `maxChains` chains. A message older than every remembered position of its chain, or more
 * than MAX_SPAN_MS behind its newest, is "stale" (it may be a replay of a forgotten one); a
 * forgotten chain starts afresh.
 */
export function createChainTracker({ windowSize, maxChains, forgotten }: ChainTrackerOptions): ChainTracker {
  const chains = new Map<string, ChainState>();
  // Room for one position beyond the window: a message is inserted, then the oldest dropped.
  const capacity = windowSize + 1;
  // The chain recorded last is already the most recently used: a stream of one busy chain
  // (the common case) skips re-inserting it.
  let newestKey: string | undefined;

  function touch(key: string, state: ChainState): void {
    if (key === newestKey) return;
    const dropped = setBounded(chains, key, state, maxChains);
    if (dropped !== undefined) forgotten?.raise(publisherOfKey(dropped[0]), newestTimestampOf(dropped[1]));
    newestKey = key;
  }

  /** Where a chain not remembered stands: its publisher's forgotten horizon, if kept. */
  const horizonOf = (state: ChainState | undefined, message: StreamMessage) => (state === undefined ? forgotten?.horizonOf(message.publisher) : undefined);

  function record(key: string, message: StreamMessage): ChainOutcome {
    const { timestamp, sequenceNumber } = message;
    const state = chains.get(key);
    const horizon = horizonOf(state, message);
    const kind = classify(state, timestamp, sequenceNumber, horizon);
    if (kind !== "accepted") return { kind };
    if (state === undefined) {
      const positions = new Uint32Array(2 * Math.min(capacity, INITIAL_CAPACITY));
      positions[1] = sequenceNumber;
      // Tracked afresh after being forgotten: what its publisher's forgotten chains reached stays stale.
      const floor = horizon === undefined ? { floorTimestamp: -1, floorSequenceNumber: 0 } : { floorTimestamp: horizon, floorSequenceNumber: UINT32_MAX };
      touch(key, { positions, length: 1, base: timestamp, ...floor });
      return { kind };
    }
    touch(key, state);
    if (state.length === 0) {
      state.base = timestamp;
      insertAt(state, 0, timestamp, sequenceNumber, capacity);
      return { kind };
    }
    const newestIndex = state.length - 1;
    const outcome: ChainOutcome = { kind };
    if (compareAt(state, newestIndex, timestamp, sequenceNumber) < 0) {
      const { prevTimestamp, prevSequenceNumber } = message;
      if (prevTimestamp !== 0 && compareAt(state, newestIndex, prevTimestamp, prevSequenceNumber) < 0) {
        outcome.gap = { ...chainOf(message), from: refAt(state, newestIndex), to: { timestamp: prevTimestamp, sequenceNumber: prevSequenceNumber } };
      }
      if (timestamp - state.base > MAX_SPAN_MS) {
        // Positions more than MAX_SPAN_MS behind the new newest one are stale from now on.
        const tooOld = lowerBound(state, timestamp - MAX_SPAN_MS, 0);
        if (tooOld > 0) dropOldest(state, tooOld);
        rebase(state, state.length > 0 ? timestampAt(state, 0) : timestamp);
      }
      insertAt(state, state.length, timestamp, sequenceNumber, capacity);
    } else {
      outcome.outOfOrder = { ...chainOf(message), message: { timestamp, sequenceNumber }, newest: refAt(state, newestIndex) };
      // classify keeps it within MAX_SPAN_MS of the newest position, so offsets still fit.
      if (timestamp < state.base) rebase(state, timestamp);
      insertAt(state, lowerBound(state, timestamp, sequenceNumber), timestamp, sequenceNumber, capacity);
    }
    if (state.length > windowSize) dropOldest(state, 1);
    return outcome;
  }

  function forget(key: string, { timestamp, sequenceNumber }: MessageRef): void {
    const state = chains.get(key);
    if (state === undefined || state.length === 0) return;
    const index = lowerBound(state, timestamp, sequenceNumber);
    if (index === state.length || compareAt(state, index, timestamp, sequenceNumber) !== 0) return;
    state.positions.copyWithin(2 * index, 2 * index + 2, 2 * state.length);
    state.length -= 1;
  }

  return {
    check(key, message) {
      const state = chains.get(key);
      return classify(state, message.timestamp, message.sequenceNumber, horizonOf(state, message));
    },
    record,
    forget,
  };
}

/** A message's identity: its publisher chain and its position in it (`publisher|msgChainId|timestamp|sequenceNumber`). */
export function positionKeyOf({ publisher, msgChainId, timestamp, sequenceNumber }: Pick<StreamMessage, "publisher" | "msgChainId" | "timestamp" | "sequenceNumber">): string {
  return `${publisher}|${msgChainId}|${timestamp}|${sequenceNumber}`;
}
