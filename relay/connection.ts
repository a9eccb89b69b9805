import type { Address, Hex } from "viem";
import WebSocket from "ws";
import type { SignedAccessGrant, SignedDelegation } from "../sdk/delegation/types";
import type { AcceptedMessage } from "./history";
import { CloseCode, type ServerFrame } from "./protocol";

/** A SIWE sign-in that holds on a connection until `expiresAt`. */
export interface Session {
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
  /**
   * While set, messages for the subscription wait here instead of being sent: during a `from`
   * replay (so that live ones follow it with no gap and no repeat) and while a registry change
   * is re-checked (so that a revoked subscriber gets nothing accepted after the change).
   */
  held?: AcceptedMessage[];
}

/**
 * Per-connection state: hello -> (authenticated) -> subscriptions. Kept small: 2,000 idle
 * connections must fit in a few MiB besides the sockets.
 */
export interface Connection {
  readonly socket: WebSocket;
  /** The Host the client connected to: the only SIWE domain accepted. */
  readonly host: string;
  /** The nonce the next `auth` must carry. */
  nonce: string;
  session?: Session;
  readonly subscriptions: Map<string, Subscription>;
  /** Answered the last ping (or sent anything) since the heartbeat last looked. */
  alive: boolean;
  idleTimer?: ReturnType<typeof setTimeout>;
  publishTokens: number;
  publishRefilledAt: number;
  /** Publishes of one connection are validated and delivered one after the other, in order. */
  publishTail: Promise<void>;
}

export function createConnection(socket: WebSocket, host: string, nonce: string, publishRate: number): Connection {
  return {
    socket,
    host,
    nonce,
    subscriptions: new Map(),
    alive: true,
    publishTokens: publishRate,
    publishRefilledAt: Date.now(),
    publishTail: Promise.resolve(),
  };
}

/** Who the connection speaks for in permission checks: its signed-in address, or the public. */
export function holderOf(connection: Connection): Address | undefined {
  return connection.session?.address;
}

const TEXT = { binary: false };

/**
 * Sends frames to connections without letting a slow reader grow the relay's memory: data
 * that would take a connection's unsent bytes past `maxBufferedBytes` closes it with 1013
 * instead (`onSlowConsumer` drops its subscriptions first). ws then gives the close frame
 * 30 s to get through before it destroys the socket.
 */
export function createTransmitter(maxBufferedBytes: number, onSlowConsumer: (connection: Connection) => void) {
  function transmit(connection: Connection, data: Buffer | string): void {
    const { socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return;
    // A frame larger than the limit still goes to a connection that has nothing waiting.
    if (socket.bufferedAmount > 0 && socket.bufferedAmount + data.length > maxBufferedBytes) {
      onSlowConsumer(connection);
      socket.close(CloseCode.SLOW_CONSUMER, "slow consumer");
      return;
    }
    socket.send(data, TEXT);
  }
  return {
    transmit,
    /** Serialises and sends one frame (replies and pushes; messages go through `transmit` pre-serialised). */
    send: (connection: Connection, frame: ServerFrame) => transmit(connection, JSON.stringify(frame)),
  };
}

export type Transmitter = ReturnType<typeof createTransmitter>;
