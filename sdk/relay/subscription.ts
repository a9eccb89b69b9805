import { compareRefs } from "../message/parse";
import type { MessageRef } from "../message/types";
import { DEFAULT_MAX_CLOCK_SKEW_MS, type MessageValidator } from "../message/validator";
import type { SignedAccessGrant } from "../delegation/types";
import type { RelayUnsubscribeReason } from "./protocol";
import { type Decryption, type MessageMetadata, receiveMessage } from "./receivedMessage";

/** Called with each verified message, once, in order; a returned promise is awaited before the next. */
export type MessageListener = (content: unknown, metadata: MessageMetadata) => void | Promise<void>;

/**
 * Why a subscription ended without `unsubscribe()`: the relay's reason, or `ERROR` when the
 * relay could not be reached or signed in to again after a drop (an `error` event says why).
 */
export type SubscriptionEndReason = RelayUnsubscribeReason | "ERROR";

export interface SubscriptionEvents {
  /** A message was not delivered (rejected by the subscriber's own checks, or the listener threw), or the subscription failed. */
  error: (error: Error) => void;
  /** The relay ended the subscription (revoked, expired, stream deleted, session expired); nothing more arrives. */
  unsubscribed: (reason: SubscriptionEndReason) => void;
  /** With `joinLeave: true`: a signed-in address (lowercase) started being subscribed to the partition (its first connection, on any relay of the cluster). */
  join: (address: string) => void;
  /** With `joinLeave: true`: an address stopped being subscribed to the partition (its last connection left, or its right ended). */
  leave: (address: string) => void;
}

/** A live subscription to one stream partition, as `KeywayClient.subscribe` returns it. */
export interface Subscription {
  readonly streamId: string;
  readonly partition: number;
  on<E extends keyof SubscriptionEvents>(event: E, listener: SubscriptionEvents[E]): Subscription;
  off<E extends keyof SubscriptionEvents>(event: E, listener: SubscriptionEvents[E]): Subscription;
  /** Stops delivery at once and tells the relay; resolves when it has answered (or the connection is gone). */
  unsubscribe(): Promise<void>;
}

/** The subscription as the subscription index drives it. */
export interface SubscriptionHandle {
  readonly subscription: Subscription;
  /** The access grant the relay subscription is asked with (the first handle's, when several share one). */
  readonly grant?: SignedAccessGrant;
  /** Wants `join` and `leave` events. */
  readonly joinLeave: boolean;
  /** A `join` or `leave` push of the relay: told in turn, after the messages before it. */
  presenceChange(change: "join" | "leave", address: string): void;
  /** Where a resumed subscription continues: after the last delivered message, else the requested resend, else its start. */
  resumeFrom(): MessageRef | undefined;
  /** The relay confirmed the subscription. */
  started(): void;
  /** Verifies a pushed message and delivers it in turn. */
  receive(message: unknown): void;
  /** Ends delivery; with a reason, tells the application (`unsubscribed`), after `error` when one is given. */
  end(reason?: SubscriptionEndReason, error?: Error): void;
}

export interface SubscriptionHandleOptions {
  streamId: string;
  partition: number;
  validator: MessageValidator;
  /** How its encrypted messages are read (the session's key exchange, under the subscription's grant) and judged. */
  decryption: Decryption;
  onMessage: MessageListener;
  resendFrom?: MessageRef;
  grant?: SignedAccessGrant;
  joinLeave?: boolean;
  unsubscribe: (handle: SubscriptionHandle) => Promise<void>;
}

const laterOf = (a: MessageRef | undefined, b: MessageRef): MessageRef =>
  a === undefined || compareRefs(b.timestamp, b.sequenceNumber, a.timestamp, a.sequenceNumber) > 0 ? b : a;

/**
 * One application subscription: every pushed message is verified by the subscriber's own
 * validator and delivered in arrival order, one at a time. A copy the validator has already
 * passed (a resumed subscription's replay) is dropped silently: the application sees each
 * message once.
 */
export function createSubscriptionHandle(options: SubscriptionHandleOptions): SubscriptionHandle {
  const { streamId, partition, validator, onMessage, resendFrom, decryption } = options;
  const listeners: { [E in keyof SubscriptionEvents]: Set<SubscriptionEvents[E]> } = { error: new Set(), unsubscribed: new Set(), join: new Set(), leave: new Set() };
  /** Delivering to the application; `accepting` new messages stops first when the relay ends the subscription. */
  let active = true;
  let accepting = true;
  let startedAt: number | undefined;
  let lastDelivered: MessageRef | undefined;
  let queue = Promise.resolve();

  function emit<E extends keyof SubscriptionEvents>(event: E, ...args: Parameters<SubscriptionEvents[E]>): void {
    for (const listener of listeners[event]) (listener as (...a: unknown[]) => void)(...args);
  }

  /** At or before `resend.from`: replayed for another subscription of the stream partition, or by a resume's margin. */
  function isBeforeResend(message: MessageRef): boolean {
    return resendFrom !== undefined && compareRefs(message.timestamp, message.sequenceNumber, resendFrom.timestamp, resendFrom.sequenceNumber) <= 0;
  }

  async function deliver(raw: unknown): Promise<void> {
    if (!active) return;
    try {
      const received = await receiveMessage(validator, raw, { streamId, partition }, decryption);
      if (received === undefined || !active || isBeforeResend(received.metadata)) return;
      lastDelivered = laterOf(lastDelivered, received.metadata);
      await onMessage(received.content, received.metadata);
    } catch (error) {
      if (active) emit("error", error instanceof Error ? error : new Error(String(error)));
    }
  }

  const subscription: Subscription = {
    streamId,
    partition,
    on(event, listener) {
      listeners[event].add(listener);
      return subscription;
    },
    off(event, listener) {
      listeners[event].delete(listener);
      return subscription;
    },
    async unsubscribe() {
      if (!active) return;
      active = false;
      accepting = false;
      await options.unsubscribe(handle);
    },
  };

  const handle: SubscriptionHandle = {
    subscription,
    grant: options.grant,
    joinLeave: options.joinLeave === true,
    presenceChange(change, address) {
      if (accepting && handle.joinLeave) queue = queue.then(() => (active ? emit(change, address) : undefined));
    },
    resumeFrom() {
      // Publishers' clocks differ (by up to the skew a validator allows): a message of another
      // chain accepted after the last one delivered may be dated before it. What the margin
      // replays again is dropped by chain position, before any signature is checked.
      if (lastDelivered !== undefined) return { timestamp: Math.max(0, lastDelivered.timestamp - DEFAULT_MAX_CLOCK_SKEW_MS), sequenceNumber: 0 };
      if (resendFrom !== undefined) return resendFrom;
      // Nothing delivered yet: continue from the start, so that what was published while
      // disconnected is not lost (positions are the publishers' clocks, ms).
      return startedAt === undefined ? undefined : { timestamp: startedAt - 1, sequenceNumber: 0 };
    },
    started() {
      startedAt ??= Date.now();
    },
    receive(message) {
      if (accepting) queue = queue.then(() => deliver(message));
    },
    end(reason, error) {
      if (!accepting) return;
      accepting = false;
      if (reason === undefined && error === undefined) active = false; // the client is going away: nothing more
      // What arrived before the end is still delivered, then the application is told.
      queue = queue.then(() => {
        if (!active) return;
        active = false;
        if (error !== undefined) emit("error", error);
        if (reason !== undefined) emit("unsubscribed", reason);
      });
    },
  };
  return handle;
}
