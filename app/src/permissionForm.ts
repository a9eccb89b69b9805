import {
  grantPermissionsCall,
  isPublicAssignment,
  type PermissionAssignment,
  PUBLIC_PERMISSIONS,
  revokePermissionsCall,
  setPermissionsCall,
  type StreamPermission,
} from "keyway";
import { useState } from "preact/hooks";
import type { ConnectedAccount } from "./account";
import { parseLocalDateTime, shortAddress } from "./format";
import type { SendWrite } from "./sponsored";

export type PermissionAction = "Grant" | "Revoke" | "Set";

/** The Permissions form's fields, what fills them from a table row, and what sends them. */
export interface PermissionForm {
  addresses: string;
  setAddresses(value: string): void;
  toPublic: boolean;
  setToPublic(value: boolean): void;
  checked: StreamPermission[];
  setChecked(value: StreamPermission[]): void;
  expires: string;
  setExpires(value: string): void;
  /** The sentence of the last refusal or failure. */
  error?: string;
  /** Loads a holder and its permissions into the form ("Change" on a row). */
  choose(assignment: PermissionAssignment): void;
  write(action: PermissionAction): Promise<void>;
}

/** The form's state; `send` runs a write (simulated first, sponsored when the account has no ETH). */
export function usePermissionForm(account: ConnectedAccount, streamId: string, send: SendWrite): PermissionForm {
  const [addresses, setAddresses] = useState("");
  const [toPublic, setToPublic] = useState(false);
  const [checked, setChecked] = useState<StreamPermission[]>([]);
  const [expires, setExpires] = useState("");
  const [error, setError] = useState<string>();

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

  async function write(action: PermissionAction) {
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

  return { addresses, setAddresses, toPublic, setToPublic, checked, setChecked, expires, setExpires, error, choose, write };
}
