import { useEffect, useState } from "preact/hooks";
import { KeywayError, type PresenceReturnType } from "keyway";
import type { ConnectedAccount } from "../account";
import { describeError } from "../errors";
import { shortAddress } from "../format";

const NOT_SUBSCRIBER = "Only accounts that may subscribe to this stream can see who is watching it.";

/** How often the list is asked for again while the panel is open. */
const REFRESH_MS = 5_000;

interface Props {
  account: ConnectedAccount;
  streamId: string;
}

/** Who is watching the stream now, across the relay's cluster (needs Subscribe): asked when the visitor asks, then every few seconds. */
export function WatchersPanel({ account, streamId }: Props) {
  const [presence, setPresence] = useState<PresenceReturnType>();
  const [error, setError] = useState<string>();
  /** Asked how many times; 0 until the visitor asks: asking may sign in to the relay, a wallet signature not to spring on opening a stream. */
  const [asked, setAsked] = useState(0);

  useEffect(() => {
    setPresence(undefined);
    setError(undefined);
    setAsked(0);
  }, [account, streamId]);

  useEffect(() => {
    if (asked === 0) return;
    let current = true;
    account.client.presence(streamId).then(
      (answer) => current && (setPresence(answer), setError(undefined)),
      (failure: unknown) => current && (setPresence(undefined), setError(failure instanceof KeywayError && failure.code === "UNAUTHORIZED" ? NOT_SUBSCRIBER : describeError(failure))),
    );
    const timer = setTimeout(() => setAsked((n) => n + 1), REFRESH_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [account, streamId, asked]);

  const anonymous = presence === undefined ? 0 : presence.count - presence.clients.reduce((sum, { connections }) => sum + connections, 0);
  return (
    <section class="panel watchers" aria-labelledby="watchers-heading">
      <h2 id="watchers-heading">Who is watching</h2>
      {presence !== undefined && (
        <>
          <p>
            {presence.count} subscribed now{anonymous > 0 && `, ${anonymous} of them anonymous`}.
          </p>
          <ul aria-label="Watching now">
            {presence.clients.map(({ address, connections }) => (
              <li key={address}>
                <code title={address}>{shortAddress(address)}</code>
                {connections > 1 && ` (${connections} connections)`}
              </li>
            ))}
          </ul>
        </>
      )}
      <button type="button" onClick={() => setAsked((n) => n + 1)}>
        {asked === 0 ? "Show who is watching" : "Refresh"}
      </button>
      {/* Not an alert: nothing the visitor did failed, the list is just not available. */}
      {error !== undefined && <p class="muted">{error}</p>}
    </section>
  );
}
