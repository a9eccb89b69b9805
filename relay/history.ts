import { compareRefs } from "../sdk/message/parse";
import type { SignedStreamMessage } from "../sdk/message/types";
import type { Position } from "./protocol";

/** What identifies a message: its publisher chain and its position in it. */
export type MessagePosition = Pick<SignedStreamMessage, "publisher" | "msgChainId" | "timestamp" | "sequenceNumber">;

/** A message the relay accepted, with the `message` push that carries it, serialised once. */
export interface AcceptedMessage {
  /** Its position (a relay that did not validate it knows no more of it than this and the frame). */
  message: MessagePosition;
  /** The whole `message` frame, sent as is to every subscriber. */
  frame: Buffer;
  /** Local unix ms of acceptance: what the history's age bound is measured from. */
  acceptedAt: number;
}

export interface HistoryOptions {
  /** Messages kept per (stream, partition). */
  count: number;
  /** Age beyond which a message is dropped, ms. */
  maxAgeMs: number;
  now?: () => number;
}

export interface History {
  add(channel: string, entry: AcceptedMessage): void;
  /** Kept messages of `channel` strictly after `from`, in acceptance order. */
  after(channel: string, from: Position): AcceptedMessage[];
  /** Drops what has aged out everywhere (the relay calls it on its heartbeat). */
  sweep(): void;
}

/**
 * Recent messages per channel (`streamId|partition`), bounded by count and by age: `after`
 * answers at most `count`; memory holds up to a quarter more between drops.
 */
export function createHistory({ count, maxAgeMs, now = Date.now }: HistoryOptions): History {
  const channels = new Map<string, AcceptedMessage[]>();
  const slack = count + Math.ceil(count / 4);

  function trim(channel: string, entries: AcceptedMessage[]): void {
    const oldest = now() - maxAgeMs;
    let drop = Math.max(0, entries.length - count);
    while (drop < entries.length && entries[drop].acceptedAt < oldest) drop += 1;
    if (drop > 0) entries.splice(0, drop);
    if (entries.length === 0) channels.delete(channel);
  }

  return {
    add(channel, entry) {
      let entries = channels.get(channel);
      if (entries === undefined) channels.set(channel, (entries = []));
      entries.push(entry);
      // Dropped a quarter at a time, not one per message: each drop moves the whole array.
      // `after` trims to `count` exactly before it answers.
      if (entries.length > slack) trim(channel, entries);
    },
    after(channel, from) {
      const entries = channels.get(channel);
      if (entries === undefined) return [];
      trim(channel, entries);
      return entries.filter(({ message }) => compareRefs(message.timestamp, message.sequenceNumber, from.timestamp, from.sequenceNumber) > 0);
    },
    sweep() {
      for (const [channel, entries] of channels) trim(channel, entries);
    },
  };
}
