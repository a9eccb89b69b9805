import { createHistory, type AcceptedMessage, type HistoryOptions } from "./history";
import type { Position } from "../sdk/relay/protocol";

/**
 * What carries accepted messages between relays and keeps their history. The relay talks to
 * nothing else about messages: the in-process broker below serves one relay; a cluster swaps
 * in one backed by a shared store, and nothing else in the relay changes.
 */
export interface Broker {
  /** Records an accepted message and hands it to every relay's listener, this relay's included. */
  publish(channel: string, entry: AcceptedMessage): Promise<void>;
  /** Kept messages of the channel strictly after `from`, in acceptance order. */
  replay(channel: string, from: Position): Promise<AcceptedMessage[]>;
  /** The one function that receives every accepted message of the followed channels, in acceptance order per channel. */
  onMessage(listener: (channel: string, entry: AcceptedMessage) => void): void;
  /**
   * A local subscriber is on the channel: resolves once every message any relay accepts on it
   * from now on reaches `onMessage` (a cluster broker subscribes to it; shared by every caller
   * until `unfollow`). Where the store is away, resolves at once: the catch-up once it is back reads what came meanwhile.
   */
  follow(channel: string): Promise<void>;
  /** The channel's last local subscriber left: its messages no longer come here. */
  unfollow(channel: string): void;
  /**
   * Hands a key exchange frame (JSON text) for the clients signed in as `address` to every
   * relay's forward listener, this relay's included. Nothing is kept: a frame no inbox takes is gone.
   */
  forward(address: string, frame: string): Promise<void>;
  /** The one function that receives every forwarded frame. */
  onForward(listener: (address: string, frame: string) => void): void;
  /** What came from the shared store (a cluster broker's; the local one has none). */
  traffic?(): BrokerTraffic;
  /** Reports each change of the shared store's reachability (a cluster broker's; the local one has none). */
  onStatus?(listener: (status: BrokerStatus) => void): void;
  /** Drops aged history; called on the relay's heartbeat. */
  sweep(): void;
  close(): Promise<void>;
}

/** What a cluster broker received from the store: every message, and those of channels no local subscriber was on (0 with sharded Pub/Sub but for a race with `unfollow`). */
export interface BrokerTraffic {
  received: number;
  unneeded: number;
}

/** Whether the broker reaches the store the relays share, and what it last saw. */
export interface BrokerStatus {
  up: boolean;
  detail: string;
}

/** The broker's store could not be reached: nothing was recorded, the request may be made again. */
export class BrokerUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BrokerUnavailableError";
  }
}

/**
 * A broker for a single relay: history in memory, delivery by a direct call. `publish` hands
 * the message over before it returns, so a subscription registered before a publish is
 * served by it and one registered after finds it in the history: no gap and no repeat.
 */
export function createLocalBroker(history: HistoryOptions): Broker {
  const kept = createHistory(history);
  let listener: ((channel: string, entry: AcceptedMessage) => void) | undefined;
  let forwarded: ((address: string, frame: string) => void) | undefined;
  return {
    publish(channel, entry) {
      kept.add(channel, entry);
      listener?.(channel, entry);
      return Promise.resolve();
    },
    replay: (channel, from) => Promise.resolve(kept.after(channel, from)),
    onMessage(next) {
      listener = next;
    },
    // One relay: every message is handed over directly.
    follow: () => Promise.resolve(),
    unfollow: () => undefined,
    forward(address, frame) {
      forwarded?.(address, frame);
      return Promise.resolve();
    },
    onForward(next) {
      forwarded = next;
    },
    sweep: () => kept.sweep(),
    close: () => Promise.resolve(),
  };
}
