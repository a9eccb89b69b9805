import { StreamPermission } from "keyway";
import { useEffect, useState } from "preact/hooks";
import { type Actor, THROUGH } from "../actor";
import { describeError } from "../errors";
import { formatTime } from "../format";
import type { ConnectedAccount } from "../account";
import type { SessionKey } from "../sessionKey";
import { ErrorLine } from "./ErrorLine";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  sessionKey: SessionKey;
  /** Who publishes: the pasted grant, the session key or the wallet (or why nobody can). */
  actorFor(permission: StreamPermission): Actor | { problem: string };
}

/** "Message" and "Publish": signs and publishes (encrypted by the SDK on a private stream); confirms once the relay acknowledged. */
export function PublishForm({ account, streamId, sessionKey, actorFor }: Props) {
  const [draft, setDraft] = useState("");
  const [publishing, setPublishing] = useState(false);
  const [published, setPublished] = useState<string>();
  const [error, setError] = useState<string>();

  useEffect(() => {
    setPublished(undefined);
    setError(undefined);
  }, [account, streamId]);

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
      // A refused session is said once, by the session panel.
      if (!(actor.via === "session" && sessionKey.failed(failure))) setError(describeError(failure));
    } finally {
      setPublishing(false);
    }
  }

  return (
    <form onSubmit={publish} class="publish">
      <label>
        Message
        <textarea rows={2} value={draft} placeholder='{"temperature": 21.5} or any text' onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)} />
      </label>
      <button type="submit" disabled={publishing || draft.trim() === ""}>
        Publish
      </button>{" "}
      {published !== undefined && <span role="status">{published}</span>}
      <ErrorLine message={error} />
    </form>
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
