// A subscription's hold: while `held` is set, what arrives for it waits there instead of being
// sent. A subscribe holds from the start (its `from` replay goes first, live messages follow with
// no gap and no repeat); a re-check of its right holds until decided (a revoked subscriber gets
// nothing accepted after the change). Holds nest (`holds` counts them); the last release sends
// what waited. What waits counts against `maxBufferedBytes`, as if it were in the socket's buffer.

import { positionKeyOf } from "../sdk/message/chains";
import { isCurrent, type Subscription } from "./connection";
import type { AcceptedMessage } from "./history";
import type { Transmitter } from "./transmitter";

/** Holds what arrives for the subscription (or joins a hold under way) until the matching `release`. */
export function hold(subscription: Subscription): void {
  subscription.holds += 1;
  subscription.held ??= [];
}

/**
 * Ends one hold; the last one sends what was held, except what a replay (`sent`) delivered
 * already, then lets messages through. Until every hold is released (a re-check of a later
 * change may still be pending), nothing held goes out.
 */
export function release(relay: Pick<Transmitter, "transmit">, subscription: Subscription, sent?: ReadonlySet<string>): void {
  if (sent !== undefined) subscription.replayed = sent;
  subscription.holds -= 1;
  if (subscription.holds > 0) return;
  const { held, replayed } = subscription;
  subscription.held = undefined;
  subscription.heldBytes = 0;
  subscription.replayed = undefined;
  if (held === undefined || !isCurrent(subscription)) return;
  for (const entry of held) {
    if (replayed === undefined || !replayed.has(positionKeyOf(entry.message))) relay.transmit(subscription.connection, entry.frame);
  }
}

/** Keeps an entry in a held subscription's `held`; false when that takes the hold past `maxHeldBytes` (its reader is then too slow). */
export function holdEntry(subscription: Subscription, held: AcceptedMessage[], entry: AcceptedMessage, maxHeldBytes: number): boolean {
  if ((subscription.heldBytes += entry.frame.length) > maxHeldBytes) return false;
  held.push(entry);
  return true;
}

/**
 * Sends a `from` replay at the pace the subscriber reads it, then releases the subscribe's own
 * hold without what the replay carried. Whenever the socket is above its high-water mark, the
 * next frame waits for 'drain': a long history reaches a fast reader whole, where sent at once it
 * would pass `maxBufferedBytes`; live messages wait in the hold meanwhile (bounded too, so a
 * reader that stalls is still closed with 1013). The socket is drained once more at the end, so
 * that what was held goes out on an empty buffer.
 */
export async function replayThenRelease(relay: Pick<Transmitter, "transmit" | "drained">, subscription: Subscription, replay: AcceptedMessage[]): Promise<void> {
  for (const entry of replay) {
    await relay.drained(subscription.connection);
    if (!isCurrent(subscription)) break;
    relay.transmit(subscription.connection, entry.frame);
  }
  if (replay.length > 0) await relay.drained(subscription.connection);
  release(relay, subscription, new Set(replay.map((entry) => positionKeyOf(entry.message))));
}
