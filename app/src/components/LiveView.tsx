import type { MessageMetadata, Subscription, SubscriptionEndReason } from "keyway";
import { useEffect, useRef, useState } from "preact/hooks";
import { describeError } from "../errors";
import { formatTime, shortAddress } from "../format";
import type { Session } from "../session";
import { ErrorLine } from "./ErrorLine";

interface Props {
  session: Session;
  streamId: string;
  /** The relay's URL; without one there is no live view, and the panel says why. */
  relayUrl?: string;
}

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

type State = { phase: "idle" } | { phase: "subscribing" } | { phase: "live"; subscription: Subscription } | { phase: "ended"; reason: string };

/** Subscribe through the relay and watch verified messages arrive; publish to the stream. */
export function LiveView({ session, streamId, relayUrl }: Props) {
  const [state, setState] = useState<State>({ phase: "idle" });
  const [messages, setMessages] = useState<Received[]>([]);
  const [error, setError] = useState<string>();
  const [draft, setDraft] = useState("");
  const [publishing, setPublishing] = useState(false);
  const [published, setPublished] = useState<string>();
  const live = useRef<Subscription | undefined>(undefined);

  // A new stream or account starts over; leaving ends the subscription.
  useEffect(() => {
    setState({ phase: "idle" });
    setMessages([]);
    setError(undefined);
    setPublished(undefined);
    return () => {
      void live.current?.unsubscribe().catch(() => undefined);
      live.current = undefined;
    };
  }, [session, streamId]);

  if (relayUrl === undefined) {
    return (
      <section class="panel live" aria-labelledby="live-heading">
        <h2 id="live-heading">Live</h2>
        <p>No relay is configured for this page, so there is no live view: npm start runs one, or add ?relayUrl=ws://… to the address.</p>
      </section>
    );
  }

  async function subscribe() {
    setError(undefined);
    setMessages([]);
    setState({ phase: "subscribing" });
    try {
      const subscription = await session.client.subscribe({ streamId }, (content, metadata) => {
        setMessages((current) => [...current, { content, metadata }]);
      });
      subscription.on("error", (failure) => setError(describeError(failure)));
      subscription.on("unsubscribed", (reason) => {
        live.current = undefined;
        setState({ phase: "ended", reason: ENDED[reason] });
      });
      live.current = subscription;
      setState({ phase: "live", subscription });
    } catch (failure) {
      setState({ phase: "idle" });
      setError(describeError(failure));
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
    setPublishing(true);
    try {
      const message = await session.client.publish(streamId, parseContent(draft));
      setPublished(`Published message #${message.sequenceNumber} at ${formatTime(new Date(message.timestamp))}.`);
      setDraft("");
    } catch (failure) {
      setError(describeError(failure));
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
          {state.phase === "live" && "Subscribed: new messages appear below."}
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
