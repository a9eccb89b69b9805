import { randomBytes } from "node:crypto";
import { BrokerUnavailableError } from "./broker";
import { connectRedis, type RedisTarget } from "./redisClients";
import { createPresenceCounts, type Member, type Presence, type PresenceChange, presenceStateOf } from "./presence";

interface PresenceSettings {
  /** Prefix of every key and Pub/Sub channel (the broker's). Default `keyway`. */
  prefix?: string;
  /** The relay's heartbeat: a relay that stops refreshing its entries loses them within it. */
  heartbeatIntervalMs: number;
}

/** The cluster broker's Redis (`url`) or Redis Cluster (`nodes`), and the relay's heartbeat. */
export type RedisPresenceOptions = RedisTarget & PresenceSettings;

/**
 * Shared by the scripts, each of which touches one channel `ch`: its keys share the hash tag
 * `{ch}` (one slot, also on a cluster). KEYS: 1 the channel's relays (id -> lifetime end, ms),
 * 2 its totals per member, 3 its sharded events channel. ARGV[1] prefixes a relay's own counts (`<ARGV[1]><id>`).
 * `apply` sets relay `id`'s count of `member` to `new`, keeps the totals, and publishes
 * `join`/`leave` when a signed-in member's total leaves or reaches 0, in the same atomic step:
 * each change is announced once, by one relay. `reap` drops the relays whose lifetime passed
 * (killed, or without Redis too long): their members leave. Every script reaps first, so no
 * read or write of a channel sees a dead relay's members.
 */
const APPLY = `
local function apply(id, member, new)
  local mine = ARGV[1] .. id
  local old = tonumber(redis.call('HGET', mine, member) or '0')
  if new == old then return end
  if new > 0 then redis.call('HSET', mine, member, new) else redis.call('HDEL', mine, member) end
  local total = redis.call('HINCRBY', KEYS[2], member, new - old)
  if total <= 0 then redis.call('HDEL', KEYS[2], member) end
  local before = total - (new - old)
  if member ~= '' and before <= 0 and total > 0 then redis.call('SPUBLISH', KEYS[3], 'join\\n' .. member) end
  if member ~= '' and before > 0 and total <= 0 then redis.call('SPUBLISH', KEYS[3], 'leave\\n' .. member) end
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function reap()
  local entries = redis.call('HGETALL', KEYS[1])
  for i = 1, #entries, 2 do
    if tonumber(entries[i + 1]) < now then
      for _, member in ipairs(redis.call('HKEYS', ARGV[1] .. entries[i])) do apply(entries[i], member, 0) end
      redis.call('HDEL', KEYS[1], entries[i])
    end
  end
end
`;

/**
 * Sets this relay's counts of the given members on the channel (absolute, so a retry is
 * harmless); with `full`, also drops its members not given. A relay the channel no longer knows
 * (reaped) is refused (0) unless `full`: it must send the channel's members again.
 * ARGV: 1 counts prefix, 2 relay id, 3 lifetime ms, 4 full (0/1), then member, count pairs.
 */
const SYNC = `${APPLY}
reap()
local id = ARGV[2]
if ARGV[4] ~= '1' and redis.call('HEXISTS', KEYS[1], id) == 0 then return 0 end
local given = {}
for i = 5, #ARGV, 2 do
  given[ARGV[i]] = true
  apply(id, ARGV[i], tonumber(ARGV[i + 1]))
end
if ARGV[4] == '1' then
  for _, member in ipairs(redis.call('HKEYS', ARGV[1] .. id)) do
    if not given[member] then apply(id, member, 0) end
  end
end
if redis.call('EXISTS', ARGV[1] .. id) == 1 then redis.call('HSET', KEYS[1], id, now + tonumber(ARGV[3])) else redis.call('HDEL', KEYS[1], id) end
return 1
`;

/**
 * Reaps the channel's dead relays, then renews this relay's lifetime on it. Returns whether the
 * channel still knew this relay (0: it was reaped, or Redis lost its data: send the channel again).
 * ARGV: 1 counts prefix, 2 relay id, 3 lifetime ms.
 */
