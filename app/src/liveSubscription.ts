import type { MessageMetadata, Subscription, SubscriptionEndReason } from "keyway";
import { useEffect, useRef, useState } from "preact/hooks";
import type { Actor } from "./actor";
import { describeError } from "./errors";
import type { ConnectedAccount } from "./account";
import type { SessionKey } from "./sessionKey";

/** A delivered message: verified, and decrypted when `metadata.groupKeyId` is set. */
export interface Received {
  content: unknown;
  metadata: MessageMetadata;
}

export type LiveState = { phase: "idle" } | { phase: "subscribing" } | { phase: "live"; subscription: Subscription; via: Actor["via"] } | { phase: "ended"; reason: string };

export interface LiveSubscription {
  state: LiveState;
  messages: Received[];
  /** The sentence of the last failure: subscribing, or a message not delivered (a `DecryptionError` among them). */
  error?: string;
  /** Subscribes as `actor`, or shows why it cannot. */
  subscribe(actor: Actor | { problem: string }): Promise<void>;
  unsubscribe(): Promise<void>;
}

/** The messages the log keeps, newest last: a stream at 100 msg/s costs the page no more after a few seconds than after hours. */
const LOG_LIMIT = 200;

/** What the page says when the relay ends a subscription: the reason in words. */
const ENDED: Record<SubscriptionEndReason, string> = {
  PERMISSION_REVOKED: "The subscription ended: your subscribe permission on this stream was revoked.",
  PERMISSION_EXPIRED: "The subscription ended: your subscribe permission on this stream expired.",
  STREAM_DELETED: "The subscription ended: the stream was deleted.",
  SESSION_EXPIRED: "The subscription ended: your sign-in to the relay expired. Subscribe again to sign in anew.",
  ERROR: "The subscription ended: the relay could not be reached again.",
};

/** Where a subscription through a grant or a session key ends for another reason than a plain one. */
const ENDED_VIA: Record<Actor["via"], Partial<Record<SubscriptionEndReason, string>>> = {
  grant: {
    PERMISSION_REVOKED: "The subscription ended: the access grant's issuer no longer holds Grant on this stream.",
    PERMISSION_EXPIRED: "The subscription ended: the access grant expired.",
  },
  session: { SESSION_EXPIRED: "The subscription ended: the session expired." },
  wallet: {},
};

/**
 * The Live panel's subscription to `streamId`: its phase, the messages delivered (verified and, on
 * an encrypted stream, decrypted by the SDK), and the last failure in words. A new stream or
 * account starts over, leaving ends it, and a session key's subscription ends with the session.
 */
export function useLiveSubscription(account: ConnectedAccount, streamId: string, sessionKey: SessionKey): LiveSubscription {
  const [state, setState] = useState<LiveState>({ phase: "idle" });
  const [messages, setMessages] = useState<Received[]>([]);
  const [error, setError] = useState<string>();
  const live = useRef<Subscription | undefined>(undefined);

  useEffect(() => {
    setState({ phase: "idle" });
    setMessages([]);
    setError(undefined);
    return () => {
      void live.current?.unsubscribe().catch(() => undefined);
      live.current = undefined;
    };
  }, [account, streamId]);

  // Closing the session ends its subscriptions silently: the page says so.
  useEffect(() => {
    if (state.phase === "live" && state.via === "session" && sessionKey.state.phase !== "active") {
      live.current = undefined;
      setState({ phase: "ended", reason: "The subscription ended with the session." });
    }
  }, [sessionKey.state]);

  async function subscribe(actor: Actor | { problem: string }) {
    setError(undefined);
    if ("problem" in actor) return setError(actor.problem);
    setMessages([]);
    setState({ phase: "subscribing" });
    const onMessage = (content: unknown, metadata: MessageMetadata) => setMessages((current) => [...current.slice(1 - LOG_LIMIT), { content, metadata }]);
    try {
      const parameters = actor.via === "grant" ? { streamId, grant: actor.grant } : { streamId };
      const subscription = actor.via === "session" ? await actor.session.subscribe(parameters, onMessage) : await account.client.subscribe(parameters, onMessage);
      // A message that failed its checks or could not be decrypted (DecryptionError) is not delivered: the page says why.
      subscription.on("error", (failure) => setError(describeError(failure)));
      subscription.on("unsubscribed", (reason) => {
        live.current = undefined;
        setState({ phase: "ended", reason: ENDED_VIA[actor.via][reason] ?? ENDED[reason] });
      });
      live.current = subscription;
      setState({ phase: "live", subscription, via: actor.via });
    } catch (failure) {
      setState({ phase: "idle" });
      // A refused session is said once, by the session panel.
      if (!(actor.via === "session" && sessionKey.failed(failure))) setError(describeError(failure));
    }
  }

  async function unsubscribe() {
    if (state.phase !== "live") return;
    live.current = undefined;
    setState({ phase: "idle" });
    await state.subscription.unsubscribe().catch(() => undefined);
  }

  return { state, messages, error, subscribe, unsubscribe };
}
