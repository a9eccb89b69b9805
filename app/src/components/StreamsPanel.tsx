import { createStreamCall, formatStreamId, normalizeStreamId } from "keyway";
import { useState } from "preact/hooks";
import { describeError } from "../errors";
import type { ConnectedAccount } from "../account";
import { simulationOf } from "../simulation";
import type { Transactions } from "../transactions";
import { ErrorLine } from "./ErrorLine";
import { HeldStreams } from "./HeldStreams";

interface Props {
  account: ConnectedAccount;
  deployBlock: number;
  transactions: Transactions;
  /** Changes after every confirmed write, so the list is read again. */
  refreshKey: number;
  onOpen(streamId: string): void;
}

/** Create a stream, open one by id, and the streams the account holds any permission on. */
export function StreamsPanel({ account, deployBlock, transactions, refreshKey, onOpen }: Props) {
  const [path, setPath] = useState("");
  const [metadata, setMetadata] = useState("");
  const [openId, setOpenId] = useState("");
  const [error, setError] = useState<string>();

  async function create(event: Event) {
    event.preventDefault();
    setError(undefined);
    const outcome = await transactions.run(
      `Create stream ${path}`,
      simulationOf(account, () => createStreamCall({ path: path.trim(), metadata })),
      () => account.client.createStream(path.trim(), { metadata }),
    );
    if ("error" in outcome) return setError(outcome.error);
    setPath("");
    setMetadata("");
    onOpen(outcome.result.id);
  }

  function open(event: Event) {
    event.preventDefault();
    setError(undefined);
    try {
      onOpen(normalizeStreamId(openId.trim()));
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  const preview = (() => {
    try {
      return formatStreamId(account.address, path.trim());
    } catch {
      return undefined;
    }
  })();

  return (
    <section class="panel streams" aria-labelledby="streams-heading">
      <h2 id="streams-heading">Streams</h2>
      <form onSubmit={create} class="create">
        <h3>New stream</h3>
        <label>
          Stream path
          <input type="text" value={path} placeholder="/sensors/temperature" required onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Metadata
          <textarea rows={2} value={metadata} placeholder='{"description":"…"} (optional)' onInput={(e) => setMetadata((e.target as HTMLTextAreaElement).value)} />
        </label>
        <p class="hint">{preview ? <>Its id will be <code>{preview}</code>.</> : 'A path starts with "/"; segments use letters, digits, ".", "_" and "-".'}</p>
        <button type="submit" class="primary" disabled={transactions.busy}>
          Create stream
        </button>
      </form>
      <form onSubmit={open} class="open">
        <label>
          Stream id
          <input type="text" value={openId} placeholder="0x…/path" required onInput={(e) => setOpenId((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Open</button>
      </form>
      <ErrorLine message={error} />
      <HeldStreams account={account} deployBlock={deployBlock} refreshKey={refreshKey} />
    </section>
  );
}
