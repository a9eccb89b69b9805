import { ErrorCode, type RequestId, UnsubscribeReason } from "../sdk/relay/protocol";
import { type Connection, markActive, type Subscription } from "./connection";
import type { RelayContext } from "./context";

/** Ends a subscription: out of the index and the connection, then `unsubscribed` with the reason. */
export function endSubscription(relay: RelayContext, subscription: Subscription, reason: UnsubscribeReason, id?: RequestId): void {
  const { connection, channel, streamId, partition } = subscription;
  if (connection.subscriptions.get(channel) !== subscription) return; // ended already
  connection.subscriptions.delete(channel);
  relay.index.remove(subscription);
  subscription.held = undefined;
  if (subscription.unanswered !== undefined) {
    // Ended before it was confirmed: its subscribe fails, and nothing is pushed for a subscription never confirmed.
    const message = `the subscription to ${streamId} partition ${partition} ended (${reason}) before it was confirmed`;
    relay.send(connection, { type: "error", id: subscription.unanswered.id, code: ErrorCode.NOT_SUBSCRIBED, reason, message });
    if (reason !== UnsubscribeReason.REQUESTED) return;
  }
  relay.send(connection, { type: "unsubscribed", ...(reason === UnsubscribeReason.REQUESTED && { id }), streamId, partition, reason });
  if (connection.subscriptions.size === 0) markActive(connection);
}

/** Drops every subscription of a connection without a word: it closed, or is being closed as too slow. */
export function dropSubscriptions(relay: Pick<RelayContext, "index">, connection: Connection): void {
  for (const subscription of connection.subscriptions.values()) relay.index.remove(subscription);
  connection.subscriptions.clear();
}
