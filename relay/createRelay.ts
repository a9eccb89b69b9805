import type { Address } from "viem";
import { assertRegistryDeployed } from "../sdk/context";
import { KeywayClient } from "../sdk/client";
import { createAuthorityContext } from "../sdk/delegation/check";
import { createMessageValidator, DEFAULT_MAX_CLOCK_SKEW_MS } from "../sdk/message/validator";
import { permissionSourceOf } from "../sdk/actions/getPermissionExpiry";
import { type Broker, type BrokerTraffic, createLocalBroker } from "./broker";
import type { RedisTarget } from "./redisClients";
import { InvalidArgumentError } from "../sdk/errors";
import type { RelayContext } from "./context";
import { startEnforcement } from "./enforcement";
import { createSponsor } from "./sponsor";
import { DEFAULT_RELAY_HOST, DEFAULT_RELAY_PORT, type RelayLimits, type RelayOptions, resolveLimits } from "./options";
import { ErrorCode } from "../sdk/relay/protocol";
import { createRedisBroker } from "./redisBroker";
import { createLocalPresence, type Presence } from "./presence";
import { createRedisPresence } from "./redisPresence";
import { listen } from "./sockets";
import { createRecoveryThreads, DEFAULT_RECOVERY_THREADS } from "./recoveryThreads";
import { createAddressBook } from "./remoteAddresses";
import { createReplayGuard } from "../sdk/encryption/keyRequest";
import { deliverForwarded } from "./inbox";
import { createSubscriptionIndex } from "./subscriptions";
import { createTransmitter } from "./transmitter";
import { dropSubscriptions } from "./subscriptionLifecycle";
import { createInFlight } from "./inFlight";
import { boundedPermissionSource, countedRead } from "./nodeReads";
import { streamContentRules } from "../sdk/contentRules";

/** A running relay. */
export interface Relay {
  /** `ws://host:port`, with the port actually bound. */
  url: string;
  host: string;
  port: number;
  chainId: number;
  registryAddress: Address;
  /** Open connections now. */
  connectionCount(): number;
  /** What the cluster broker received from Redis, and how much of it no subscriber here needed; undefined without a cluster. */
  brokerTraffic(): BrokerTraffic | undefined;
  /** Closes every connection (1001), stops listening and following the registry. */
  close(): Promise<void>;
}

export type CreateRelayParameters = RelayOptions;
export type CreateRelayReturnType = Relay;

/**
 * Starts a relay: a WebSocket server speaking protocol v1 (docs/relay.md) that admits
 * subscribers while the registry says so, delivers only messages the SDK's validator accepts,
 * and ends subscriptions whose right ended, within one registry poll.
 *
 * @param options Where the chain and registry are (as for `KeywayClient`), where to listen, and the limits.
 * @returns The relay, listening.
 * @example
 * import { createRelay } from "keyway/relay";
 * const relay = await createRelay({ rpcUrl: "http://127.0.0.1:8545", registryAddress: "0xb5B6ee5F3fc49BcdD7a7B933Eb0970Ab0Bec637a", port: 8546 });
 * console.log(`Relay: ${relay.url}`);
 * // ...
 * await relay.close();
 */
