import { type Address, isAddress, zeroAddress } from "viem";
import { InvalidAddressError, InvalidArgumentError, InvalidPermissionError } from "./errors";
import { setBounded } from "./message/boundedMap";
import {
  type Expiries,
  FOREVER,
  isPublicAssignment,
  type PermissionAssignment,
  permissionIndex,
  PUBLIC_PERMISSIONS,
  STREAM_PERMISSIONS,
  type StreamPermission,
} from "./permissions";

/** Who an assignment or query is about: a user's address, or `public: true`. */
export type HolderSelector = { userId: string; public?: never } | { public: true; userId?: never };

/** How many user ids `holderAddress` remembers once checked. */
const CHECKED_USERS = 10_000;
/** The public's holder, a module constant: reading viem's export goes through a getter in CommonJS. */
const PUBLIC: Address = zeroAddress;
const checkedUsers = new Map<string, Address>();

/**
 * The registry's holder for an assignment or query: the lowercase address, or `address(0)`
 * for the public. A user id is checked once (checksum included) and then remembered, as a
 * permission check asks for it every time.
 */
export function holderAddress(selector: HolderSelector): Address {
  if (selector.public === true) return PUBLIC;
  const { userId } = selector as { userId: unknown };
  const known = typeof userId === "string" ? checkedUsers.get(userId) : undefined;
  if (known !== undefined) return known;
  if (typeof userId !== "string" || !isAddress(userId) || BigInt(userId) === 0n) {
    throw new InvalidAddressError(String(userId));
  }
  const address = userId.toLowerCase() as Address;
  setBounded(checkedUsers, userId, address, CHECKED_USERS);
  return address;
}

/** Registry calldata for a grant or an overwrite: entry i of `expiries` applies to `users[i]`. */
export interface EncodedExpiries {
  users: Address[];
  expiries: Expiries[];
}

/**
 * Encodes assignments for `grantPermissions` / `setPermissions`: each listed permission gets
 * its `expiresAt` (else FOREVER), the others 0. Everything the registry would reject is
 * rejected here first, so no transaction is sent in vain. An empty `permissions` list is
 * allowed only when overwriting (it clears the holder).
 */
export function encodeExpiries(
  assignments: readonly PermissionAssignment[],
  { allowEmpty, nowSeconds = Math.floor(Date.now() / 1000) }: { allowEmpty: boolean; nowSeconds?: number },
): EncodedExpiries {
  const users = holdersOf(assignments);
  const expiries = assignments.map((assignment) => {
    const indexes = permissionIndexes(assignment, allowEmpty);
    const row: Expiries = [0, 0, 0, 0, 0];
    for (const p of indexes) row[p] = FOREVER;
    for (const [name, date] of Object.entries(assignment.expiresAt ?? {})) {
      const p = permissionIndex(name as StreamPermission);
      if (!indexes.includes(p)) throw new InvalidArgumentError(`expiresAt.${name} is set but ${name} is not in permissions`);
      row[p] = expirySeconds(name, date, nowSeconds);
    }
    return row;
  });
  return { users, expiries };
}

/** Encodes assignments for `revokePermissions`: bit p of `masks[i]` clears permission p of `users[i]`. */
export function encodeRevocations(assignments: readonly PermissionAssignment[]): { users: Address[]; masks: number[] } {
  const users = holdersOf(assignments);
  const masks = assignments.map((assignment) => {
    if (assignment.expiresAt !== undefined) throw new InvalidArgumentError("A revocation takes no expiresAt");
    return permissionIndexes(assignment, false).reduce((mask, p) => mask | (1 << p), 0);
  });
  return { users, masks };
}

/**
 * The assignment a holder's on-chain expiries amount to at `nowSeconds`, in the Streamr shape,
 * or undefined when nothing is held any more.
 */
export function decodeAssignment(holder: Address, expiries: readonly number[], nowSeconds: number): PermissionAssignment | undefined {
  const held = STREAM_PERMISSIONS.filter((_, p) => expiries[p] > nowSeconds);
  if (held.length === 0) return undefined;
  const limited = held.filter((permission) => expiries[permissionIndex(permission)] !== FOREVER);
  const expiresAt =
    limited.length === 0
      ? undefined
      : Object.fromEntries(limited.map((permission) => [permission, new Date(expiries[permissionIndex(permission)] * 1000)]));
  const who = holder === zeroAddress ? { public: true as const } : { userId: holder.toLowerCase() };
  return { ...who, permissions: held, ...(expiresAt && { expiresAt }) };
}

function holdersOf(assignments: readonly PermissionAssignment[]): Address[] {
  if (assignments.length === 0) throw new InvalidArgumentError("No permission assignments given");
  const users = assignments.map((assignment) => holderAddress(assignment as HolderSelector));
  const duplicate = users.find((user, i) => users.indexOf(user) !== i);
  if (duplicate !== undefined) {
    throw new InvalidArgumentError(`${duplicate === zeroAddress ? "The public" : duplicate} appears in more than one assignment`);
  }
  return users;
}

/** The contract indexes of an assignment's permissions, checked: known, not repeated, public-compatible. */
function permissionIndexes(assignment: PermissionAssignment, allowEmpty: boolean): number[] {
  const { permissions } = assignment;
  if (!Array.isArray(permissions)) throw new InvalidArgumentError("permissions must be an array");
  if (permissions.length === 0 && !allowEmpty) throw new InvalidArgumentError("An assignment needs at least one permission");
  const indexes = permissions.map(permissionIndex);
  if (new Set(indexes).size !== indexes.length) throw new InvalidArgumentError(`Repeated permission in ${permissions.join(", ")}`);
  if (isPublicAssignment(assignment)) {
    const forbidden = permissions.find((permission) => !PUBLIC_PERMISSIONS.includes(permission));
    if (forbidden !== undefined) throw new InvalidPermissionError(forbidden, "the public may only hold publish and subscribe");
  }
  return indexes;
}

function expirySeconds(name: string, date: unknown, nowSeconds: number): number {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
    throw new InvalidArgumentError(`expiresAt.${name} is not a valid Date`);
  }
  const seconds = Math.floor(date.getTime() / 1000);
  if (seconds <= nowSeconds) throw new InvalidArgumentError(`expiresAt.${name} (${date.toISOString()}) is in the past`);
  if (seconds >= FOREVER) throw new InvalidArgumentError(`expiresAt.${name} is beyond the largest expiry; omit it to grant forever`);
  return seconds;
}
