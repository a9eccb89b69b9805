import { useEffect, useState } from "preact/hooks";
import { metadataWithSchema, schemaOf, StreamPermission, updateStreamMetadataCall } from "keyway";
import type { ConnectedAccount } from "../account";
import { describeError } from "../errors";
import type { Transactions } from "../transactions";
import { simulationOf } from "../simulation";
import { ErrorLine } from "./ErrorLine";
import { NeedsPermission } from "./NeedsPermission";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The metadata as last read: the schema is a field of it. */
  metadata?: string;
  /** What the account holds on the stream, once read: setting the schema needs Edit. */
  held?: StreamPermission[];
  transactions: Transactions;
}

/** The schema as the box shows it: pretty JSON, or empty for none. */
function schemaText(metadata: string | undefined): string {
  const schema = metadata === undefined ? undefined : schemaOf(metadata);
  return schema === undefined ? "" : JSON.stringify(schema, null, 2);
}

/** The metadata with its `schema` field removed (metadata that has none is kept as it is). */
function withoutSchema(metadata: string): string {
  if (schemaOf(metadata) === undefined) return metadata;
  const { schema: _removed, ...rest } = JSON.parse(metadata) as Record<string, unknown>;
  return JSON.stringify(rest);
}

/** The stream's content rule: a JSON Schema every message must match, kept in its metadata (setting it needs Edit). */
export function SchemaPanel({ account, streamId, metadata, held, transactions }: Props) {
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string>();

  useEffect(() => setDraft(schemaText(metadata)), [metadata]);
  useEffect(() => setError(undefined), [streamId]);

  async function save(event: Event) {
    event.preventDefault();
    setError(undefined);
    let updated: string;
    try {
      // An empty box removes the rule; anything else must be a schema the SDK can use.
      updated = draft.trim() === "" ? withoutSchema(metadata ?? "") : await metadataWithSchema(metadata ?? "", JSON.parse(draft));
    } catch (failure) {
      return setError(failure instanceof SyntaxError ? `The schema is not JSON: ${failure.message}.` : describeError(failure));
    }
    const outcome = await transactions.run(
      `Set the schema of ${streamId}`,
      simulationOf(account, () => updateStreamMetadataCall({ streamId, metadata: updated })),
      () => account.client.updateStreamMetadata(streamId, updated),
    );
    if ("error" in outcome) setError(outcome.error);
  }

  return (
    <section class="panel schema" aria-labelledby="schema-heading">
      <h2 id="schema-heading">Content schema</h2>
      <p class="hint">
        A JSON Schema (2020-12) every message's content must match: the relay refuses others, and every subscriber checks too. Empty: any content.
      </p>
      {metadata !== undefined && held !== undefined && !held.includes(StreamPermission.EDIT) && (
        <>
          <pre class="content">{schemaText(metadata) || "(none: any content)"}</pre>
          <NeedsPermission what="Setting the schema" permission={StreamPermission.EDIT} address={account.address} />
        </>
      )}
      {metadata !== undefined && held?.includes(StreamPermission.EDIT) && (
        <form onSubmit={save}>
          <label>
            Schema
            <textarea rows={4} value={draft} placeholder='{"type":"object","required":["temperature"]}' onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)} />
          </label>
          <button type="submit" disabled={transactions.busy || draft === schemaText(metadata)}>
            Save schema
          </button>
        </form>
      )}
      <ErrorLine message={error} />
    </section>
  );
}
