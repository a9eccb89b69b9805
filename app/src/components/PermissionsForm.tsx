import { PUBLIC_PERMISSIONS, STREAM_PERMISSIONS, StreamPermission } from "keyway";
import type { PermissionForm } from "../permissionForm";
import { ErrorLine } from "./ErrorLine";
import { NeedsPermission } from "./NeedsPermission";
import { PermissionChecks } from "./PermissionChecks";

interface Props {
  form: PermissionForm;
  /** Whether the account holds Grant: without it, Grant and Set are disabled (the reason beside them) and Revoke renounces its own permissions only. */
  mayGrant: boolean;
  address: string;
  busy: boolean;
}

/** Address(es) and/or the public, the permissions, an optional expiry, and Grant, Revoke, Set: one transaction each. */
export function PermissionsForm({ form, mayGrant, address, busy }: Props) {
  return (
    <form class="change" onSubmit={(event) => (event.preventDefault(), void form.write("Grant"))}>
      <fieldset>
        <legend>Grant, revoke or set</legend>
        <label>
          Address
          <input type="text" value={form.addresses} placeholder="0x… (several: separate with commas)" onInput={(e) => form.setAddresses((e.target as HTMLInputElement).value)} />
        </label>
        <label class="inline">
          <input type="checkbox" checked={form.toPublic} onChange={(e) => form.setToPublic((e.target as HTMLInputElement).checked)} /> The public (anyone)
        </label>
        <PermissionChecks
          options={STREAM_PERMISSIONS}
          checked={form.checked}
          onChange={form.setChecked}
          isDisabled={(p) => form.toPublic && !PUBLIC_PERMISSIONS.includes(p)}
        />
        <label>
          Expires
          <input type="datetime-local" value={form.expires} onInput={(e) => form.setExpires((e.target as HTMLInputElement).value)} aria-describedby="expires-hint" />
        </label>
        <p class="hint" id="expires-hint">
          Optional: leave empty to grant without expiry. Set replaces the holders' permissions with exactly the checked ones, in one transaction.
        </p>
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !mayGrant} aria-describedby={mayGrant ? undefined : "grant-reason"}>
            Grant
          </button>
          <button type="button" disabled={busy} onClick={() => void form.write("Revoke")}>
            Revoke
          </button>
          <button type="button" disabled={busy || !mayGrant} aria-describedby={mayGrant ? undefined : "grant-reason"} onClick={() => void form.write("Set")}>
            Set
          </button>
        </div>
        {!mayGrant && (
          <div id="grant-reason">
            <NeedsPermission what="Granting and setting permissions" permission={StreamPermission.GRANT} address={address} />
            <p class="hint">Without it you may revoke only your own permissions.</p>
          </div>
        )}
      </fieldset>
      <ErrorLine message={form.error} />
    </form>
  );
}
