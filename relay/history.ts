import { compareRefs } from "../sdk/message/parse";
import type { SignedStreamMessage } from "../sdk/message/types";
import type { Position } from "../sdk/relay/protocol";

/** What identifies a message: its publisher chain and its position in it. */
export type MessagePosition = Pick<SignedStreamMessage, "publisher" | "msgChainId" | "timestamp" | "sequenceNumber">;

/** A message the relay accepted, with the `message` push that carries it, serialised once. */
export interface AcceptedMessage {
  /** Its position only: the frame carries the rest (keeping the parsed message too would hold its content twice). */
  message: MessagePosition;
  /** The whole `message` frame, sent as is to every subscriber. */
  frame: Buffer;
  /** Local unix ms of acceptance: what the history's age bound is measured from. */
  acceptedAt: number;
}

/** The `message` push of an accepted message: serialised once, sent as is to every subscriber (`messageJson` exactly as published). */
export function messageFrame(streamId: string, partition: number, messageJson: string): Buffer {
  return Buffer.from(`${messageFramePrefix(streamId, partition)}${messageJson}}`);
}

function messageFramePrefix(streamId: string, partition: number): string {
  return `{"type":"message","streamId":${JSON.stringify(streamId)},"partition":${partition},"message":`;
}

/** The message JSON inside a `messageFrame` of that stream partition, as published. */
export function messageJsonOf(frame: Buffer, streamId: string, partition: number): Buffer {
  return frame.subarray(Buffer.byteLength(messageFramePrefix(streamId, partition)), frame.length - 1);
}

/** The position of a message, with nothing else of it: what a history entry keeps. */
export function positionOf({ publisher, msgChainId, timestamp, sequenceNumber }: MessagePosition): MessagePosition {
  return { publisher, msgChainId, timestamp, sequenceNumber };
}

/**
 * What an entry costs besides its frame's bytes: the entry, its position and its strings, the
 * Buffer's own object and backing store record, and the history's node (measured on Node 22: ~0.4 KiB).
 */
export const ENTRY_OVERHEAD_BYTES = 512;

export interface HistoryOptions {
  /** Messages kept per (stream, partition). */
  count: number;
  /** Age beyond which a message is dropped, ms. */
  maxAgeMs: number;
  /** Bytes kept in all (frames plus ENTRY_OVERHEAD_BYTES each); beyond it the oldest accepted, on any channel, go first. */
  maxBytes: number;
  now?: () => number;
}

export interface History {
  add(channel: string, entry: AcceptedMessage): void;
  /** Kept messages of `channel` strictly after `from`, in acceptance order. */
  after(channel: string, from: Position): AcceptedMessage[];
  /** Drops what has aged out everywhere (the relay calls it on its heartbeat). */
  sweep(): void;
  /** What is kept now, counted as `maxBytes` counts it. */
  bytes(): number;
}

/** One kept entry: in its channel's list (oldest first) and in the list of all, in acceptance order. */
interface Node {
  entry: AcceptedMessage;
  cost: number;
  channel: Channel;
  /** The next in its channel. */
  next?: Node;
  /** Neighbours in the list of all channels. */
  older?: Node;
  newer?: Node;
}

interface Channel {
  name: string;
  head?: Node;
  tail?: Node;
  size: number;
}

/**
 * Recent messages per channel (`streamId|partition`), bounded per channel by count and by age,
 * and in all by bytes. Every entry is in two linked lists, its channel's and all channels' in
 * acceptance order, so each bound drops in O(1): count at a channel's head, age and bytes at
 * the head of all (which is always its own channel's head).
 */
export function createHistory({ count, maxAgeMs, maxBytes, now = Date.now }: HistoryOptions): History {
  const channels = new Map<string, Channel>();
  let oldest: Node | undefined;
  let newest: Node | undefined;
  let bytes = 0;

  /** Drops the oldest entry of the channel. */
  function dropHead(channel: Channel): void {
    const node = channel.head!;
    channel.head = node.next;
    if (channel.head === undefined) {
      channel.tail = undefined;
      channels.delete(channel.name);
    }
    channel.size -= 1;
    if (node.older === undefined) oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === undefined) newest = node.older;
    else node.newer.older = node.older;
    bytes -= node.cost;
  }

  function dropAged(): void {
    const limit = now() - maxAgeMs;
    while (oldest !== undefined && oldest.entry.acceptedAt < limit) dropHead(oldest.channel);
  }

  return {
    add(name, entry) {
      let channel = channels.get(name);
      if (channel === undefined) channels.set(name, (channel = { name, size: 0 }));
      const node: Node = { entry, cost: entry.frame.length + ENTRY_OVERHEAD_BYTES, channel, older: newest };
      if (channel.tail === undefined) channel.head = node;
      else channel.tail.next = node;
      channel.tail = node;
      channel.size += 1;
      if (newest === undefined) oldest = node;
      else newest.newer = node;
      newest = node;
      bytes += node.cost;
      if (channel.size > count) dropHead(channel);
      while (bytes > maxBytes) dropHead(oldest!.channel);
    },
    after(name, from) {
      dropAged();
      const kept: AcceptedMessage[] = [];
      for (let node = channels.get(name)?.head; node !== undefined; node = node.next) {
        const { message } = node.entry;
        if (compareRefs(message.timestamp, message.sequenceNumber, from.timestamp, from.sequenceNumber) > 0) kept.push(node.entry);
      }
      return kept;
    },
    sweep: dropAged,
    bytes: () => bytes,
  };
}
