import { StreamPermission } from "keyway";
import { useEffect, useState } from "preact/hooks";
import { actorFor, THROUGH } from "../actor";
import { useLiveSubscription } from "../liveSubscription";
import type { ConnectedAccount } from "../account";
import type { SessionKey } from "../sessionKey";
import { ErrorLine } from "./ErrorLine";
import { LiveCharts } from "./LiveCharts";
import { LiveMessages } from "./LiveMessages";
import { NeedsPermission } from "./NeedsPermission";
import { PublishForm } from "./PublishForm";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The relay's URL; without one there is no live view, and the panel says why. */
  relayUrl?: string;
  /** The session key on this stream: while active, what it allows goes through it. */
  sessionKey: SessionKey;
  /** What the account holds on the stream (its own and the public's), once read. */
  held?: StreamPermission[];
}

/** Subscribe through the relay and watch verified (and decrypted) messages arrive; publish to the stream. */
export function LiveView({ account, streamId, relayUrl, sessionKey, held }: Props) {
  const subscription = useLiveSubscription(account, streamId, sessionKey);
  const { state } = subscription;
  const [grantText, setGrantText] = useState("");

  useEffect(() => setGrantText(""), [account, streamId]);

  if (relayUrl === undefined) {
    return (
      <section class="panel live" aria-labelledby="live-heading">
        <h2 id="live-heading">Live</h2>
        <p>No relay is configured for this page, so there is no live view: npm start runs one, or add ?relayUrl=ws://… to the address.</p>
      </section>
    );
  }

  const actor = (permission: StreamPermission) => actorFor({ permission, grantText, streamId, address: account.address, sessionKey: sessionKey.state });

  return (
    <section class="panel live" aria-labelledby="live-heading">
      <h2 id="live-heading">Live</h2>
      <p class="hint">
        Through the relay at <code>{relayUrl}</code>. Every message is checked in this browser (signature, and the publisher's publish permission
        on chain) before it is shown, and decrypted here when it came encrypted.
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
          <button type="button" onClick={() => void subscription.unsubscribe()}>
            Unsubscribe
          </button>
        ) : (
          <button type="button" class="primary" disabled={state.phase === "subscribing"} onClick={() => void subscription.subscribe(actor(StreamPermission.SUBSCRIBE))}>
            Subscribe
          </button>
        )}
        <span role="status" class="live-status">
          {state.phase === "subscribing" && "Signing in to the relay and subscribing…"}
          {state.phase === "live" && `Subscribed${THROUGH[state.via]}: new messages appear below.`}
        </span>
      </div>
      {state.phase === "ended" && <ErrorLine message={state.reason} />}
      <ErrorLine message={subscription.error} />
      <div class="live-data">
        <LiveCharts messages={subscription.messages} />
        <LiveMessages messages={subscription.messages} live={state.phase === "live"} />
      </div>
      {held !== undefined && !held.includes(StreamPermission.PUBLISH) && grantText.trim() === "" && sessionKey.state.phase !== "active" ? (
        // Only a pasted grant can make publishing possible then. An active session keeps the form:
        // the relay judges it, and the session panel says so when it refuses (a session acts with
        // the account's own permissions, so the form goes once the session has ended).
        <NeedsPermission what="Publishing" permission={StreamPermission.PUBLISH} address={account.address} remedy="paste an access grant that allows it above" />
      ) : (
        <PublishForm account={account} streamId={streamId} sessionKey={sessionKey} actorFor={actor} />
      )}
    </section>
  );
}
