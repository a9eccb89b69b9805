import { compareRefs } from "../sdk/message/parse";
import { MessageRejectedError } from "../sdk/message/errors";
import { type Broker, BrokerUnavailableError, type BrokerStatus, type BrokerTraffic } from "./broker";
import { connectRedis, describeTarget, type RedisTarget } from "./redisClients";
import type { AcceptedMessage, HistoryOptions, MessagePosition } from "./history";
import type { Position } from "../sdk/relay/protocol";
import { positionKeyOf } from "../sdk/message/chains";

interface BrokerSettings extends Omit<HistoryOptions, "now" | "maxBytes"> {
  /** Prefix of every key and Pub/Sub channel, so that several clusters can share a Redis. Default `keyway`. */
  prefix?: string;
  /**
   * How long a message's duplicate marker lives, ms: at least as long as the relays take it as
   * live (their `maxMessageAgeMs` plus the clock skew), whatever the history's age bound. Default `maxAgeMs`.
   */
  markerTtlMs?: number;
}

/** One Redis (`url`: redis://[user:password@]host:port[/db]) or a Redis Cluster (`nodes`: host:port), and the history's bounds. */
export type RedisBrokerOptions = RedisTarget & BrokerSettings;

/**
 * Appends an accepted message unless its position was seen: the duplicate check, the history
 * and the fan-out in one atomic step, so that of two relays accepting the same message only
 * one delivers it, and a message in the history is a message that was delivered.
 * KEYS (one hash slot: `{channel}`): 1 the channel's stream, 2 the position's marker, 3 the sharded Pub/Sub channel.
 * ARGV: 1 entry, 2 age bound ms, 3 count bound, 4 oldest id kept, 5 marker lifetime ms.
 * Returns the entry's stream id, or nil for a duplicate.
 */
const APPEND = `
if not redis.call('SET', KEYS[2], '', 'NX', 'PX', ARGV[5]) then return false end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[3], '*', 'e', ARGV[1])
redis.call('XTRIM', KEYS[1], 'MINID', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SPUBLISH', KEYS[3], id .. '\\n' .. ARGV[1])
return id
`;

