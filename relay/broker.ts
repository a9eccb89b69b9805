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
  /**
   * The one function that receives every accepted message, in acceptance order per channel;
   * with `local`, a cluster broker may pass over (and keeps no state for) channels it does not serve.
   */
  onMessage(listener: (channel: string, entry: AcceptedMessage) => void, local?: LocalChannels): void;
  /**
   * Hands a key exchange frame (JSON text) for the clients signed in as `address` to every
   * relay's forward listener, this relay's included. Nothing is kept: a frame no inbox takes is gone.
   */
  forward(address: string, frame: string): Promise<void>;
  /** The one function that receives every forwarded frame. */
  onForward(listener: (address: string, frame: string) => void): void;
  /** Reports each change of the shared store's reachability (a cluster broker's; the local one has none). */
  onStatus?(listener: (status: BrokerStatus) => void): void;
  /** Drops aged history; called on the relay's heartbeat. */
  sweep(): void;
  close(): Promise<void>;
}

/** The channels this relay's subscribers are on (the subscription index): what a cluster broker follows. */
export interface LocalChannels {
  serves(channel: string): boolean;
  channels(): Iterable<string>;
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
