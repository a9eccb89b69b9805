import { setBounded } from "./boundedMap";
import { compareRefs } from "./parse";
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

interface ChainState {
  /** Delivered positions, oldest first, at most `windowSize`. */
  refs: MessageRef[];
  /** The newest position dropped from `refs`: anything at or before it may be a replay. */
  floor?: MessageRef;
}

export interface ChainTrackerOptions {
  /** Positions remembered per chain. */
  windowSize: number;
  /** Chains remembered; the least recently used is forgotten beyond this. */
  maxChains: number;
}

export interface ChainTracker {
  /** What `record` would answer, without recording: lets a validator drop replays before the crypto. */
  check(key: string, message: StreamMessage): ChainOutcome["kind"];
  /** Records a delivered message of the chain `key` (see `chainKeyOf`) and reports gaps and reordering. */
  record(key: string, message: StreamMessage): ChainOutcome;
}

const compare = (a: MessageRef, b: MessageRef) => compareRefs(a.timestamp, a.sequenceNumber, b.timestamp, b.sequenceNumber);

/** The key of a message's chain in a ChainTracker. */
export function chainKeyOf(message: StreamMessage): string {
  // Stream ids contain no "|" and msgChainId comes last, so the key is unambiguous.
  return `${message.streamId}|${message.partition}|${message.publisher}|${message.msgChainId}`;
}

/** Index of the first remembered position not before `ref` (binary search). */
function lowerBound(refs: MessageRef[], ref: MessageRef): number {
  let low = 0;
  let high = refs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compare(refs[middle], ref) < 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

function classify(state: ChainState | undefined, ref: MessageRef): ChainOutcome["kind"] {
  if (state === undefined) return "accepted";
  if (state.floor !== undefined && compare(ref, state.floor) <= 0) return "stale";
  const newest = state.refs[state.refs.length - 1];
  const order = compare(ref, newest);
  if (order > 0) return "accepted";
  if (order === 0) return "duplicate";
  const index = lowerBound(state.refs, ref);
  return compare(state.refs[index], ref) === 0 ? "duplicate" : "accepted";
}

/**
 * Per-chain memory of delivered positions, bounded twice: `windowSize` positions per chain
 * and `maxChains` chains. A message older than every remembered position of its chain is
 * "stale" (it may be a replay of a forgotten one); a forgotten chain starts afresh.
 */
export function createChainTracker({ windowSize, maxChains }: ChainTrackerOptions): ChainTracker {
  const chains = new Map<string, ChainState>();

  function record(key: string, message: StreamMessage): ChainOutcome {
    const state = chains.get(key);
    const ref = { timestamp: message.timestamp, sequenceNumber: message.sequenceNumber };
    const kind = classify(state, ref);
    if (kind !== "accepted") return { kind };
    if (state === undefined) {
      setBounded(chains, key, { refs: [ref] }, maxChains);
      return { kind };
    }
    setBounded(chains, key, state, maxChains); // most recently used
    const chain = { streamId: message.streamId, partition: message.partition, publisher: message.publisher, msgChainId: message.msgChainId };
    const newest = state.refs[state.refs.length - 1];
    const outcome: ChainOutcome = { kind };
    if (compare(ref, newest) > 0) {
      const prev = { timestamp: message.prevTimestamp, sequenceNumber: message.prevSequenceNumber };
      if (message.prevTimestamp !== 0 && compare(prev, newest) > 0) outcome.gap = { ...chain, from: newest, to: prev };
      state.refs.push(ref);
    } else {
      outcome.outOfOrder = { ...chain, message: ref, newest };
      state.refs.splice(lowerBound(state.refs, ref), 0, ref);
    }
    if (state.refs.length > windowSize) state.floor = state.refs.shift();
    return outcome;
  }

  return {
    check: (key, message) => classify(chains.get(key), message),
    record,
  };
}
