import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { BrokerUnavailableError } from "./broker";
import { createPresenceCounts, type Member, type Presence, type PresenceChange, presenceStateOf } from "./presence";

export interface RedisPresenceOptions {
  /** redis://[user:password@]host:port[/db], the cluster broker's. */
  url: string;
  /** Prefix of every key and Pub/Sub channel (the broker's). Default `keyway`. */
  prefix?: string;
  /** The relay's heartbeat: a relay that stops refreshing its entries loses them within it. */
  heartbeatIntervalMs: number;
}

/**
 * Shared by the scripts: sets this relay's count of `member` on channel `ch` to `new`, keeps the
 * cluster's total per member, and publishes `join`/`leave` when a signed-in member's total
 * leaves or reaches 0, in the same atomic step: each change is announced once, by one relay.
 * ARGV[1] is the key prefix.
 */
const APPLY = `
local P = ARGV[1]
local function apply(ch, id, member, new)
  local mine = P .. ':presence:{' .. ch .. '}:r:' .. id
  local old = tonumber(redis.call('HGET', mine, member) or '0')
  if new == old then return end
  if new > 0 then redis.call('HSET', mine, member, new) else redis.call('HDEL', mine, member) end
  local total = redis.call('HINCRBY', P .. ':presence:{' .. ch .. '}:t', member, new - old)
  if total <= 0 then redis.call('HDEL', P .. ':presence:{' .. ch .. '}:t', member) end
  local before = total - (new - old)
  if member ~= '' and before <= 0 and total > 0 then redis.call('PUBLISH', P .. ':pe:' .. ch, 'join\\n' .. member) end
  if member ~= '' and before > 0 and total <= 0 then redis.call('PUBLISH', P .. ':pe:' .. ch, 'leave\\n' .. member) end
  local channels = P .. ':presence:relay:' .. id
  if redis.call('EXISTS', mine) == 1 then redis.call('SADD', channels, ch) else redis.call('SREM', channels, ch) end
end
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * Sets this relay's counts of the given members on one channel (absolute, so a retry is
 * harmless); with `full`, also drops its members not given. A relay the cluster no longer knows
 * (reaped) is refused (0) unless `full`: it must send everything again.
 * ARGV: 1 prefix, 2 relay id, 3 lifetime ms, 4 full (0/1), 5 channel, then member, count pairs.
 */
const SYNC = `${APPLY}
local id, ch = ARGV[2], ARGV[5]
local relays = P .. ':presence:relays'
if ARGV[4] ~= '1' and redis.call('HEXISTS', relays, id) == 0 then return 0 end
redis.call('HSET', relays, id, now() + tonumber(ARGV[3]))
local given = {}
for i = 6, #ARGV, 2 do
  given[ARGV[i]] = true
  apply(ch, id, ARGV[i], tonumber(ARGV[i + 1]))
end
if ARGV[4] == '1' then
  for _, member in ipairs(redis.call('HKEYS', P .. ':presence:{' .. ch .. '}:r:' .. id)) do
    if not given[member] then apply(ch, id, member, 0) end
  end
end
return 1
`;

/**
 * Renews this relay's lifetime, then drops every relay whose lifetime passed (one that was
 * killed, or lost Redis too long): its members leave. Returns whether this relay was still
 * known (0: it was reaped, or Redis lost its data, and must send everything again).
 * ARGV: 1 prefix, 2 relay id, 3 lifetime ms.
 */
const REFRESH = `${APPLY}
local id = ARGV[2]
local relays = P .. ':presence:relays'
local known = redis.call('HEXISTS', relays, id)
local at = now()
redis.call('HSET', relays, id, at + tonumber(ARGV[3]))
local entries = redis.call('HGETALL', relays)
for i = 1, #entries, 2 do
  local other = entries[i]
  if tonumber(entries[i + 1]) < at then
    local channels = P .. ':presence:relay:' .. other
    for _, ch in ipairs(redis.call('SMEMBERS', channels)) do
      local mine = P .. ':presence:{' .. ch .. '}:r:' .. other
      for _, member in ipairs(redis.call('HKEYS', mine)) do apply(ch, other, member, 0) end
    end
    redis.call('DEL', channels)
    redis.call('HDEL', relays, other)
  end
end
return known
`;

/** Removes this relay's entries at once (a relay closing): its members leave now, not at the next reap. ARGV: 1 prefix, 2 relay id. */
const WITHDRAW = `${APPLY}
local id = ARGV[2]
local channels = P .. ':presence:relay:' .. id
for _, ch in ipairs(redis.call('SMEMBERS', channels)) do
  for _, member in ipairs(redis.call('HKEYS', P .. ':presence:{' .. ch .. '}:r:' .. id)) do apply(ch, id, member, 0) end