const REFRESH = `${APPLY}
reap()
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], now + tonumber(ARGV[3]))
return 1
`;

/** Removes this relay's members from the channel at once (a relay closing): they leave now, not at the next reap. ARGV: 1 counts prefix, 2 relay id. */
const WITHDRAW = `${APPLY}
for _, member in ipairs(redis.call('HKEYS', ARGV[1] .. ARGV[2])) do apply(ARGV[2], member, 0) end
redis.call('HDEL', KEYS[1], ARGV[2])
return 1
`;

/** The channel's totals per member, once its dead relays are reaped. ARGV: 1 counts prefix. */
const QUERY = `${APPLY}
reap()
return redis.call('HGETALL', KEYS[2])
`;

interface PresenceCommands {
  keywayPresenceSync(...args: (string | number)[]): Promise<number>;
  keywayPresenceRefresh(...args: (string | number)[]): Promise<number>;
  keywayPresenceWithdraw(...args: (string | number)[]): Promise<number>;
  keywayPresenceQuery(...args: (string | number)[]): Promise<string[]>;
}

/** Members of a channel to copy: some (whose counts changed), or all of this relay's (`full`: the channel does not know it). */
type Pending = Set<Member> | "full";

/**
 * Presence for relays that share a Redis or a Redis Cluster (docs/relay.md, Presence and
 * join/leave). Each relay keeps its own counts (the truth for its connections) and copies them
 * to a hash per channel and relay, with the channel's totals per member and its relays'
 * lifetimes beside them, all under the channel's hash tag: each script touches one channel
 * (one slot), sets counts and totals together and SPUBLISHes each join and leave once, on the
 * channel's sharded events channel, to which only the relays with subscribers on it subscribe.
 * Each relay renews its lifetime on its channels every third of the heartbeat, reaping in the
 * same script the relays whose lifetime (two thirds of the heartbeat) passed: a killed relay's
 * members leave within one heartbeat (and any read or write of the channel reaps first). Changes
 * are copied in batches, one script call per channel at a time; a failed copy is retried at the
 * next renewal, and a channel that dropped this relay (or a Redis that lost its data) gets all of it again.
 */
