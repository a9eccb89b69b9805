import {
  fromPermissionBits,
  type MessageMetadata,
  type Session as KeywaySession,
  type SignedAccessGrant,
  StreamPermission,
  type Subscription,
  type SubscriptionEndReason,
} from "keyway";
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../errors";
import { formatTime, shortAddress } from "../format";
import { readPastedGrant } from "../grants";
import type { ConnectedAccount } from "../account";
import type { SessionKey } from "../sessionKey";
import { ErrorLine } from "./ErrorLine";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The relay's URL; without one there is no live view, and the panel says why. */
  relayUrl?: string;
  /** The session key on this stream: while active, what it allows goes through it. */
  sessionKey: SessionKey;
}

/** Who acts for the page: a pasted access grant, else an active session key allowing it, else the account's wallet. */
type Actor = { via: "grant"; grant: SignedAccessGrant } | { via: "session"; session: KeywaySession } | { via: "wallet" };

interface Received {
  content: unknown;
  metadata: MessageMetadata;
}

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

const THROUGH: Record<Actor["via"], string> = { grant: " with the access grant", session: " through the session key", wallet: "" };

type State = { phase: "idle" } | { phase: "subscribing" } | { phase: "live"; subscription: Subscription; via: Actor["via"] } | { phase: "ended"; reason: string };

