import { deleteStreamCall, StreamPermission, updateStreamMetadataCall } from "keyway";
import { useEffect, useState } from "preact/hooks";
import type { ConnectedAccount } from "../account";
import { simulationOf } from "../simulation";
import type { Transactions } from "../transactions";
import { DeleteStream } from "./DeleteStream";
import { ErrorLine } from "./ErrorLine";
import { NeedsPermission } from "./NeedsPermission";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The metadata as last read. */
  metadata?: string;
  /** What the account holds on the stream (its own and the public's), once read. */
  held?: StreamPermission[];
  transactions: Transactions;
  onDeleted(): void;
}

/** The stream's overview: what the account holds, the metadata (editable with Edit) and deletion (with Delete). */
export function StreamPanel({ account, streamId, metadata, held, transactions, onDeleted }: Props) {
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string>();
  const mayEdit = held?.includes(StreamPermission.EDIT) === true;

  // The box starts from what the chain holds, again whenever that changes.
  useEffect(() => setDraft(metadata ?? ""), [metadata]);
  useEffect(() => setError(undefined), [streamId]);

  async function save(event: Event) {
    event.preventDefault();
    setError(undefined);
    const outcome = await transactions.run(
      `Update the metadata of ${streamId}`,
      simulationOf(account, () => updateStreamMetadataCall({ streamId, metadata: draft })),
      () => account.client.updateStreamMetadata(streamId, draft),
    );
    if ("error" in outcome) setError(outcome.error);
  }

  async function remove() {
    setError(undefined);
    const outcome = await transactions.run(`Delete ${streamId}`, simulationOf(account, () => deleteStreamCall({ streamId })), () => account.client.deleteStream(streamId));
    if ("error" in outcome) setError(outcome.error);
    else onDeleted();
  }

  return (
    <section class="panel overview" aria-labelledby="overview-heading">
      <h2 id="overview-heading">Overview</h2>
      {held !== undefined && <p>You hold: {held.length === 0 ? "nothing (you may read what the registry shows)" : held.join(", ")}.</p>}
      {metadata !== undefined && held !== undefined &&
        (mayEdit ? (
          <form onSubmit={save}>
            <label>
              Stream metadata
              <textarea rows={3} value={draft} onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)} />
            </label>
            <button type="submit" disabled={transactions.busy || draft === metadata}>
              Save metadata
            </button>
          </form>
        ) : (
          <>
            <h3>Metadata</h3>
            <pre class="content">{metadata === "" ? "(none)" : metadata}</pre>
            <NeedsPermission what="Changing the metadata" permission={StreamPermission.EDIT} address={account.address} />
          </>
        ))}
      {held !== undefined &&
        (held.includes(StreamPermission.DELETE) ? (
          <DeleteStream busy={transactions.busy} streamId={streamId} onConfirm={() => void remove()} />
        ) : (
          <NeedsPermission what="Deleting the stream" permission={StreamPermission.DELETE} address={account.address} />
        ))}
      <ErrorLine message={error} />
    </section>
  );
}
