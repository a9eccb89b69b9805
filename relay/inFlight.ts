import type { Connection } from "./connection";

/**
 * What all connections together have waiting on the relay: the relay-wide side of the
 * per-connection bounds, which multiplied by `maxConnections` would be far too large.
 */
export interface InFlight {
  /** Bytes of requests waiting for their answers, all connections together (`maxPendingRequestBytesTotal`). */
  requestBytes: number;
  /** Connections whose reading is paused until their own or the relay's pending bytes fall below their bound. */
  paused: Set<Connection>;
  /** Subscribes whose check is reading the chain node now (`maxSubscribeReads`). */
  subscribeReads: number;
  /** Publishes whose permission the validator is reading from the chain node now (`maxPublishReads`). */
  publishReads: number;
  /** Contract wallets' sign-in checks awaited now (`contractSignInConcurrency`). */
  contractSignIns: number;
}

export function createInFlight(): InFlight {
  return { requestBytes: 0, paused: new Set(), subscribeReads: 0, publishReads: 0, contractSignIns: 0 };
}