/** Subscribe through the relay and watch verified messages arrive; publish to the stream. */
export function LiveView({ account, streamId, relayUrl, sessionKey }: Props) {
  const [state, setState] = useState<State>({ phase: "idle" });
  const [messages, setMessages] = useState<Received[]>([]);
  const [error, setError] = useState<string>();
  const [draft, setDraft] = useState("");
  const [publishing, setPublishing] = useState(false);
  const [published, setPublished] = useState<string>();
  const [grantText, setGrantText] = useState("");
  const live = useRef<Subscription | undefined>(undefined);

  // A new stream or account starts over; leaving ends the subscription.
  useEffect(() => {
    setState({ phase: "idle" });
    setMessages([]);
    setError(undefined);
    setPublished(undefined);
    setGrantText("");
    return () => {
      void live.current?.unsubscribe().catch(() => undefined);
      live.current = undefined;
    };
  }, [account, streamId]);

  // A session key's subscription ends with it (closing the session ends its subscriptions silently).
  useEffect(() => {
    if (state.phase === "live" && state.via === "session" && sessionKey.state.phase !== "active") {
      live.current = undefined;
      setState({ phase: "ended", reason: "The subscription ended with the session." });
    }
  }, [sessionKey.state]);

  if (relayUrl === undefined) {
    return (
      <section class="panel live" aria-labelledby="live-heading">
        <h2 id="live-heading">Live</h2>
        <p>No relay is configured for this page, so there is no live view: npm start runs one, or add ?relayUrl=ws://… to the address.</p>
      </section>
    );
  }

  /** Who acts for `permission`, or why nobody can: a pasted grant that is malformed, for someone else, or without the permission. */
  function actorFor(permission: StreamPermission): Actor | { problem: string } {
    if (grantText.trim() !== "") {
      const grant = readPastedGrant(grantText, streamId, account.address);
      if ("problem" in grant) return grant;
      if (!fromPermissionBits(grant.permissions).includes(permission)) return { problem: `This access grant does not allow ${permission}: clear it to ${permission} as yourself.` };
      return { via: "grant", grant };
    }
    const key = sessionKey.state;
    return key.phase === "active" && key.permissions.includes(permission) ? { via: "session", session: key.session } : { via: "wallet" };
  }

  async function subscribe() {
    setError(undefined);
    const actor = actorFor(StreamPermission.SUBSCRIBE);
    if ("problem" in actor) return setError(actor.problem);
    setMessages([]);
    setState({ phase: "subscribing" });
    const onMessage = (content: unknown, metadata: MessageMetadata) => setMessages((current) => [...current, { content, metadata }]);
    try {
      const parameters = actor.via === "grant" ? { streamId, grant: actor.grant } : { streamId };
      const subscription = actor.via === "session" ? await actor.session.subscribe(parameters, onMessage) : await account.client.subscribe(parameters, onMessage);
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

  async function publish(event: Event) {
    event.preventDefault();
    setError(undefined);
    setPublished(undefined);
    const actor = actorFor(StreamPermission.PUBLISH);
    if ("problem" in actor) return setError(actor.problem);
    setPublishing(true);
    try {
      const content = parseContent(draft);
      const message =
        actor.via === "session"
          ? await actor.session.publish(streamId, content)
          : await account.client.publish(streamId, content, actor.via === "grant" ? { grant: actor.grant } : undefined);
      setPublished(`Published message #${message.sequenceNumber} at ${formatTime(new Date(message.timestamp))}${THROUGH[actor.via]}.`);
      setDraft("");
    } catch (failure) {
      if (!(actor.via === "session" && sessionKey.failed(failure))) setError(describeError(failure));
    } finally {
      setPublishing(false);
    }
  }

  return (
    <section class="panel live" aria-labelledby="live-heading">
      <h2 id="live-heading">Live</h2>
      <p class="hint">
        Through the relay at <code>{relayUrl}</code>. Every message is checked in this browser (signature, and the publisher's publish permission
        on chain) before it is shown.
      </p>
      <label>
        Access grant (optional)
        <textarea
          rows={2}
          value={grantText}
          placeholder='{"grantee":"0x…","streamId":…} as issued to you'
          aria-describedby="grant-hint"
          onInput={(e) => setGrantText((e.target as HTMLTextAreaElement).value)}
        />
      </label>
      <p class="hint" id="grant-hint">
        Paste a grant issued to your account by a Grant holder to subscribe or publish with it; leave empty to act with your own permissions.
      </p>
      <div class="actions">
        {state.phase === "live" ? (
          <button type="button" onClick={() => void unsubscribe()}>
            Unsubscribe
          </button>
        ) : (
          <button type="button" class="primary" disabled={state.phase === "subscribing"} onClick={() => void subscribe()}>
            Subscribe
          </button>
        )}
        <span role="status" class="live-status">
          {state.phase === "subscribing" && "Signing in to the relay and subscribing…"}
          {state.phase === "live" && `Subscribed${THROUGH[state.via]}: new messages appear below.`}
        </span>
      </div>
      {state.phase === "ended" && <ErrorLine message={state.reason} />}
      <div role="log" aria-label="Live messages" class="messages">
        {messages.length === 0 ? (
          <p class="muted">{state.phase === "live" ? "Waiting for messages…" : "No messages yet."}</p>
        ) : (
          <ol>
            {messages.map(({ content, metadata }) => (
              <li key={`${metadata.publisherId}/${metadata.msgChainId}/${metadata.timestamp}/${metadata.sequenceNumber}`}>
                <span class="verified" title="Signature and publish permission checked in this browser">
                  ✓ verified
                </span>{" "}
                <span class="seq">#{metadata.sequenceNumber}</span> <time dateTime={new Date(metadata.timestamp).toISOString()}>{formatTime(new Date(metadata.timestamp))}</time>{" "}
                from <code title={metadata.publisherId}>{shortAddress(metadata.publisherId)}</code>
                <pre class="content">{showContent(content)}</pre>
              </li>
            ))}
          </ol>
        )}
      </div>
      <form onSubmit={publish} class="publish">
        <label>
          Message
          <textarea rows={2} value={draft} placeholder='{"temperature": 21.5} or any text' onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)} />
        </label>
        <button type="submit" disabled={publishing || draft.trim() === ""}>
          Publish
        </button>{" "}
        {published !== undefined && <span role="status">{published}</span>}
      </form>
      <ErrorLine message={error} />
    </section>
  );
}

/** JSON as typed (`{"t": 21.5}`, `42`), anything else as a string. */
function parseContent(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function showContent(content: unknown): string {
  if (content instanceof Uint8Array) return `${content.byteLength} bytes`;
  return typeof content === "string" ? content : JSON.stringify(content);
}
