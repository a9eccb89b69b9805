import type { TransactionReceipt } from "viem";
import { encodeExpiries, encodeRevocations } from "../assignments";
import type { RegistryContext } from "../context";
import { InvalidArgumentError } from "../errors";
import type { PermissionAssignment } from "../permissions";
import { normalizeStreamId } from "../streamId";
import type { RegistryCall } from "../signedChange/registryCall";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

/** One stream's complete new set of holders, for `setPermissions`. */
export interface StreamPermissionsUpdate {
  streamId: string;
  /** Each listed holder's permissions are overwritten; `permissions: []` clears a holder. */
  assignments: PermissionAssignment[];
}

export interface GrantPermissionsParameters extends WriteParameters {
  streamId: string;
  assignments: readonly PermissionAssignment[];
}

export type GrantPermissionsReturnType = TransactionReceipt;

/** A stream and the assignments of a grant or a revocation. */
export type PermissionsCallParameters = Pick<GrantPermissionsParameters, "streamId" | "assignments">;

/**
 * The registry call `grantPermissions` sends, for `signChange`.
 *
 * @param parameters The stream and the assignments.
 * @returns `{ functionName: "grantPermissions", args }`.
 * @throws InvalidStreamIdError, InvalidAddressError, InvalidArgumentError on bad input.
 * @example
 * const signed = await signChange(client.context, { call: grantPermissionsCall({ streamId, assignments: [{ userId, permissions: [StreamPermission.PUBLISH] }] }) });
 */
export function grantPermissionsCall({ streamId, assignments }: PermissionsCallParameters): Extract<RegistryCall, { functionName: "grantPermissions" }> {
  const { users, expiries } = encodeExpiries(assignments, { allowEmpty: false });
  return { functionName: "grantPermissions", args: [normalizeStreamId(streamId), users, expiries] };
}

/**
 * The registry call `revokePermissions` sends, for `signChange`.
 *
 * @param parameters The stream and the assignments whose permissions are revoked.
 * @returns `{ functionName: "revokePermissions", args }`.
 * @throws InvalidStreamIdError, InvalidAddressError, InvalidArgumentError on bad input.
 * @example
 * const signed = await signChange(client.context, { call: revokePermissionsCall({ streamId, assignments: [{ userId, permissions: [StreamPermission.PUBLISH] }] }) });
 */
export function revokePermissionsCall({ streamId, assignments }: PermissionsCallParameters): Extract<RegistryCall, { functionName: "revokePermissions" }> {
  const { users, masks } = encodeRevocations(assignments);
  return { functionName: "revokePermissions", args: [normalizeStreamId(streamId), users, masks] };
}

/**
 * Grants every assignment in one transaction. Each listed permission is set to its
 * `expiresAt` (else forever), which may shorten an existing one; unlisted ones are untouched.
 *
 * @example
 * await grantPermissions(client.context, { streamId, assignments: [{ public: true, permissions: [StreamPermission.SUBSCRIBE] }] });
 */
export async function grantPermissions(context: RegistryContext, parameters: GrantPermissionsParameters): Promise<GrantPermissionsReturnType> {
  const { streamId, assignments, ...write } = parameters;
  return writeRegistry(context, { ...grantPermissionsCall({ streamId, assignments }), ...write });
}

/** The same shape as a grant's: the listed permissions of each assignment are revoked. */
export type RevokePermissionsParameters = GrantPermissionsParameters;

export type RevokePermissionsReturnType = TransactionReceipt;

/**
 * Revokes the listed permissions of every assignment in one transaction.
 *
 * @example
 * await revokePermissions(client.context, { streamId, assignments: [{ userId, permissions: [StreamPermission.PUBLISH] }] });
 */
export async function revokePermissions(context: RegistryContext, parameters: RevokePermissionsParameters): Promise<RevokePermissionsReturnType> {
  const { streamId, assignments, ...write } = parameters;
  return writeRegistry(context, { ...revokePermissionsCall({ streamId, assignments }), ...write });
}

export interface SetPermissionsParameters extends WriteParameters {
  /** One entry a stream; a stream may appear only once. */
  updates: readonly StreamPermissionsUpdate[];
}

export type SetPermissionsReturnType = TransactionReceipt;

/**
 * Overwrites the listed holders' permissions on one or several streams in one transaction
 * (`setPermissions` for one stream, `setPermissionsMultipleStreams` for several).
 *
 * @example
 * await setPermissions(client.context, { updates: [{ streamId, assignments: [{ userId, permissions: [] }] }] });
 */
export async function setPermissions(context: RegistryContext, parameters: SetPermissionsParameters): Promise<SetPermissionsReturnType> {
  const { updates, ...write } = parameters;
  return writeRegistry(context, { ...setPermissionsCall({ updates }), ...write });
}

/**
 * The registry call `setPermissions` sends (`setPermissions` for one stream,
 * `setPermissionsMultipleStreams` for several), for `signChange`.
 *
 * @param parameters One update a stream.
 * @returns `{ functionName, args }`.
 * @throws InvalidArgumentError on no update or a stream listed twice; InvalidStreamIdError, InvalidAddressError on bad input.
 * @example
 * const signed = await signChange(client.context, { call: setPermissionsCall({ updates: [{ streamId, assignments }] }) });
 */
export function setPermissionsCall({ updates }: Pick<SetPermissionsParameters, "updates">): Extract<
  RegistryCall,
  { functionName: "setPermissions" | "setPermissionsMultipleStreams" }
> {
  if (updates.length === 0) throw new InvalidArgumentError("No streams given to setPermissions");
  const streamIds = updates.map((update) => normalizeStreamId(update.streamId));
  const duplicate = streamIds.find((id, i) => streamIds.indexOf(id) !== i);
  if (duplicate !== undefined) throw new InvalidArgumentError(`Stream ${duplicate} appears more than once`);
  const encoded = updates.map((update) => encodeExpiries(update.assignments, { allowEmpty: true }));
  if (updates.length === 1) return { functionName: "setPermissions", args: [streamIds[0], encoded[0].users, encoded[0].expiries] };
  return {
    functionName: "setPermissionsMultipleStreams",
    args: [streamIds, encoded.map((e) => e.users), encoded.map((e) => e.expiries)],
  };
}
