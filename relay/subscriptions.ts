import type { Hex } from "viem";
import { holderOf, type Subscription } from "./connection";
import type { Broker } from "./broker";
import type { AcceptedMessage } from "./history";
import { holdEntry } from "./holds";
import { ANONYMOUS, type Presence, type PresenceChange } from "./presence";
import { framedOnce, type Transmitter } from "./transmitter";

/**
 * Live subscriptions by channel (for fan-out) and by stream key (for registry changes); what
 * enters and leaves it is reported to presence, as the signed-in address it was made as, and
 * a channel's first subscription and its last one leaving to the broker (which follows the channel meanwhile).
 */
export interface SubscriptionIndex {
  /** Resolves once the broker follows the channel: every message accepted from then on reaches the subscription. */
  add(subscription: Subscription): Promise<void>;
  remove(subscription: Subscription): void;
  /** Sends the message's frame, encoded once per encoding (JSON, keyway-binary), to every subscription of the channel (or holds it for those that wait). */
  deliver(channel: string, entry: AcceptedMessage): void;
  /** Subscriptions to the stream with this key, any partition. */
  ofStream(streamKey: Hex): Iterable<Subscription>;
  /** Reports an indexed subscription's connection's new sign-in to presence (it leaves as the old address, joins as the new). */
  rejoin(subscription: Subscription): void;
  /** Pushes a `join` or `leave` of `address` to the channel's subscriptions made with `joinLeave`. */
  announce(channel: string, change: PresenceChange, address: string): void;
  all(): Iterable<Subscription>;
}

/** `maxHeldBytes`: what may wait in one subscription's hold before its connection is closed as a slow consumer. */
export function createSubscriptionIndex({ write, closeSlow }: Pick<Transmitter, "write" | "closeSlow">, maxHeldBytes: number, presence: Presence, broker: Pick<Broker, "follow" | "unfollow">): SubscriptionIndex {
  const byChannel = new Map<string, Set<Subscription>>();
  const byStream = new Map<Hex, Set<Subscription>>();

  function addTo<K>(map: Map<K, Set<Subscription>>, key: K, subscription: Subscription): void {
    let set = map.get(key);
    if (set === undefined) map.set(key, (set = new Set()));
    set.add(subscription);
  }

  /** Whether the subscription was there; `onEmptied` runs when it was the key's last. */
  function removeFrom<K>(map: Map<K, Set<Subscription>>, key: K, subscription: Subscription, onEmptied?: (key: K) => void): boolean {
    const set = map.get(key);
    if (!set?.delete(subscription)) return false;
    if (set.size === 0) {
      map.delete(key);
      onEmptied?.(key);
    }
    return true;
  }

  const memberOf = (subscription: Subscription) => holderOf(subscription.connection) ?? ANONYMOUS;

  return {
    add(subscription) {
      addTo(byChannel, subscription.channel, subscription);
      addTo(byStream, subscription.streamKey, subscription);
      subscription.member = memberOf(subscription);
      const listening = presence.join(subscription.channel, subscription.member);
      return Promise.all([listening, broker.follow(subscription.channel)]).then(() => undefined);
    },
    remove(subscription) {
      removeFrom(byStream, subscription.streamKey, subscription);
      if (removeFrom(byChannel, subscription.channel, subscription, broker.unfollow)) presence.leave(subscription.channel, subscription.member!);
    },
    rejoin(subscription) {
      const member = memberOf(subscription);
      if (!byChannel.get(subscription.channel)?.has(subscription) || member === subscription.member) return;
      presence.leave(subscription.channel, subscription.member!);
      subscription.member = member;
      void presence.join(subscription.channel, member);
    },
    announce(channel, change, address) {
      let wireFor: ReturnType<typeof framedOnce> | undefined; // serialised once, for the first subscription that wants it
      for (const subscription of byChannel.get(channel) ?? []) {
        if (!subscription.joinLeave) continue;
        const { streamId, partition } = subscription;
        wireFor ??= framedOnce(JSON.stringify({ type: change, streamId, partition, address }));
        write(subscription.connection, wireFor(subscription.connection));
      }
    },
    deliver(channel, entry) {
      const subscriptions = byChannel.get(channel);
      if (subscriptions === undefined) return;
      const wireFor = framedOnce(entry.frame);
      for (const subscription of subscriptions) {
        const { held, connection } = subscription;
        if (held === undefined) write(connection, wireFor(connection));
        else if (!holdEntry(subscription, held, entry, maxHeldBytes)) closeSlow(subscription.connection);
      }
    },
    ofStream: (streamKey) => byStream.get(streamKey) ?? [],
    *all() {
      for (const set of byChannel.values()) yield* set;
    },
  };
}
