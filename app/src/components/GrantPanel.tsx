import { type SignedAccessGrant, StreamPermission } from "keyway";
import { useState } from "preact/hooks";
import { describeError } from "../errors";
import { formatTime } from "../format";
import { grantJson } from "../grants";
import { useReading } from "../reading";
import type { ConnectedAccount } from "../account";
import { DelegationFields } from "./DelegationFields";
import { ErrorLine } from "./ErrorLine";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  refreshKey: number;
}

/** Issues an access grant (one wallet signature, no transaction) for an account holding Grant, and shows it to copy. */
export function GrantPanel({ account, streamId, refreshKey }: Props) {
  const { value: holdsGrant, error: loadError } = useReading(
    () => account.client.hasPermission({ streamId, userId: account.address, permission: StreamPermission.GRANT }),
    `${account.address} ${streamId}`,
    refreshKey,
  );
  const [grantee, setGrantee] = useState("");
  const [permissions, setPermissions] = useState<StreamPermission[]>([StreamPermission.SUBSCRIBE]);
  const [durationMs, setDurationMs] = useState(3_600_000);
  const [issued, setIssued] = useState<SignedAccessGrant>();
  const [issuing, setIssuing] = useState(false);
  const [error, setError] = useState<string>();

  async function issue(event: Event) {
    event.preventDefault();
    setError(undefined);
    setIssued(undefined);
    if (permissions.length === 0) return setError("Check Publish, Subscribe or both.");
    setIssuing(true);
    try {
      setIssued(await account.client.issueAccessGrant({ streamId, grantee: grantee.trim(), permissions, expiresAt: new Date(Date.now() + durationMs) }));
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setIssuing(false);
    }
  }

  return (
    <section class="panel grants" aria-labelledby="grants-heading">
      <h2 id="grants-heading">Access grants</h2>
      <ErrorLine message={loadError} />
      {holdsGrant === false && <p class="muted">Issuing access grants needs the Grant permission on this stream, which your account does not hold.</p>}
      {holdsGrant === true && (
        <form onSubmit={issue}>
          <p class="hint">
            Your wallet signs a grant letting one account publish or subscribe here until it expires: no transaction. It holds while your account holds
            Grant; revoking that cancels every grant you issued.
          </p>
          <label>
            Grantee address
            <input type="text" value={grantee} placeholder="0x…" onInput={(e) => setGrantee((e.target as HTMLInputElement).value)} />
          </label>
          <DelegationFields permissions={permissions} onPermissions={setPermissions} durationMs={durationMs} onDuration={setDurationMs} />
          <button type="submit" class="primary" disabled={issuing}>
            Issue grant
          </button>
        </form>
      )}
      {issued !== undefined && (
        <>
          <label>
            Access grant (JSON)
            <textarea rows={5} readOnly value={grantJson(issued)} onFocus={(e) => (e.target as HTMLTextAreaElement).select()} />
          </label>
          <p class="hint">
            Valid until {formatTime(new Date(issued.expiresAt * 1000))}. Hand it to the grantee: they paste it under Live on this page, or save it to a file
            for <code>keyway subscribe --grant &lt;file&gt;</code>.
          </p>
          <button type="button" onClick={() => void navigator.clipboard.writeText(grantJson(issued)).catch(() => setError("The browser refused to copy; select the text and copy it."))}>
            Copy
          </button>
        </>
      )}
      <ErrorLine message={error} />
    </section>
  );
}
