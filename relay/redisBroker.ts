import { Redis } from "ioredis";
import { compareRefs } from "../sdk/message/parse";
import { MessageRejectedError } from "../sdk/message/errors";
import { type Broker, BrokerUnavailableError, type BrokerStatus, type LocalChannels } from "./broker";
import type { AcceptedMessage, HistoryOptions, MessagePosition } from "./history";
import type { Position } from "../sdk/relay/protocol";
import { positionKeyOf } from "../sdk/message/chains";

export interface RedisBrokerOptions extends Omit<HistoryOptions, "now" | "maxBytes"> {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** Prefix of every key and Pub/Sub channel, so that several clusters can share a Redis. Default `keyway`. */
  prefix?: string;
  /**
   * How long a message's duplicate marker lives, ms: at least as long as the relays take it as
   * live (their `maxMessageAgeMs` plus the clock skew), whatever the history's age bound. Default `maxAgeMs`.
   */
  markerTtlMs?: number;
}

/**
 * Appends an accepted message unless its position was seen: the duplicate check, the history
 * and the fan-out in one atomic step, so that of two relays accepting the same message only
 * one delivers it, and a message in the history is a message that was delivered.
 * KEYS: 1 the channel's stream, 2 the position's marker (same hash slot: `{channel}`).
 * ARGV: 1 entry, 2 age bound ms, 3 count bound, 4 oldest id kept, 5 Pub/Sub channel, 6 marker lifetime ms.
 * Returns the entry's stream id, or nil for a duplicate.
 */
const APPEND = `
if not redis.call('SET', KEYS[2], '', 'NX', 'PX', ARGV[6]) then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '*', 'e', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[5], id .. '\\n' .. ARGV[1])
return id
`;

/** Stream ids are `<ms>-<seq>`: compared as numbers, not as text. */
function compareIds(a: string, b: string): number {
  const [aMs, aSeq] = a.split("-").map(Number);
  const [bMs, bSeq] = b.split("-").map(Number);
  return aMs - bMs || aSeq - bSeq;
}

/** An entry as stored and published: `[publisher, msgChainId, timestamp, sequenceNumber, acceptedAt]`, a newline, the frame. */
function encodeEntry({ message, frame, acceptedAt }: AcceptedMessage): string {
  const { publisher, msgChainId, timestamp, sequenceNumber } = message;
  return `${JSON.stringify([publisher, msgChainId, timestamp, sequenceNumber, acceptedAt])}\n${frame.toString()}`;
}

function decodeEntry(text: string): AcceptedMessage {
  const newline = text.indexOf("\n");
  const [publisher, msgChainId, timestamp, sequenceNumber, acceptedAt] = JSON.parse(text.slice(0, newline));
  const message: MessagePosition = { publisher, msgChainId, timestamp, sequenceNumber };
  return { message, frame: Buffer.from(text.slice(newline + 1)), acceptedAt };
}

/**
 * A broker for relays that share a Redis (docs/relay.md, Cluster). Per channel, a Redis
 * Stream is the history (bounded by `count` and by `maxAgeMs`) and a Pub/Sub channel carries
 * each new entry, with its stream id, to every relay; a relay delivers an entry only if its
 * id is beyond the last it delivered on that channel, and after losing Redis it reads what
 * it missed from the streams before it lets Pub/Sub through again. A message is validated
 * once, by the relay that received it: the others deliver the stored frame as is.
 *
 * Resolves once Redis answered (or first failed: the broker then retries in the background
 * and reports through `onStatus`). Without Redis, `publish` and `replay` fail at once (the relay answers UNAVAILABLE: nothing
 * is acknowledged that Redis does not have); ioredis reconnects in the background.
 *
 * @example
 * const relay = await createRelay({ rpcUrl, registryAddress, broker: await createRedisBroker({ url: "redis://127.0.0.1:6379", count: 1000, maxAgeMs: 600_000 }) });
 */
