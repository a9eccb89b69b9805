import {
  grantPermissionsCall,
  isPublicAssignment,
  type PermissionAssignment,
  PUBLIC_PERMISSIONS,
  revokePermissionsCall,
  setPermissionsCall,
  STREAM_PERMISSIONS,
  type StreamPermission,
} from "keyway";
import { useState } from "preact/hooks";
import { formatTime, parseLocalDateTime, permissionLabel as label, shortAddress } from "../format";
import type { Reading } from "../reading";
import type { ConnectedAccount } from "../account";
import { useSponsoredWrites } from "../sponsored";
import type { Transactions } from "../transactions";
import { ErrorLine } from "./ErrorLine";
import { PermissionChecks } from "./PermissionChecks";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The stream's holders as last read (again after every confirmed write). */
  permissions: Reading<PermissionAssignment[]>;
  /** With a relay, an account without ETH has its changes sent by the relay (it signs them). */
  relayUrl?: string;
  transactions: Transactions;
  refreshKey: number;
}

/** Holders × the five permissions with their expiries, and the form that grants, revokes and sets them. */
export function PermissionsPanel({ account, streamId, permissions, relayUrl, transactions, refreshKey }: Props) {
  const { value: assignments, error: loadError } = permissions;
  const [addresses, setAddresses] = useState("");
  const [toPublic, setToPublic] = useState(false);
  const [checked, setChecked] = useState<StreamPermission[]>([]);
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<string>();
  const send = useSponsoredWrites(account, relayUrl, transactions, refreshKey);

  const rows = assignments === undefined ? [] : assignments.some(isPublicAssignment) ? assignments : [...assignments, { public: true as const, permissions: [] }];

  function choose(assignment: PermissionAssignment) {
    setToPublic(isPublicAssignment(assignment));
    setAddresses(isPublicAssignment(assignment) ? "" : assignment.userId);
    setChecked(assignment.permissions);
    setExpires("");
  }

  /** The form as SDK assignments, or the sentence saying what is missing. */
  function assignmentsFromForm(withExpiry: boolean): PermissionAssignment[] | string {
    const users = addresses.split(/[\s,]+/).filter(Boolean);
    if (users.length === 0 && !toPublic) return "Enter an address (or several, separated by commas), or choose the public.";
    const expiry = parseLocalDateTime(expires);
    if (withExpiry && expires.trim() !== "" && expiry === undefined) return "The expiry is not a valid date and time.";
    if (withExpiry && expiry !== undefined && expiry.getTime() <= Date.now()) return "The expiry must be in the future.";
    const expiresAt = withExpiry && expiry !== undefined ? Object.fromEntries(checked.map((p) => [p, expiry])) : undefined;
    const permissions = toPublic ? checked.filter((p) => PUBLIC_PERMISSIONS.includes(p)) : checked;
    return [
      ...users.map((userId) => ({ userId, permissions: checked, ...(expiresAt && { expiresAt }) })),
      ...(toPublic ? [{ public: true as const, permissions, ...(expiresAt && { expiresAt }) }] : []),
    ];
  }

  async function write(action: "Grant" | "Revoke" | "Set") {
    setError(undefined);
    if (action !== "Set" && checked.length === 0) return setError(`Check the permissions to ${action.toLowerCase()}.`);
    const parsed = assignmentsFromForm(action !== "Revoke");
    if (typeof parsed === "string") return setError(parsed);
    const who = [...addresses.split(/[\s,]+/).filter(Boolean).map(shortAddress), ...(toPublic ? ["the public"] : [])].join(", ");
    const what = checked.join(", ") || "no permissions";
    const { client } = account;
    const outcome =
      action === "Grant"
        ? await send(`Grant ${what} to ${who}`, grantPermissionsCall({ streamId, assignments: parsed }), () => client.grantPermissions(streamId, ...parsed))
        : action === "Revoke"
          ? await send(`Revoke ${what} from ${who}`, revokePermissionsCall({ streamId, assignments: parsed }), () => client.revokePermissions(streamId, ...parsed))
          : await send(`Set ${who} to exactly ${what}`, setPermissionsCall({ updates: [{ streamId, assignments: parsed }] }), () =>
              client.setPermissions({ streamId, assignments: parsed }),
            );
    if ("error" in outcome) setError(outcome.error);
  }

  return (
    <section class="panel permissions" aria-labelledby="permissions-heading">
      <h2 id="permissions-heading">Permissions</h2>
      <ErrorLine message={loadError} />
      {assignments === undefined && loadError === undefined && <p>Reading permissions…</p>}
      {assignments !== undefined && (
        <table>
          <caption>Who holds which permission on this stream, and until when</caption>
          <thead>
            <tr>
              <th scope="col">Holder</th>
              {STREAM_PERMISSIONS.map((p) => (
                <th scope="col">{label(p)}</th>
              ))}
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((assignment) => {
              const holder = isPublicAssignment(assignment) ? "Public (anyone)" : assignment.userId;
              return (
                <tr key={holder}>
                  <th scope="row">{isPublicAssignment(assignment) ? holder : <code title={holder}>{holder}</code>}</th>
                  {STREAM_PERMISSIONS.map((p) => (
                    <td>{cell(assignment, p)}</td>
                  ))}
                  <td>
                    <button type="button" class="link" aria-label={`Change permissions of ${holder}`} onClick={() => choose(assignment)}>
                      Change
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <form class="change" onSubmit={(event) => (event.preventDefault(), void write("Grant"))}>
        <fieldset>
          <legend>Grant, revoke or set</legend>
          <label>
            Address
            <input type="text" value={addresses} placeholder="0x… (several: separate with commas)" onInput={(e) => setAddresses((e.target as HTMLInputElement).value)} />
          </label>
          <label class="inline">
            <input type="checkbox" checked={toPublic} onChange={(e) => setToPublic((e.target as HTMLInputElement).checked)} /> The public (anyone)
          </label>
          <PermissionChecks
            options={STREAM_PERMISSIONS}
            checked={checked}
            onChange={setChecked}
            isDisabled={(p) => toPublic && !PUBLIC_PERMISSIONS.includes(p)}
          />
          <label>
            Expires
            <input type="datetime-local" value={expires} onInput={(e) => setExpires((e.target as HTMLInputElement).value)} aria-describedby="expires-hint" />
          </label>
          <p class="hint" id="expires-hint">
            Optional: leave empty to grant without expiry. Set replaces the holders' permissions with exactly the checked ones, in one transaction.
          </p>
          <div class="actions">
            <button type="submit" class="primary" disabled={transactions.busy}>
              Grant
            </button>
            <button type="button" disabled={transactions.busy} onClick={() => void write("Revoke")}>
              Revoke
            </button>
            <button type="button" disabled={transactions.busy} onClick={() => void write("Set")}>
              Set
            </button>
          </div>
        </fieldset>
        <ErrorLine message={error} />
      </form>
    </section>
  );
}

function cell(assignment: PermissionAssignment, permission: StreamPermission) {
  if (isPublicAssignment(assignment) && !PUBLIC_PERMISSIONS.includes(permission)) return <span class="muted">n/a</span>;
  if (!assignment.permissions.includes(permission)) {
    return (
      <span class="muted">
        <span aria-hidden="true">—</span>
        <span class="sr-only">not held</span>
      </span>
    );
  }
  const expiry = assignment.expiresAt?.[permission];
  return expiry === undefined ? <span class="held">forever</span> : <span class="held limited">until {formatTime(expiry)}</span>;
}