export async function createRedisPresence({ prefix = "keyway", heartbeatIntervalMs, ...target }: RedisPresenceOptions): Promise<Presence> {
  const commands = connectRedis(target);
  const subscriber = connectRedis(target);
  const definitions = { keywayPresenceSync: SYNC, keywayPresenceRefresh: REFRESH, keywayPresenceWithdraw: WITHDRAW, keywayPresenceQuery: QUERY };
  for (const [name, lua] of Object.entries(definitions)) commands.defineCommand(name, { numberOfKeys: 3, lua });
  const scripts = commands as unknown as PresenceCommands;
  for (const connection of [commands, subscriber]) connection.on("error", () => undefined); // the broker reports Redis's state

  const id = randomBytes(8).toString("hex");
  const lifetimeMs = Math.ceil((heartbeatIntervalMs * 2) / 3);
  const counts = createPresenceCounts();
  /** What to copy, per channel. */
  let dirty = new Map<string, Pending>();
  let flushing: Promise<void> | undefined;
  let closed = false;
  let listener: ((channel: string, change: PresenceChange, address: string) => void) | undefined;

  /** The script keys of a channel (one hash tag), then its ARGV's counts prefix. */
  const keysOf = (channel: string) => {
    const tag = `${prefix}:presence:{${channel}}`;
    return [`${tag}:relays`, `${tag}:t`, `${tag}:e`, `${tag}:r:`];
  };
  const channelOf = (events: string) => events.slice(`${prefix}:presence:{`.length, -3);
  subscriber.on("smessage", (events: string, payload: string) => {
    const newline = payload.indexOf("\n");
    listener?.(channelOf(events), payload.slice(0, newline) as PresenceChange, payload.slice(newline + 1));
  });
  /** SSUBSCRIBEs to the channel's events (no event is kept to miss: ioredis subscribes again after a reconnect). */
  const listen = (channel: string) => subscriber.ssubscribe(keysOf(channel)[2]).then(() => undefined, () => undefined);
  // Also those whose SSUBSCRIBE failed while Redis was away.
  subscriber.on("ready", () => [...counts.channels()].forEach(listen));

  function sync(channel: string, pending: Pending): Promise<number> {
    const members = pending === "full" ? (counts.of(channel)?.keys() ?? []) : pending;
    const pairs = [...members].flatMap((member) => [member, counts.of(channel)?.get(member) ?? 0]);
    return scripts.keywayPresenceSync(...keysOf(channel), id, lifetimeMs, pending === "full" ? 1 : 0, ...pairs);
  }

  /** Copies what changed; what fails stays to copy at the next renewal. */
  async function copy(): Promise<void> {
    const batch = [...dirty];
    dirty = new Map();
    for (let sent = 0; sent < batch.length; sent++) {
      const [channel, pending] = batch[sent];
      try {
        if ((await sync(channel, pending)) === 0) mark(channel, "full");
      } catch (error) {
        for (const [unsent, members] of batch.slice(sent)) mark(unsent, members);
        throw error;
      }
    }
  }

  function flush(): void {
    if (flushing !== undefined || closed) return;
    flushing = copy().then(
      () => {
        flushing = undefined;
        if (dirty.size > 0) setImmediate(flush);
      },
      () => {
        flushing = undefined; // Redis is down (the broker says so): retried at the next renewal
      },
    );
  }

  function mark(channel: string, members: Pending): void {
    const pending = dirty.get(channel);
    if (pending === "full" || members === "full") return void dirty.set(channel, "full");
    if (pending === undefined) dirty.set(channel, new Set(members));
    else members.forEach((member) => pending.add(member));
  }

  function change(channel: string, member: Member, delta: number): Promise<void> {
    const had = counts.of(channel) !== undefined;
    counts.add(channel, member, delta);
    const has = counts.of(channel) !== undefined;
    mark(channel, new Set([member]));
    flush();
    if (had && !has) subscriber.sunsubscribe(keysOf(channel)[2]).catch(() => undefined);
    return !had && has ? listen(channel) : Promise.resolve();
  }

  /** Renews this relay on each of its channels; a channel that dropped it gets all of its members again. */
  async function renew(): Promise<void> {
    await Promise.all(
      [...counts.channels()].map(async (channel) => {
        if ((await scripts.keywayPresenceRefresh(...keysOf(channel), id, lifetimeMs)) === 0) mark(channel, "full");
      }),
    );
  }
  const renewal = setInterval(() => {
    void renew()
      .then(flush)
      .catch(() => undefined);
  }, Math.max(1, Math.floor(heartbeatIntervalMs / 3)));

  await new Promise<void>((resolve) => {
    if (commands.status === "ready") resolve();
    commands.once("ready", resolve);
    commands.once("error", resolve);
  });
  return {
    join: (channel, member) => change(channel, member, 1),
    leave: (channel, member) => void change(channel, member, -1),
    async query(channel) {
      let flat: string[];
      try {
        flat = await scripts.keywayPresenceQuery(...keysOf(channel));
      } catch (error) {
        throw new BrokerUnavailableError(`the cluster's Redis did not answer (${(error as Error).message}): no presence now`, { cause: error });
      }
      const totals: [Member, number][] = [];
      for (let i = 0; i < flat.length; i += 2) totals.push([flat[i], Number(flat[i + 1])]);
      return presenceStateOf(totals);
    },
    onChange(next) {
      listener = next;
    },
    async close() {
      closed = true;
      clearInterval(renewal);
      await flushing;
      await Promise.all([...counts.channels()].map((channel) => scripts.keywayPresenceWithdraw(...keysOf(channel), id).catch(() => undefined)));
      subscriber.disconnect();
      commands.disconnect();
    },
  };
}
