/**
 * Keyway relay (`keyway/relay`, Node only): a WebSocket server that carries signed stream
 * messages from publishers to subscribers while the StreamRegistry allows it.
 *
 * ```ts
 * import { createRelay } from "keyway/relay";
 * const relay = await createRelay({ rpcUrl, registryAddress, port: 8546 });
 * ```
 *
 * The protocol, limits and codes: docs/relay.md (mirrors sdk/relay/protocol.ts, declared once for the relay and the SDK).
 */
export { createRelay, type CreateRelayParameters, type CreateRelayReturnType, type Relay } from "./createRelay";
export { DEFAULT_LIMITS, DEFAULT_RELAY_HOST, DEFAULT_RELAY_PORT, type RelayLimits, type RelayOptions } from "./options";
export { type Broker, BrokerUnavailableError, type BrokerStatus, type BrokerTraffic, createLocalBroker } from "./broker";
export { createRedisBroker, type RedisBrokerOptions } from "./redisBroker";
export type { RedisTarget } from "./redisClients";
export { DEFAULT_RECOVERY_THREADS } from "./recoveryThreads";
export type { AcceptedMessage } from "./history";
export {
  CloseCode,
  ErrorCode,
  PROTOCOL_VERSION,
  UnsubscribeReason,
  type AuthenticatedFrame,
  type AuthRequest,
  type ErrorFrame,
  type HelloFrame,
  type MessageFrame,
  type Position,
  type PublishedFrame,
  type PublishRequest,
  type RequestFrame as Request,
  type RequestId,
  type ServerFrame,
  type SubscribedFrame,
  type SubscribeRequest,
  type UnsubscribedFrame,
  type UnsubscribeRequest,
} from "../sdk/relay/protocol";
