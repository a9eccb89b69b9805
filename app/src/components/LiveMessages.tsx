import { memo } from "preact/compat";
import { formatTime, shortAddress } from "../format";
import type { Received } from "../liveSubscription";

/** The messages delivered so far, each marked verified and, when it came encrypted, decrypted here. */
export function LiveMessages({ messages, live }: { messages: Received[]; live: boolean }) {
  return (
    <div role="log" aria-label="Live messages" class="messages">
      {messages.length === 0 ? (
        <p class="muted">{live ? "Waiting for messages…" : "No messages yet."}</p>
      ) : (
        <ol>
          {messages.map((message) => (
            <LiveMessage key={messageKey(message)} {...message} />
          ))}
        </ol>
      )}
    </div>
  );
}

// Memoised: at 100 msg/s the log changes at every message, but each message's line never does.
const LiveMessage = memo(function LiveMessage({ content, metadata }: Received) {
  return (
    <li>
      <span class="verified" title="Signature and publish permission checked in this browser">
        ✓ verified
      </span>{" "}
      {metadata.groupKeyId !== undefined && (
        <>
          <span class="encrypted-mark" title="Sent encrypted: the relay carried only ciphertext, and this browser decrypted it">
            encrypted
          </span>{" "}
        </>
      )}
      <span class="seq">#{metadata.sequenceNumber}</span> <time dateTime={new Date(metadata.timestamp).toISOString()}>{formatTime(new Date(metadata.timestamp))}</time> from{" "}
      <code title={metadata.publisherId}>{shortAddress(metadata.publisherId)}</code>
      <pre class="content">{showContent(content)}</pre>
    </li>
  );
});

function messageKey({ metadata }: Received): string {
  return `${metadata.publisherId}/${metadata.msgChainId}/${metadata.timestamp}/${metadata.sequenceNumber}`;
}

function showContent(content: unknown): string {
  if (content instanceof Uint8Array) return `${content.byteLength} bytes`;
  return typeof content === "string" ? content : JSON.stringify(content);
}
