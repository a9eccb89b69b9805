import { isIPv4 } from "node:net";
import { InvalidArgumentError } from "../sdk/errors";
import type { KeywayClient } from "../sdk/client";
import type { ConnectionOptions } from "../sdk/context";
import { DEFAULT_MAX_CHAINS, DEFAULT_MAX_FORGOTTEN_PUBLISHERS } from "../sdk/message/validator";
import type { Broker } from "./broker";

/** Every limit of the relay, with its default (docs/relay.md lists them). */
export interface RelayLimits {
  /** Largest incoming frame, bytes; a larger one closes the connection with 1009. Default 64 KiB. */
  maxFrameBytes: number;
  /** Subscriptions one connection may hold. Default 128. */
  subscribeLimit: number;
  /**
   * Subscribes per second one connection may make, beyond a burst of `subscribeLimit` plus one
   * second's worth (`subscribeBurst`: after a reconnect the SDK resubscribes every subscription
   * at once). Each may cost a node read when the cache does not know the answer; refusals that
   * cost nothing (TOO_MANY_SUBSCRIPTIONS, ALREADY_SUBSCRIBED, malformed) take no token. Default 10.
   */
  subscribeRate: number;
  /**
   * Publishes per second one connection may make (token bucket holding one second's worth).
   * Default 5,000: a sensor, a game's ticks, a market-data feed and a benchmark's firehose fit;
   * one connection at the limit takes at most about half of what the relay validates on 2 cores
   * (~11,000/s), so one publisher cannot take it all. docs/relay.md, Limits.
   */
  publishRate: number;
  /** Bytes that may wait to be sent to one connection; beyond it the connection is closed with 1013. Default 4 MiB. */
  maxBufferedBytes: number;
  /**
   * Bytes that may wait to be sent to all connections together; beyond it a connection that
   * has a backlog is closed with 1013 when the next frame for it comes (a reader keeping up is
   * not). `maxBufferedBytes` times `maxConnections` would be 40 GB. Default 1 GiB.
   */
  maxBufferedBytesTotal: number;
  /**
   * Bytes of one connection's requests that may wait for their answers (publishes being
   * validated, subscribes being checked); beyond it the relay reads nothing more from that
   * connection until answers go out, and TCP holds the sender back. Default 1 MiB.
   */
  maxPendingRequestBytes: number;
  /**
   * Bytes of all connections' requests that may wait for their answers together; past it each
   * connection whose request arrives is read no more until the total falls below (TCP holds
   * the senders back; nothing is refused). `maxPendingRequestBytes` times `maxConnections`
   * would be 10 GB. Default 64 MiB.
   */
  maxPendingRequestBytesTotal: number;
  /**
   * Subscribes whose check reads the chain node (the cache does not know the stream's existence
   * or the permission) at once, all connections together; one more is refused RATE_LIMITED before
   * any read. A subscribe the cache answers does not count. Default 256: one reconnecting
   * client's whole burst (`subscribeLimit + subscribeRate`, 138) fits, with room.
   */
  maxSubscribeReads: number;
  /**
   * Publishes whose permission the validator reads from the chain node at once, relay-wide (a
   * publisher or stream the cache does not know yet); one more is refused RATE_LIMITED before any
   * read. Publishing needs no sign-in: without it, messages signed by fresh keys would make the
   * node read without bound. Default 256.
   */
  maxPublishReads: number;
  /**
   * A connection without a subscription is closed with 1008 this long after it opened, published
   * or lost its last subscription, whether signed in or not (signing in does not count). Default 30 s.
   */
  idleTimeoutMs: number;
  /** Ping period; a peer that has not answered the previous ping by the next one is dropped. Default 30 s. */
  heartbeatIntervalMs: number;
  /** Messages kept per (stream, partition) for `from`. Default 1,000. */
  historyCount: number;
  /** Age beyond which a kept message is dropped, ms. Default 10 minutes. */
  historyMaxAgeMs: number;
  /**
   * The largest `limit` a `history` query may ask for; a larger one is INVALID_REQUEST. The reply
   * also stops before its messages pass a quarter of `maxBufferedBytes`. Default 100.
   */
  maxHistoryLimit: number;
  /**
   * Bytes of history one relay keeps in all channels (each message's frame plus a fixed
   * overhead); beyond it the oldest accepted, on any channel, are dropped first. Default 64 MiB:
   * one channel's full `historyCount` of the largest frames, or ~60,000 messages of 1 KB.
   * A cluster's history is in Redis, bounded per channel (docs/relay.md, Cluster).
   */
  historyMaxBytes: number;
  /** How far a SIWE message's issuedAt may be ahead of the relay's clock, ms. Default 60 s. */
  authClockSkewMs: number;
  /** How often the registry's events are polled, ms. Default 1 s. */
  pollingInterval: number;
  /**
   * A publish dated further behind the relay's clock is refused (MESSAGE_REJECTED, `stale`): a
   * relay takes live messages only, and remembers what it (or its cluster) accepted this long.
   * Covers the SDK re-sending a publish after a reconnect (backoff up to 5 s). Default 30 s.
   */
  maxMessageAgeMs: number;
  /** Publisher chains the validator remembers for duplicate detection, least recently used forgotten first. Default 10,000. */
  maxChains: number;
  /**
   * Publishers whose forgotten chains' newest positions are kept (for `maxMessageAgeMs`), so
   * that their replays stay refused; beyond it the oldest is dropped. Default 100,000.
   */
  maxForgottenPublishers: number;
  /** Open connections, all addresses together; beyond it the WebSocket upgrade is answered 503. Default 10,000. */
  maxConnections: number;
  /**
   * Open connections from one remote address (an IPv6 one's /64); beyond it the upgrade is
   * answered 429. Behind a proxy every client has the proxy's address: raise it there. Default
   * 100 on a relay reachable beyond this host; on a loopback `host` (the default 127.0.0.1)
   * every client is this machine, so `maxConnections` (see `resolveLimits`).
   */
  maxConnectionsPerAddress: number;
  /** Failed sign-ins after which a connection is closed with 1008; further ones meanwhile are RATE_LIMITED. Default 5. */
  maxAuthFailures: number;
  /**
   * Failed sign-ins per minute from one remote address (token bucket holding a minute's worth);
   * beyond it every sign-in from there is refused RATE_LIMITED unread. Default 30.
   */
  authFailureRate: number;
  /** Gas a contract wallet's sign-in check (ERC-1271, or ERC-6492 with its deployment) may use on the node. Default 500,000. */
  contractSignInGas: number;
  /** How long a contract wallet's sign-in check is awaited before the sign-in is refused, ms. Default 5 s. */
  contractSignInTimeoutMs: number;
  /** Contract wallet sign-in checks the relay runs at once, all connections together; beyond it RATE_LIMITED. Default 4. */
  contractSignInConcurrency: number;
  /**
   * Key exchange frames (`keyRequest`, `keyResponse`) per second one connection may send,
   * beyond a burst of ten seconds' worth; each key request costs a signature recovery and maybe
   * a node read. Default 20: a re-key to 100 readers is five seconds of one publisher's
   * allowance at most, spent at once from the burst.
   */
  keyExchangeRate: number;
  /** Addresses one `keyRequest` may be sent to (the publisher, or other Subscribe holders). Default 32. */
  maxKeyRequestRecipients: number;
  /** With `sponsorKey`: changes one signer may have sponsored a minute (a minute's worth at once); beyond it RATE_LIMITED. Default 10. */
  sponsorRatePerSigner: number;
  /** With `sponsorKey`: changes sponsored a second, all signers together (a second's worth at once). Default 5. */
  sponsorRate: number;
  /** With `sponsorKey`: gas the sponsor's transactions may use an hour; once spent, RATE_LIMITED until the hour ends. Default 10,000,000. */
  sponsorGasBudget: number;
  /** With `sponsorKey`: accepted changes waiting to be sent (the key sends one at a time); beyond it RATE_LIMITED. Default 32. */
  sponsorQueue: number;
}