/** How long a catch-up may take before it counts as failed and is tried again (a shard's failover may leave a command unanswered). */
const CATCH_UP_TIMEOUT_MS = 5_000;

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
 * A broker for relays that share a Redis or a Redis Cluster (docs/relay.md, Cluster). Per
 * channel, a Redis Stream is the history (bounded by `count` and by `maxAgeMs`) and a sharded
 * Pub/Sub channel (SPUBLISH, in the stream's slot) carries each new entry, with its stream id,
 * to the relays that SSUBSCRIBEd to it: a relay follows only the channels it has subscribers
 * for (`follow`, `unfollow`). A relay delivers an entry only if its id is beyond the last it
 * delivered on that channel, and after losing a connection (or a shard's master) it
 * subscribes again and reads what it missed from the streams before it lets Pub/Sub through
 * again. A message is validated once, by the relay that received it: the others deliver the
 * stored frame as is.
 *
 * Resolves once Redis answered (or first failed: the broker then retries in the background
 * and reports through `onStatus`). Without Redis, `publish` and `replay` fail at once (the relay answers UNAVAILABLE: nothing
 * is acknowledged that Redis does not have); ioredis reconnects in the background.
 *
 * @example
 * const relay = await createRelay({ rpcUrl, registryAddress, broker: await createRedisBroker({ url: "redis://127.0.0.1:6379", count: 1000, maxAgeMs: 600_000 }) });
 */
export async function createRedisBroker({ prefix = "keyway", markerTtlMs, count, maxAgeMs, ...target }: RedisBrokerOptions): Promise<Broker> {
  const where = describeTarget(target);
  const commands = connectRedis(target);
  const subscriber = connectRedis(target, false); // its catch-up subscribes again, then reads what it missed
  commands.defineCommand("keywayAppend", { numberOfKeys: 3, lua: APPEND });
  const append = (commands as unknown as { keywayAppend(...args: (string | number)[]): Promise<string | null> }).keywayAppend.bind(commands);

  const streamKey = (channel: string) => `${prefix}:{${channel}}:h`;
  // The sharded channel shares the stream's hash tag: SPUBLISH in the append script stays in its slot.
  const shardChannel = (channel: string) => `${prefix}:{${channel}}:m`;
  const channelOf = (name: string) => name.slice(prefix.length + 2, -3);
  // Key exchange frames: one (cluster-wide) channel for all relays, each keeps what its inboxes take (docs/relay.md, Cluster).
  const forwardChannel = `${prefix}:inbox`;
  let forwarded: ((address: string, frame: string) => void) | undefined;
  /** The channels this relay's subscribers are on, each with its SSUBSCRIBE (settled once live, or left to the next catch-up). */
  const follows = new Map<string, Promise<void>>();
  /**
   * The last stream id delivered per followed channel (from `follow`, the stream's newest id
   * before it subscribed): what a catch-up starts after, and what Pub/Sub copies are checked against.
   */
  const lastIds = new Map<string, string>();
  /**
   * Ms of Redis's clock up to which every appended entry of the followed channels reached this
   * broker (Redis's TIME after its last catch-up): where a catch-up reads a channel followed
   * while Redis was away, which has no last id.
   */
  let followedUntilMs = 0;
  const traffic: BrokerTraffic = { received: 0, unneeded: 0 };
  let listener: ((channel: string, entry: AcceptedMessage) => void) | undefined;
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
    if (!follows.has(channel)) return; // its last subscriber left meanwhile
    const last = lastIds.get(channel);
    if (last !== undefined && compareIds(id, last) <= 0) return;
    lastIds.set(channel, id);
    listener?.(channel, decodeEntry(text));
  }

  function received(channel: string, payload: string): void {
    if (waiting !== undefined) return void waiting.push([channel, payload]);
    const newline = payload.indexOf("\n");
    deliver(channel, payload.slice(0, newline), payload.slice(newline + 1));
  }

  /** Counts connection losses: a catch-up that saw one since it began does not let Pub/Sub through. */
  let losses = 0;
  let resuming = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const ready = () => subscriber.status === "ready" && commands.status === "ready";

  /**
   * Subscribes to every followed channel (again: after a lost connection or a failover the
   * subscription may be gone) and reads, per channel, what came after its last id (or, with
   * none, what Redis took since `followedUntilMs`); then, if nothing dropped meanwhile, lets Pub/Sub through.
   */
  async function catchUp(): Promise<boolean> {
    const lossesBefore = losses;
    await subscriber.subscribe(forwardChannel);
    const since = `${followedUntilMs}-0`;
    // Channels followed meanwhile (their subscribe waits for this catch-up) are caught up too, before Pub/Sub goes through.
    const caughtUp = new Set<string>();
    const behind = () => [...follows.keys()].filter((channel) => !caughtUp.has(channel));
    for (let channels = behind(); channels.length > 0; channels = behind()) {
      channels.forEach((channel) => caughtUp.add(channel));
      // One SSUBSCRIBE per channel: on a cluster, the channels of one call must share a slot.
      await Promise.all(channels.map((channel) => subscriber.ssubscribe(shardChannel(channel))));
      await Promise.all(
        channels.map(async (channel) => {
          const last = lastIds.get(channel);
          const entries = await commands.xrange(streamKey(channel), last === undefined ? since : `(${last}`, "+");
          for (const [id, fields] of entries) deliver(channel, id, fields[1]);
        }),
      );
    }
    const [seconds, micros] = await commands.time();
    if (losses !== lossesBefore || !ready() || behind().length > 0) return false;
    followedUntilMs = Math.max(followedUntilMs, Number(seconds) * 1000 + Math.floor(Number(micros) / 1000));
    const queued = waiting ?? [];
    waiting = undefined;
    for (const [channel, payload] of queued) received(channel, payload);
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
        let timer: ReturnType<typeof setTimeout> | undefined;
        const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), CATCH_UP_TIMEOUT_MS)));
        const caughtUp = await Promise.race([
          catchUp().catch((error: Error) => {
            lost(error);
            return false;
          }),
          timedOut,
        ]);
        clearTimeout(timer);
        if (caughtUp) return report(true, `connected to ${where}`);
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
    // Catches up again: at once where the connections stay ready (a cluster that lost one master), else on their `ready`.
    void resume();
  }

  /** Starts following a channel now: its newest id, then SSUBSCRIBE; what comes after that id is delivered. */
  async function subscribe(channel: string): Promise<void> {
    if (up !== true) return; // the catch-up once Redis is back subscribes it and reads it from followedUntilMs
    try {
      const [newest] = await commands.xrevrange(streamKey(channel), "+", "-", "COUNT", 1);
      // What Pub/Sub brings from now on is newer; a catch-up (should the SSUBSCRIBE fail) reads after it.
      if (follows.has(channel) && !lastIds.has(channel)) lastIds.set(channel, newest?.[0] ?? "0-0");
      await subscriber.ssubscribe(shardChannel(channel));
    } catch (error) {
      lost(error as Error); // the catch-up once Redis is back subscribes it
    }
  }

  subscriber.on("smessage", (name: string, payload: string) => {
    const channel = channelOf(name);
    traffic.received++;
    if (!follows.has(channel)) traffic.unneeded++;
    received(channel, payload);
  });
  subscriber.on("message", (_channel: string, payload: string) => {
    const newline = payload.indexOf("\n");
    forwarded?.(payload.slice(0, newline), payload.slice(newline + 1));
  });
  for (const connection of [subscriber, commands]) {
    connection.on("ready", () => void resume());
    connection.on("close", () => lost());
    connection.on("error", (error: Error) => lost(error));
  }
  // A cluster stays ready when one master goes: the replacement of its sharded subscriber (after a failover, or a dropped connection)
  // is the loss, and the catch-up retries until the cluster serves every slot again.
  subscriber.on("-subscriber", () => lost(new Error("a sharded subscriber of the Redis Cluster was replaced")));
  // Slots moved to another master (resharding; a `sunsubscribe` push or a MOVED made ioredis re-read the slot map and
  // subscribe there): what was published meanwhile is read back. Before the first catch-up is done, that catch-up covers it.
  subscriber.on("subscribersReady", () => up === true && lost(new Error("the Redis Cluster's slots moved")));
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
        id = await append(streamKey(channel), marker, shardChannel(channel), encodeEntry(entry), maxAgeMs, count, oldestKept, markerTtlMs ?? maxAgeMs);
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
    onMessage(next) {
      listener = next;
    },
    follow(channel) {
      let following = follows.get(channel);
      if (following === undefined) follows.set(channel, (following = subscribe(channel)));
      return following;
    },
    unfollow(channel) {
      if (!follows.delete(channel)) return;
      lastIds.delete(channel);
      subscriber.sunsubscribe(shardChannel(channel)).catch(() => undefined); // a lost connection drops it anyway
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
      if (up !== undefined) next({ up, detail: up ? `connected to ${where}` : `cannot reach ${where}` });
    },
    traffic: () => ({ ...traffic }),
    // Redis trims on every append (count, age) and expires idle streams; `replay` skips what aged since.
    sweep: () => undefined,
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      subscriber.disconnect();
      commands.disconnect();
    },
  };
}
