import type { Hex } from "viem";
import type { Subscription } from "./connection";
import type { LocalChannels } from "./broker";
import type { AcceptedMessage } from "./history";
import { holdEntry } from "./holds";
import { type Transmitter, wireFrame } from "./transmitter";

/** Live subscriptions by channel (for fan-out) and by stream key (for registry changes). */
export interface SubscriptionIndex extends LocalChannels {
  add(subscription: Subscription): void;
  remove(subscription: Subscription): void;
  /** Sends the message's frame, serialised once, to every subscription of the channel (or holds it for those that wait). */
  deliver(channel: string, entry: AcceptedMessage): void;
  /** Subscriptions to the stream with this key, any partition. */
  ofStream(streamKey: Hex): Iterable<Subscription>;
  all(): Iterable<Subscription>;
}

/** `maxHeldBytes`: what may wait in one subscription's hold before its connection is closed as a slow consumer. */
export function createSubscriptionIndex({ write, closeSlow }: Pick<Transmitter, "write" | "closeSlow">, maxHeldBytes: number): SubscriptionIndex {
  const byChannel = new Map<string, Set<Subscription>>();
  const byStream = new Map<Hex, Set<Subscription>>();

  function addTo<K>(map: Map<K, Set<Subscription>>, key: K, subscription: Subscription): void {
    let set = map.get(key);
    if (set === undefined) map.set(key, (set = new Set()));
    set.add(subscription);
  }

  function removeFrom<K>(map: Map<K, Set<Subscription>>, key: K, subscription: Subscription): void {
    const set = map.get(key);
    if (set?.delete(subscription) && set.size === 0) map.delete(key);
  }

  return {
    add(subscription) {
      addTo(byChannel, subscription.channel, subscription);
      addTo(byStream, subscription.streamKey, subscription);
    },
    remove(subscription) {
      removeFrom(byChannel, subscription.channel, subscription);
      removeFrom(byStream, subscription.streamKey, subscription);
    },
    deliver(channel, entry) {
      const subscriptions = byChannel.get(channel);
      if (subscriptions === undefined) return;
      let wire: Buffer | undefined; // framed once, for the first subscription that takes it
      for (const subscription of subscriptions) {
        const { held } = subscription;
        if (held === undefined) write(subscription.connection, (wire ??= wireFrame(entry.frame)));
        else if (!holdEntry(subscription, held, entry, maxHeldBytes)) closeSlow(subscription.connection);
      }
    },
    serves: (channel) => byChannel.has(channel),
    channels: () => byChannel.keys(),
    ofStream: (streamKey) => byStream.get(streamKey) ?? [],
    *all() {
      for (const set of byChannel.values()) yield* set;
    },
  };
}
