import type { TransactionReceipt } from "viem";
import { encodeExpiries, encodeRevocations } from "../assignments";
import type { RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import type { PermissionAssignment } from "../permissions";
import { normalizeStreamId } from "../streamId";
import { writeRegistry, type WriteOptions } from "./writeRegistry";

/** One stream's complete new set of holders, for `setPermissions`. */
export interface StreamPermissionsUpdate {
  streamId: string;
  /** Each listed holder's permissions are overwritten; `permissions: []` clears a holder. */
  assignments: PermissionAssignment[];
}

/**
 * Grants every assignment in one transaction. Each listed permission is set to its
 * `expiresAt` (else forever), which may shorten an existing one; unlisted ones are untouched.
 */
export async function grantPermissions(
  context: RegistryContext,
  streamId: string,
  assignments: readonly PermissionAssignment[],
  options?: WriteOptions,
): Promise<TransactionReceipt> {
  const id = normalizeStreamId(streamId);
  const { users, expiries } = encodeExpiries(assignments, { allowEmpty: false });
  return writeRegistry(context, "grantPermissions", [id, users, expiries], options);
}

/** Revokes the listed permissions of every assignment in one transaction. */
export async function revokePermissions(
  context: RegistryContext,
  streamId: string,
  assignments: readonly PermissionAssignment[],
  options?: WriteOptions,
): Promise<TransactionReceipt> {
  const id = normalizeStreamId(streamId);
  const { users, masks } = encodeRevocations(assignments);
  return writeRegistry(context, "revokePermissions", [id, users, masks], options);
}

/**
 * Overwrites the listed holders' permissions on one or several streams in one transaction
 * (`setPermissions` for one stream, `setPermissionsMultipleStreams` for several).
 */
export async function setPermissions(
  context: RegistryContext,
  updates: readonly StreamPermissionsUpdate[],
  options?: WriteOptions,
): Promise<TransactionReceipt> {
  if (updates.length === 0) throw new InvalidArgumentError("No streams given to setPermissions");
  const streamIds = updates.map((update) => normalizeStreamId(update.streamId));
  const duplicate = streamIds.find((id, i) => streamIds.indexOf(id) !== i);
  if (duplicate !== undefined) throw new InvalidArgumentError(`Stream ${duplicate} appears more than once`);
  const encoded = updates.map((update) => encodeExpiries(update.assignments, { allowEmpty: true }));
  if (updates.length === 1) {
    return writeRegistry(context, "setPermissions", [streamIds[0], encoded[0].users, encoded[0].expiries], options);
  }
  return writeRegistry(
    context,
    "setPermissionsMultipleStreams",
    [streamIds, encoded.map((e) => e.users), encoded.map((e) => e.expiries)],
    options,
  );
}
