import { Cluster, Redis } from "ioredis";

/** Where the relays of a cluster meet: one Redis (`url`), or a Redis Cluster reached through any of its `nodes` (`host:port`). */
export type RedisTarget = { url: string; nodes?: undefined } | { nodes: readonly string[]; url?: undefined };

/** A connection to the target: a plain client for one Redis, ioredis's Cluster client (sharded Pub/Sub on) for a cluster. */
export type RedisClient = Redis | Cluster;

/** How a connection retries: no offline queue (a command fails at once without Redis), reconnects within a second. */
const RETRY = { maxRetriesPerRequest: 0, retryStrategy: (times: number) => Math.min(50 * 2 ** times, 1_000) };

/**
 * Connects to the target. On a cluster, keyed commands and scripts go to the master of their
 * keys' slot (every key a script touches shares one hash tag), SSUBSCRIBE to a connection of
 * its own per master, and the slot map is refreshed when a node goes or a MOVED comes back.
 *
 * @param target One Redis or a cluster's nodes.
 * @param autoResubscribe Whether one Redis's client subscribes again by itself after a reconnect (a cluster's always does). Default true.
 * @returns The client, connecting (its `ready` event says when it is up).
 * @example
 * const commands = connectRedis({ nodes: ["127.0.0.1:7000", "127.0.0.1:7001"] });
 */
export function connectRedis(target: RedisTarget, autoResubscribe = true): RedisClient {
  if (target.url !== undefined) return new Redis(target.url, { lazyConnect: false, enableOfflineQueue: false, autoResubscribe, ...RETRY });
  const nodes = target.nodes.map((node) => {
    const colon = node.lastIndexOf(":");
    return { host: node.slice(0, colon).replace(/^\[(.*)\]$/, "$1"), port: Number(node.slice(colon + 1)) };
  });
  return new Redis.Cluster(nodes, {
    lazyConnect: false,
    enableOfflineQueue: false,
    shardedSubscribers: true,
    clusterRetryStrategy: RETRY.retryStrategy,
    // A failover takes about cluster-node-timeout: commands to the failed master's slots fail (UNAVAILABLE) meanwhile rather than wait.
    retryDelayOnFailover: 100,
    redisOptions: { maxRetriesPerRequest: 0, lazyConnect: false },
  });
}

/** Where the target is, for log lines and errors. */
export function describeTarget(target: RedisTarget): string {
  return target.url ?? `the Redis Cluster at ${target.nodes.join(",")}`;
}

/**
 * Parses `host:port,host:port,…` (the `--redis-cluster` flag).
 *
 * @param text The comma-separated nodes (an IPv6 host in brackets).
 * @returns The nodes, or undefined when an entry is not `host:port` with a port from 1 to 65535.
 * @example
 * parseClusterNodes("127.0.0.1:7000,127.0.0.1:7001") // ["127.0.0.1:7000", "127.0.0.1:7001"]
 */
export function parseClusterNodes(text: string): string[] | undefined {
  const nodes = text.split(",").map((node) => node.trim());
  const valid = nodes.every((node) => {
    const match = /^(\[[0-9a-fA-F:]+\]|[^:\s[\]]+):(\d{1,5})$/.exec(node);
    return match !== null && Number(match[2]) > 0 && Number(match[2]) <= 65_535;
  });
  return valid && nodes.length > 0 ? nodes : undefined;
}
