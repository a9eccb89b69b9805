import { isPublicAssignment, type PermissionAssignment, type StreamPermission } from "keyway";
import type { Address } from "viem";

/** The permissions `address` holds on a stream, its own and the public's, from the stream's holders as last read. */
export function permissionsOf(assignments: readonly PermissionAssignment[], address: Address): StreamPermission[] {
  const held = assignments.filter((a) => isPublicAssignment(a) || a.userId.toLowerCase() === address.toLowerCase()).flatMap((a) => a.permissions);
  return [...new Set(held)];
}

/** Every expiry the holders show, in unix seconds: the table is read again when the chain's clock passes one. */
export function expiriesOf(assignments: readonly PermissionAssignment[] | undefined): number[] {
  return (assignments ?? []).flatMap((a) => Object.values(a.expiresAt ?? {}).flatMap((date) => (date === undefined ? [] : [Math.floor(date.getTime() / 1000)])));
}
