import type { PermissionAssignment } from "keyway";
import { useEffect, useState } from "preact/hooks";
import { useReading } from "../reading";
import type { ConnectedAccount } from "../account";
import type { Transactions } from "../transactions";
import { EncryptionNote } from "./EncryptionNote";
import { ErrorLine } from "./ErrorLine";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The stream's holders as last read: whether it is encrypted follows from them. */
  assignments?: PermissionAssignment[];
  transactions: Transactions;
  refreshKey: number;
  onDeleted(): void;
}

/** The open stream: whether it is encrypted, its metadata (editable with Edit) and deletion (with Delete). */
export function StreamPanel({ account, streamId, assignments, transactions, refreshKey, onDeleted }: Props) {
  const { value: metadata, error: loadError } = useReading(() => account.client.getStreamMetadata(streamId), `${account.address} ${streamId}`, refreshKey);
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string>();
  const [confirming, setConfirming] = useState(false);

  // The box starts from what the chain holds, again after every confirmed write.
  useEffect(() => setDraft(metadata ?? ""), [metadata]);
  useEffect(() => {
    setError(undefined);
    setConfirming(false);
  }, [streamId]);

  async function save(event: Event) {
    event.preventDefault();
    setError(undefined);
    const outcome = await transactions.run(`Update the metadata of ${streamId}`, () => account.client.updateStreamMetadata(streamId, draft));
    if ("error" in outcome) setError(outcome.error);
  }

  async function remove() {
    setError(undefined);
    setConfirming(false);
    const outcome = await transactions.run(`Delete ${streamId}`, () => account.client.deleteStream(streamId));
    if ("error" in outcome) setError(outcome.error);
    else onDeleted();
  }

  return (
    <section class="panel stream" aria-labelledby="stream-heading">
      <h2 id="stream-heading">
        Stream <code>{streamId}</code>
      </h2>
      <EncryptionNote assignments={assignments} />
      {metadata !== undefined && (
        <form onSubmit={save}>
          <label>
            Stream metadata
            <textarea rows={3} value={draft} onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" disabled={transactions.busy || draft === metadata}>
            Save metadata
          </button>{" "}
          {confirming ? (
            <span role="group" aria-label="Confirm deletion">
              Delete the stream and every permission on it?{" "}
              <button type="button" class="danger" onClick={() => void remove()}>
                Delete permanently
              </button>{" "}
              <button type="button" onClick={() => setConfirming(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button type="button" class="danger" disabled={transactions.busy} onClick={() => setConfirming(true)}>
              Delete stream
            </button>
          )}
        </form>
      )}
      <ErrorLine message={error ?? loadError} />
    </section>
  );
}
