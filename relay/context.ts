import type { Address } from "viem";
import type { KeywayClient } from "../sdk/client";
import type { AuthorityContext } from "../sdk/delegation/check";
import type { MessageValidator } from "../sdk/message/validator";
import type { AddressBook } from "./remoteAddresses";
import type { InFlight } from "./inFlight";
import type { Broker } from "./broker";
import type { Connection, Subscription, Transmitter } from "./connection";
import type { RelayLimits } from "./options";
import { ErrorCode, type RequestId, UnsubscribeReason } from "./protocol";
import type { SubscriptionIndex } from "./subscriptions";

/** What the frame handlers and the enforcement share: one per relay. */
export interface RelayContext {
  client: KeywayClient;
  validator: MessageValidator;
  /** Judges the delegations (auth) and grants (subscribe) connections present, each recovered once. */
  authority: AuthorityContext;
  broker: Broker;
  index: SubscriptionIndex;
  limits: RelayLimits;
  chainId: number;
  registryAddress: Address;
  send: Transmitter["send"];
  transmit: Transmitter["transmit"];
  drained: Transmitter["drained"];
  /** How many polls reported registry changes (or a reorg): a read made across one may predate it. */
  registryChanges: number;
  /** Connections and failed sign-ins per remote address. */
  addresses: AddressBook;
  /** Contract wallet sign-in checks awaited now (at most `contractSignInConcurrency`). */
  contractSignIns: number;
  /** Requests' bytes and subscribes' node reads waiting, all connections together. */
  inFlight: InFlight;
}

/** A request refused: the handler throws it, the dispatcher turns it into an `error` frame. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** MESSAGE_REJECTED: the validator's reason. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}

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

/** Whether the subscription is still the connection's (not ended, not replaced, connection not closed). */
export function isCurrent(subscription: Subscription): boolean {
  return subscription.connection.subscriptions.get(subscription.channel) === subscription;
}

/**
 * Restarts the idle clock: the connection published, subscribed or lost its last subscription.
 * One without a subscription is closed `idleTimeoutMs` later (the timer re-arms itself while
 * there is one); signing in does not count, or one sign-in would hold a socket forever.
 */
export function markActive(connection: Connection): void {
  connection.idleTimer?.refresh();
}

/** Drops every subscription of a connection without a word: it closed, or is being closed as too slow. */
export function dropSubscriptions(relay: Pick<RelayContext, "index">, connection: Connection): void {
  for (const subscription of connection.subscriptions.values()) relay.index.remove(subscription);
  connection.subscriptions.clear();
}
