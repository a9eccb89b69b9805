import { holderAddress, InvalidArgumentError, parsePermission, type HolderSelector, type PermissionAssignment, type StreamPermission } from "../sdk";
import { parseExpiry } from "./expiry";

/** `public`, or a user's address (checked, lowercased). */
export function parseHolder(text: string): HolderSelector {
  if (text.trim().toLowerCase() === "public") return { public: true };
  return { userId: holderAddress({ userId: text.trim() }) };
}

/** An assignment of `permissions` to `holder`, all of them until `expiresAt` when given (else forever). */
export function toAssignment(holder: HolderSelector, permissions: StreamPermission[], expiresAt?: Date): PermissionAssignment {
  const expiries = expiresAt && Object.fromEntries(permissions.map((permission) => [permission, expiresAt]));
  return { ...holder, permissions, ...(expiries && { expiresAt: expiries }) } as PermissionAssignment;
}

/**
 * Reads a `--assign <user|public>=<perm,perm>[@expiry]` value. An empty permission list
 * (`0xabc...=`) is allowed: `permission set` then clears that holder.
 */
export function parseAssignment(spec: string): PermissionAssignment {
  const match = /^([^=]+)=([^@]*)(?:@(.+))?$/.exec(spec.trim());
  if (match === null) {
    throw new InvalidArgumentError(`Invalid --assign ${JSON.stringify(spec)}: expected <user|public>=<perm,perm>[@expiry]`);
  }
  const [, holder, permissions, expiry] = match;
  return toAssignment(
    parseHolder(holder),
    permissions.trim() === "" ? [] : permissions.split(",").map(parsePermission),
    expiry === undefined ? undefined : parseExpiry(expiry),
  );
}