export const DEFAULT_LIMITS: RelayLimits = {
  maxFrameBytes: 64 * 1024,
  subscribeLimit: 128,
  subscribeRate: 10,
  publishRate: 5_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxBufferedBytesTotal: 1024 * 1024 * 1024,
  maxPendingRequestBytes: 1024 * 1024,
  maxPendingRequestBytesTotal: 64 * 1024 * 1024,
  maxSubscribeReads: 256,
  maxPublishReads: 256,
  idleTimeoutMs: 30_000,
  heartbeatIntervalMs: 30_000,
  historyCount: 1_000,
  historyMaxAgeMs: 10 * 60_000,
  maxHistoryLimit: 100,
  historyMaxBytes: 64 * 1024 * 1024,
  authClockSkewMs: 60_000,
  pollingInterval: 1_000,
  maxMessageAgeMs: 30_000,
  sponsorRatePerSigner: 10,
  sponsorRate: 5,
  sponsorGasBudget: 10_000_000,
  sponsorQueue: 32,
  maxChains: DEFAULT_MAX_CHAINS,
  maxForgottenPublishers: DEFAULT_MAX_FORGOTTEN_PUBLISHERS,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 100,
  maxAuthFailures: 5,
  authFailureRate: 30,
  contractSignInGas: 500_000,
  contractSignInTimeoutMs: 5_000,
  contractSignInConcurrency: 4,
  keyExchangeRate: 20,
  maxKeyRequestRecipients: 32,
};