end
redis.call('DEL', channels)
redis.call('HDEL', P .. ':presence:relays', id)
return 1
`;

interface PresenceCommands {
  keywayPresenceSync(...args: (string | number)[]): Promise<number>;
  keywayPresenceRefresh(...args: (string | number)[]): Promise<number>;
  keywayPresenceWithdraw(...args: (string | number)[]): Promise<number>;
}

/**
 * Presence for relays that share a Redis (docs/relay.md, Presence and join/leave). Each relay
 * keeps its own counts (the truth for its connections) and copies them to a hash per channel
 * and relay, with the cluster's totals per member beside them; a script sets counts and
 * totals together and publishes each join and leave once. Each relay renews its lifetime every
 * third of the heartbeat and drops, in the same script, the relays whose lifetime (two thirds
 * of the heartbeat) passed: a killed relay's members leave within one heartbeat. Changes are
 * copied in batches, one script call per channel at a time; a failed copy is retried at the
 * next renewal, and a relay the cluster dropped (or a Redis that lost its data) sends all again.
 * A query reads the totals: one HGETALL.
 */
export async function createRedisPresence({ url, prefix = "keyway", heartbeatIntervalMs }: RedisPresenceOptions): Promise<Presence> {
  const options = { lazyConnect: false, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1_000) };
  const commands = new Redis(url, options);
  const subscriber = new Redis(url, options);
  commands.defineCommand("keywayPresenceSync", { numberOfKeys: 0, lua: SYNC });
  commands.defineCommand("keywayPresenceRefresh", { numberOfKeys: 0, lua: REFRESH });
  commands.defineCommand("keywayPresenceWithdraw", { numberOfKeys: 0, lua: WITHDRAW });
  const scripts = commands as unknown as PresenceCommands;
  for (const connection of [commands, subscriber]) connection.on("error", () => undefined); // the broker reports Redis's state

  const id = randomBytes(8).toString("hex");
  const lifetimeMs = Math.ceil((heartbeatIntervalMs * 2) / 3);
  const counts = createPresenceCounts();
  /** Members whose count changed since it was last copied, per channel. */
  let dirty = new Map<string, Set<Member>>();
  /** Everything must be copied again (full): the cluster does not know this relay. */
  let lost = true;
  let flushing: Promise<void> | undefined;
  let closed = false;
  let listener: ((channel: string, change: PresenceChange, address: string) => void) | undefined;

  const eventsPrefix = `${prefix}:pe:`;
  subscriber.on("pmessage", (_pattern: string, channel: string, payload: string) => {
    const newline = payload.indexOf("\n");
    listener?.(channel.slice(eventsPrefix.length), payload.slice(0, newline) as PresenceChange, payload.slice(newline + 1));
  });
  subscriber.on("ready", () => void subscriber.psubscribe(`${eventsPrefix}*`).catch(() => undefined));

  function sync(channel: string, members: Iterable<Member>, full: boolean): Promise<number> {
    const pairs = [...members].flatMap((member) => [member, counts.of(channel)?.get(member) ?? 0]);
    return scripts.keywayPresenceSync(prefix, id, lifetimeMs, full ? 1 : 0, channel, ...pairs);
  }

  /** Copies what changed (everything when `lost`); what fails stays to copy at the next renewal. */
  async function copy(): Promise<void> {
    if (lost) {
      lost = false;
      dirty = new Map();
      for (const channel of [...counts.channels()]) {
        await sync(channel, counts.of(channel)?.keys() ?? [], true).catch((error: unknown) => {
          lost = true;
          throw error;
        });
      }
    }
    const batch = dirty;
    dirty = new Map();
    for (const [channel, members] of batch) {
      try {
        if ((await sync(channel, members, false)) === 0) lost = true;
      } catch (error) {
        for (const member of members) mark(channel, member);
        throw error;
      }
    }
  }

  function flush(): void {
    if (flushing !== undefined || closed) return;
    flushing = copy().then(
      () => {
        flushing = undefined;
        if (dirty.size > 0 || lost) setImmediate(flush);
      },
      () => {
        flushing = undefined; // Redis is down (the broker says so): retried at the next renewal
      },
    );
  }

  function mark(channel: string, member: Member): void {
    let members = dirty.get(channel);
    if (members === undefined) dirty.set(channel, (members = new Set()));
    members.add(member);
  }

  function change(channel: string, member: Member, delta: number): void {
    counts.add(channel, member, delta);
    mark(channel, member);
    flush();
  }

  async function renew(): Promise<void> {
    if ((await scripts.keywayPresenceRefresh(prefix, id, lifetimeMs)) === 0) lost = true;
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
    leave: (channel, member) => change(channel, member, -1),
    async query(channel) {
      try {
        const totals = await commands.hgetall(`${prefix}:presence:{${channel}}:t`);
        return presenceStateOf(Object.entries(totals).map(([member, count]) => [member, Number(count)]));
      } catch (error) {
        throw new BrokerUnavailableError(`the cluster's Redis did not answer (${(error as Error).message}): no presence now`, { cause: error });
      }
    },
    onChange(next) {
      listener = next;
    },
    async close() {
      closed = true;
      clearInterval(renewal);
      await flushing;
      await scripts.keywayPresenceWithdraw(prefix, id).catch(() => undefined);
      subscriber.disconnect();
      commands.disconnect();
    },
  };
}
