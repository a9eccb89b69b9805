import type { Duplex } from "node:stream";
import type { Address, Hex } from "viem";
import type WebSocket from "ws";
import type { SignedAccessGrant, SignedDelegation } from "../sdk/delegation/types";
import type { AcceptedMessage } from "./history";
import { type RequestId, Subprotocol } from "../sdk/relay/protocol";
import { keyExchangeBurst, type RelayLimits, subscribeBurst } from "./options";
import { createTokenBucket, type TokenBucket } from "./tokenBucket";

/** A SIWE sign-in that holds on a connection until `expiresAt`. */
export interface SignIn {
  /** Lowercase; with a delegation, the holder's. */
  address: Address;
  /** Unix ms (the earlier of the SIWE expirationTime and the delegation's expiresAt), null when neither ends. */
  expiresAt: number | null;
  /** A session key's sign-in: the connection acts as the holder only as far as this delegation allows. */
  delegation?: SignedDelegation;
  timer?: ReturnType<typeof setTimeout>;
}

/** One (stream, partition) a connection receives. */
export interface Subscription {
  connection: Connection;
  streamId: string;
  partition: number;
  /** `streamId|partition`: the key of the broker, the history and the index. */
  channel: string;
  /** keccak256 of the stream id: what registry changes are reported by. */
  streamKey: Hex;
  /**
   * Unix seconds (chain clock) until which what admitted it holds (the Subscribe permission,
   * or the delegation or grant and its signer's right); re-checked from then on.
   */
  expiresAt: number;
  /** The access grant that admitted it: it is judged by the grant alone, for as long as it lasts. */
  grant?: SignedAccessGrant;
  /** The subscribe request not answered yet: set until `subscribed` is sent. */
  unanswered?: { id: RequestId };
  /**
   * While set, messages for the subscription wait here instead of being sent: during a `from`
   * replay (so that live ones follow it with no gap and no repeat) and while a registry change
   * is re-checked (so that a revoked subscriber gets nothing accepted after the change).
   */
  held?: AcceptedMessage[];
  /** Frame bytes in `held`: past `maxBufferedBytes` the connection is a slow consumer, as if they were in its buffer. */
  heldBytes: number;
  /** Holds under way (the subscribe's own, each pending re-check): messages flow again when the last is released. */
  holds: number;
  /** Positions a `from` replay sent: left out of what is held, when it is let through. */
  replayed?: ReadonlySet<string>;
  /** Asked for `join` and `leave` pushes (`joinLeave: true`). */
  joinLeave: boolean;
  /** Whom presence counts it as while indexed: the connection's signed-in address then, or "" (anonymous). */
  member?: string;
}

/**
 * Per-connection state: hello -> (authenticated) -> subscriptions. Kept small: 2,000 idle
 * connections must fit in a few MiB besides the sockets.
 */
export interface Connection {
  readonly socket: WebSocket;
  /** The TCP socket under `socket`: frames are written to it pre-framed (see `createTransmitter`). */
  readonly stream: Duplex;
  /** Its writes are being gathered until the end of this turn of the event loop. */
  corked: boolean;
  /** Speaks the `keyway-binary` encoding (its subprotocol), else JSON text. */
  readonly binary: boolean;
  /** The Host the client connected to: the only SIWE domain accepted. */
  readonly host: string;
  /** The remote address the per-address limits count it under (`addressKeyOf`). */
  readonly address: string;
  /** Failed sign-ins, and sign-ins under way (counted as failed until they succeed): at `maxAuthFailures` it is closed. */
  authFailures: number;
  /** The nonce the next `auth` must carry. */
  nonce: string;
  signIn?: SignIn;
  readonly subscriptions: Map<string, Subscription>;
  /** Answered the last ping (or sent anything) since the heartbeat last looked. */
  alive: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
  /** `publishRate` a second, holding one second's worth. */
  publishTokens: TokenBucket;
  /** `subscribeRate` a second, holding `subscribeBurst` (a reconnecting SDK resubscribes everything at once). */
  subscribeTokens: TokenBucket;
  /** `keyExchangeRate` a second, holding `keyExchangeBurst`. */
  keyExchangeTokens: TokenBucket;
  /** Receives the key exchange frames addressed to its signed-in address (`openInbox`); not idle meanwhile. */
  inbox: boolean;
  /** Publishes of one connection are validated and delivered one after the other, in order. */
  publishTail: Promise<void>;
  /** Its unsent bytes as the transmitter last counted them into the relay-wide total. */
  unsentBytes: number;
  /** Bytes of the requests not answered yet: over `maxPendingRequestBytes`, reading pauses. */
  pendingRequestBytes: number;
}

export function createConnection(socket: WebSocket, stream: Duplex, host: string, address: string, nonce: string, limits: RelayLimits): Connection {
  return {
    socket,
    stream,
    corked: false,
    binary: socket.protocol === Subprotocol.BINARY,
    host,
    address,
    authFailures: 0,
    nonce,
    subscriptions: new Map(),
    alive: true,
    publishTokens: createTokenBucket(limits.publishRate),
    subscribeTokens: createTokenBucket(subscribeBurst(limits)),
    keyExchangeTokens: createTokenBucket(keyExchangeBurst(limits)),
    inbox: false,
    publishTail: Promise.resolve(),
    pendingRequestBytes: 0,
    unsentBytes: 0,
  };
}

/** Who the connection speaks for in permission checks: its signed-in address, or the public. */
export function holderOf(connection: Connection): Address | undefined {
  return connection.signIn?.address;
}

/**
 * Restarts the idle clock: the connection published, subscribed or lost its last subscription.
 * One without a subscription is closed `idleTimeoutMs` later (the timer re-arms itself while
 * there is one); signing in does not count, or one sign-in would hold a socket forever.
 */
export function markActive(connection: Connection): void {
  connection.idleTimer?.refresh();
}

/** Whether the subscription is still the connection's (not ended, not replaced, connection not closed). */
export function isCurrent(subscription: Subscription): boolean {
  return subscription.connection.subscriptions.get(subscription.channel) === subscription;
}