export async function createRedisBroker({ url, count, maxAgeMs, prefix = "keyway", markerTtlMs = maxAgeMs }: RedisBrokerOptions): Promise<Broker> {
  const options = { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1_000) };
  const commands = new Redis(url, options);
  const subscriber = new Redis(url, { ...options, autoResubscribe: false });
  commands.defineCommand("keywayAppend", { numberOfKeys: 2, lua: APPEND });
  const append = (commands as unknown as { keywayAppend(...args: (string | number)[]): Promise<string | null> }).keywayAppend.bind(commands);

  const streamKey = (channel: string) => `${prefix}:{${channel}}:h`;
  const pubsubPrefix = `${prefix}:m:`;
  // Key exchange frames: one channel for the cluster, each relay keeps what its inboxes take.
  const forwardChannel = `${prefix}:inbox`;
  let forwarded: ((address: string, frame: string) => void) | undefined;
  /**
   * The last stream id delivered per channel served here: what a catch-up starts after, and
   * what Pub/Sub copies are checked against. Channels no local subscriber serves are not kept
   * (and dropped on `sweep`): the cluster's every channel would otherwise stay here for good.
   */
  const lastIds = new Map<string, string>();
  /**
   * Ms of Redis's clock up to which every appended entry reached this broker: the newest id it
   * saw, or Redis's TIME after its last catch-up. A served channel with no last id delivered
   * nothing since its subscribers came, so a catch-up reads it from here on and misses nothing.
   */
  let followedUntilMs = 0;
  let listener: ((channel: string, entry: AcceptedMessage) => void) | undefined;
  let local: LocalChannels | undefined;
  const statusListeners: ((status: BrokerStatus) => void)[] = [];
  /** While catching up after a reconnect, what Pub/Sub brings waits here. */
  let waiting: [string, string][] | undefined = [];
  let up: boolean | undefined;
  let closed = false;

  function report(next: boolean, detail: string): void {
    if (next === up || closed) return;
    up = next;
    statusListeners.forEach((notify) => notify({ up: next, detail }));
  }

  function deliver(channel: string, id: string, text: string): void {
    followedUntilMs = Math.max(followedUntilMs, Number(id.slice(0, id.indexOf("-"))));
    if (local !== undefined && !local.serves(channel)) {
      lastIds.delete(channel);
      return;
    }
    const last = lastIds.get(channel);
    if (last !== undefined && compareIds(id, last) <= 0) return;
    lastIds.set(channel, id);
    listener?.(channel, decodeEntry(text));
  }

  function received(pubsubChannel: string, payload: string): void {
    const newline = payload.indexOf("\n");
    const channel = pubsubChannel.slice(pubsubPrefix.length);
    if (waiting !== undefined) waiting.push([channel, payload]);
    else deliver(channel, payload.slice(0, newline), payload.slice(newline + 1));
  }

  /** Counts connection losses: a catch-up that saw one since it began does not let Pub/Sub through. */
  let losses = 0;
  let resuming = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const ready = () => subscriber.status === "ready" && commands.status === "ready";

  /** The channels a catch-up reads back: those served here (or, with no `local`, every one delivered before). */
  function followed(): Iterable<string> {
    return local === undefined ? [...lastIds.keys()] : new Set([...lastIds.keys(), ...local.channels()]);
  }

  /**
   * Reads, per channel followed, what came after its last id (or, with none, what Redis took
   * since `followedUntilMs`); then, if nothing dropped meanwhile, lets Pub/Sub through.
   */
  async function catchUp(): Promise<boolean> {
    const lossesBefore = losses;
    await Promise.all([subscriber.psubscribe(`${pubsubPrefix}*`), subscriber.subscribe(forwardChannel)]);
    const since = `${followedUntilMs}-0`;
    for (const channel of followed()) {
      const last = lastIds.get(channel);
      const entries = await commands.xrange(streamKey(channel), last === undefined ? since : `(${last}`, "+");
      for (const [id, fields] of entries) deliver(channel, id, fields[1]);
    }
    const [seconds, micros] = await commands.time();
    if (losses !== lossesBefore || !ready()) return false;
    followedUntilMs = Math.max(followedUntilMs, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    const queued = waiting ?? [];
    waiting = undefined;
    for (const [channel, payload] of queued) received(`${pubsubPrefix}${channel}`, payload);
    return true;
  }

  /**
   * Up once both connections are ready (a publish needs the command connection, delivery the
   * other), subscribed, and caught up. Subscribed first, then caught up: what is appended
   * meanwhile arrives by Pub/Sub and waits.
   */
  async function resume(): Promise<void> {
    if (closed || resuming) return;
    resuming = true;
    try {
      while (!closed && ready()) {
        const caughtUp = await catchUp().catch((error: Error) => {
          lost(error);
          return false;
        });
        if (caughtUp) return report(true, `connected to ${url}`);
        await new Promise((retry) => (retryTimer = setTimeout(retry, 200)));
      }
    } finally {
      resuming = false;
    }
  }

  function lost(error?: Error): void {
    losses++;
    waiting ??= [];
    report(false, error?.message ?? "connection closed");
  }

  subscriber.on("pmessage", (_pattern: string, pubsubChannel: string, payload: string) => received(pubsubChannel, payload));
  subscriber.on("message", (_channel: string, payload: string) => {
    const newline = payload.indexOf("\n");
    forwarded?.(payload.slice(0, newline), payload.slice(newline + 1));
  });
  for (const connection of [subscriber, commands]) {
    connection.on("ready", () => void resume());
    connection.on("close", () => lost());
    connection.on("error", (error: Error) => lost(error));
  }
  // The first answer either way: up, or down and retrying in the background.
  const started = new Promise<void>((resolve) => statusListeners.push(() => resolve()));

  await started;
  return {
    async publish(channel, entry) {
      // Accepted messages' publishers are lowercase addresses already (the validator's parse).
      const marker = `${prefix}:{${channel}}:d:${positionKeyOf(entry.message)}`;
      const oldestKept = `${Date.now() - maxAgeMs}-0`;
      let id: string | null;
      try {
        id = await append(streamKey(channel), marker, encodeEntry(entry), maxAgeMs, count, oldestKept, `${pubsubPrefix}${channel}`, markerTtlMs);
      } catch (error) {
        throw new BrokerUnavailableError(`the cluster's Redis did not take the message (${(error as Error).message}): not accepted, publish again`, { cause: error });
      }
      if (id === null) {
        throw new MessageRejectedError("duplicate", `position ${entry.message.timestamp}/${entry.message.sequenceNumber} of chain ${entry.message.msgChainId} was accepted already (by a relay of this cluster)`);
      }
    },
    async replay(channel, from: Position) {
      let entries: [string, string[]][];
      try {
        entries = await commands.xrange(streamKey(channel), `${Date.now() - maxAgeMs}-0`, "+");
      } catch (error) {
        throw new BrokerUnavailableError(`the cluster's Redis did not answer (${(error as Error).message}): no history now`, { cause: error });
      }
      return entries
        .map(([, fields]) => decodeEntry(fields[1]))
        .filter(({ message }) => compareRefs(message.timestamp, message.sequenceNumber, from.timestamp, from.sequenceNumber) > 0);
    },
    onMessage(next, channels) {
      listener = next;
      local = channels;
    },
    async forward(address, frame) {
      try {
        await commands.publish(forwardChannel, `${address}\n${frame}`);
      } catch (error) {
        throw new BrokerUnavailableError(`the cluster's Redis did not take the frame (${(error as Error).message}): send it again`, { cause: error });
      }
    },
    onForward(next) {
      forwarded = next;
    },
    onStatus(next) {
      statusListeners.push(next);
      if (up !== undefined) next({ up, detail: up ? `connected to ${url}` : `cannot reach ${url}` });
    },
    sweep() {
      // Redis trims on every append (count, age) and expires idle streams; `replay` skips what aged since.
      if (local !== undefined) for (const channel of lastIds.keys()) if (!local.serves(channel)) lastIds.delete(channel);
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      subscriber.disconnect();
      commands.disconnect();
    },
  };
}
