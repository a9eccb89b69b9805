import { type PermissionAssignment, StreamPermission } from "keyway";
import type { ConnectedAccount } from "../account";
import { usePermissionForm } from "../permissionForm";
import type { Reading } from "../reading";
import { useSponsoredWrites } from "../sponsored";
import type { Transactions } from "../transactions";
import { ErrorLine } from "./ErrorLine";
import { NeedsPermission } from "./NeedsPermission";
import { PermissionsForm } from "./PermissionsForm";
import { PermissionsTable } from "./PermissionsTable";

interface Props {
  account: ConnectedAccount;
  streamId: string;
  /** The stream's holders as last read (again after every change the registry reports). */
  permissions: Reading<PermissionAssignment[]>;
  /** What the account holds on the stream (its own and the public's), once read. */
  held?: StreamPermission[];
  /** With a relay, an account without ETH has its changes sent by the relay (it signs them). */
  relayUrl?: string;
  transactions: Transactions;
  refreshKey: number;
}

/**
 * The stream's holders, and the form that grants, revokes and sets permissions: whole for a
 * Grant holder, Revoke only (its own permissions) for an account holding something else, none
 * for one holding nothing.
 */
export function PermissionsPanel({ account, streamId, permissions, held, relayUrl, transactions, refreshKey }: Props) {
  const { value: assignments, error: loadError } = permissions;
  const send = useSponsoredWrites(account, relayUrl, transactions, refreshKey);
  const form = usePermissionForm(account, streamId, send);
  const mayGrant = held?.includes(StreamPermission.GRANT) === true;
  const showForm = held !== undefined && held.length > 0;
  return (
    <section class="panel permissions" aria-labelledby="permissions-heading">
      <h2 id="permissions-heading">Permissions</h2>
      <ErrorLine message={loadError} />
      {assignments === undefined && loadError === undefined && <p>Reading permissions…</p>}
      {assignments !== undefined && <PermissionsTable assignments={assignments} onChoose={mayGrant ? form.choose : undefined} />}
      {showForm && <PermissionsForm form={form} mayGrant={mayGrant} address={account.address} busy={transactions.busy} />}
      {held !== undefined && !showForm && <NeedsPermission what="Changing permissions" permission={StreamPermission.GRANT} address={account.address} />}
    </section>
  );
}