/** The subscribe bucket's capacity: a reconnecting client's every subscription, and a second's worth beyond. */
/** What a connection's key exchange bucket holds: ten seconds' worth, a publisher's re-key to many readers at once. */
export function keyExchangeBurst(limits: RelayLimits): number {
  return 10 * limits.keyExchangeRate;
}

export function subscribeBurst(limits: RelayLimits): number {
  return limits.subscribeLimit + limits.subscribeRate;
}

export const DEFAULT_RELAY_HOST = "127.0.0.1";
export const DEFAULT_RELAY_PORT = 8546;

export interface RelayOptions extends ConnectionOptions, Partial<RelayLimits> {
  /** Interface to listen on. Default 127.0.0.1: binding further is the embedder's explicit choice. */
  host?: string;
  /** Port; 0 picks a free one (see `Relay.url`). Default 8546. */
  port?: number;
  /**
   * The client whose cache answers permission questions and whose watcher reports registry
   * changes. Default: one built from the connection options with `pollingInterval`; a client
   * passed here stays the caller's (close() does not destroy it).
   */
  client?: KeywayClient;
  /** Carries accepted messages between relays and keeps history. Default: in-process (`createLocalBroker`), or Redis with `redisUrl`. */
  broker?: Broker;
  /**
   * Joins the relays that share this Redis (`redis://host:port`): each delivers what any of
   * them accepted, and history (`historyCount`, `historyMaxAgeMs`) and duplicate detection are
   * the cluster's (docs/relay.md, Cluster). Ignored when `broker` is given.
   */
  redisUrl?: string;
  /**
   * Joins the relays that share this Redis Cluster, reached through any of these nodes
   * (`host:port`), as `redisUrl` does for one Redis: each stream partition's keys share one hash
   * tag, fan-out is sharded Pub/Sub and a relay receives only the channels it has subscribers
   * for (docs/relay.md, Cluster). Not with `redisUrl`. Ignored when `broker` is given.
   */
  redisCluster?: readonly string[];
  /**
   * Worker threads that recover publishers' keys from signatures, the costliest step of
   * validating a message, beside the relay's own thread. 0 recovers in the relay's thread.
   * Default: one fewer than the machine's cores, at most 4 (`DEFAULT_RECOVERY_THREADS`).
   */
  recoveryThreads?: number;
  /** One line per notable event (start, broker trouble). Default: nothing. */
  log?: (line: string) => void;
  /**
   * A funded key with which the relay sends the signed changes (`…BySig`) its signed-in clients
   * hand it (`sponsor` frames), after simulating each. Off by default: without it `sponsor` is
   * refused INVALID_REQUEST. Bounded by `sponsorRatePerSigner`, `sponsorRate`, `sponsorGasBudget`, `sponsorQueue`.
   */
  sponsorKey?: `0x${string}`;
}

/** Whether `host` is a loopback interface: a relay listening there is reachable from this machine only. */
function isLoopback(host: string): boolean {
  const address = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return address === "localhost" || address === "::1" || (isIPv4(address) && address.startsWith("127."));
}

/**
 * The limits of `options`, each checked to be a positive integer, for a relay listening on
 * `host`: on loopback every client has a loopback address (benchmarks, tests, a proxy on this
 * host), so `maxConnectionsPerAddress` defaults to `maxConnections` there.
 */
export function resolveLimits(options: Partial<RelayLimits>, host: string = DEFAULT_RELAY_HOST): RelayLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const name of Object.keys(DEFAULT_LIMITS) as (keyof RelayLimits)[]) {
    const value = options[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got ${value}`);
    limits[name] = value;
  }
  if (options.maxConnectionsPerAddress === undefined && isLoopback(host)) limits.maxConnectionsPerAddress = limits.maxConnections;
  return limits;
}