export async function createRelay(options: CreateRelayParameters = {}): Promise<CreateRelayReturnType> {
  const host = options.host ?? DEFAULT_RELAY_HOST;
  const limits = resolveLimits(options, host);
  const redis = redisTargetOf(options);
  const recovery = createRecoveryThreads({ threads: options.recoveryThreads ?? DEFAULT_RECOVERY_THREADS, log: options.log });
  const port = options.port ?? DEFAULT_RELAY_PORT;
  const ownsClient = options.client === undefined;
  const client = options.client ?? new KeywayClient({ ...options, pollingInterval: limits.pollingInterval });
  let chainId: number;
  let broker: Broker | undefined;
  let presence: Presence;
  try {
    [chainId] = await Promise.all([client.getChainId(), assertRegistryDeployed(client.context)]);
    broker = await brokerOf(options, limits, redis);
    presence = await presenceOf(limits, redis);
  } catch (error) {
    await Promise.all([broker?.close(), recovery.close()]);
    if (ownsClient) client.destroy();
    throw error;
  }
  const registryAddress = client.registryAddress;
  const domain = { chainId, verifyingContract: registryAddress };
  const permissions = permissionSourceOf(client.context);
  const inFlight = createInFlight();
  // Live messages only (maxMessageAgeMs): a chain forgotten under a flood of others cannot be replayed.
  // Publishes need no sign-in: their cold permission reads are bounded relay-wide.
  const { maxMessageAgeMs, maxChains, maxForgottenPublishers } = limits;
  const publishPermissions = boundedPermissionSource(client.context, { inFlight, limits });
  // A stream's content rule (its metadata's schema) is read through the cache too, cold reads counted as publishes' checks.
  const contentRules = streamContentRules(client.context, { read: (run) => countedRead({ inFlight, limits }, "publishReads", run) });
  const validator = createMessageValidator({ domain, permissions: publishPermissions, recoverPublicKey: recovery.recoverPublicKey, maxMessageAgeMs, maxChains, maxForgottenPublishers, contentRules });
  const authority = createAuthorityContext(domain, permissions);
  const transmitter = createTransmitter(limits, (connection) => dropSubscriptions(relay, connection));
  const index = createSubscriptionIndex(transmitter, limits.maxBufferedBytes, presence, broker);
  const sponsor = options.sponsorKey === undefined ? undefined : createSponsor(client, options.sponsorKey, limits);
  const relay: RelayContext = { client, validator, authority, broker, presence, index, limits, chainId, registryAddress, ...transmitter, registryChanges: 0, addresses: createAddressBook(limits), inFlight, inboxes: new Map(), keyRequests: createReplayGuard(), sponsor };
  broker.onMessage((channel, entry) => index.deliver(channel, entry));
  broker.onForward((address, frame) => deliverForwarded(relay, address, frame));
  presence.onChange((channel, change, address) => index.announce(channel, change, address));

  const stopEnforcement = startEnforcement(relay);
  let sockets;
  try {
    sockets = await listen(relay, { host, port });
  } catch (error) {
    stopEnforcement();
    await Promise.all([broker.close(), presence.close(), recovery.close()]);
    if (ownsClient) client.destroy();
    sponsor?.client.destroy();
    throw error;
  }
  const bound = sockets;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  broker.onStatus?.(({ up, detail }) => {
    // Subscriptions stay open: nothing is accepted without Redis, and the broker catches up once it is back.
    options.log?.(up ? `Cluster broker up (${detail})` : `Cluster broker down (${detail}): publishes are refused with UNAVAILABLE until Redis is back`);
    if (up) return;
    for (const connection of bound.connections) {
      if (connection.subscriptions.size === 0) continue;
      relay.send(connection, { type: "error", id: null, code: ErrorCode.UNAVAILABLE, message: `the relay lost the cluster's Redis (${detail}); subscriptions stay open and resume when it is back` });
    }
  });
  options.log?.(`Relay listening on ws://${urlHost}:${bound.port} (chain ${chainId}, registry ${registryAddress})`);
  let closing: Promise<void> | undefined;
  return {
    url: `ws://${urlHost}:${bound.port}`,
    host,
    port: bound.port,
    chainId,
    registryAddress,
    connectionCount: () => bound.connections.size,
    brokerTraffic: () => broker.traffic?.(),
    close() {
      closing ??= (async () => {
        stopEnforcement();
        await bound.close();
        await Promise.all([broker.close(), presence.close(), recovery.close()]);
        if (ownsClient) client.destroy();
        sponsor?.client.destroy();
      })();
      return closing;
    },
  };
}

/** The Redis the relays share: `redisUrl`'s or `redisCluster`'s (not both: InvalidArgumentError), or none. */
function redisTargetOf({ redisUrl, redisCluster }: RelayOptions): RedisTarget | undefined {
  if (redisUrl !== undefined && redisCluster !== undefined) throw new InvalidArgumentError("give redisUrl (one Redis) or redisCluster (a Redis Cluster's nodes), not both");
  if (redisCluster !== undefined && redisCluster.length === 0) throw new InvalidArgumentError("redisCluster needs at least one host:port");
  if (redisUrl !== undefined) return { url: redisUrl };
  return redisCluster === undefined ? undefined : { nodes: redisCluster };
}

/** The broker of the options: the one given, the shared Redis's, else in-process. */
function brokerOf(options: RelayOptions, limits: RelayLimits, redis: RedisTarget | undefined): Promise<Broker> {
  const history = { count: limits.historyCount, maxAgeMs: limits.historyMaxAgeMs };
  if (options.broker !== undefined) return Promise.resolve(options.broker);
  // A message stays fresh until maxMessageAgeMs after its timestamp, which may be the skew ahead of acceptance.
  const markerTtlMs = Math.max(limits.historyMaxAgeMs, limits.maxMessageAgeMs + DEFAULT_MAX_CLOCK_SKEW_MS);
  if (redis !== undefined) return createRedisBroker({ ...redis, ...history, markerTtlMs });
  return Promise.resolve(createLocalBroker({ ...history, maxBytes: limits.historyMaxBytes }));
}

/** Presence: the shared Redis's (its relays' heartbeat bounds how long a killed one's subscribers stay), else this relay's. */
function presenceOf(limits: RelayLimits, redis: RedisTarget | undefined): Promise<Presence> {
  if (redis !== undefined) return createRedisPresence({ ...redis, heartbeatIntervalMs: limits.heartbeatIntervalMs });
  return Promise.resolve(createLocalPresence());
}
