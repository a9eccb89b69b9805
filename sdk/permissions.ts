import { InvalidPermissionError } from "./errors";

/** The five permissions, with the values of Streamr's `StreamPermission`. */
export enum StreamPermission {
  EDIT = "edit",
  DELETE = "delete",
  PUBLISH = "publish",
  SUBSCRIBE = "subscribe",
  GRANT = "grant",
}

/** All permissions in the registry's enum order: the index is the contract's `Permission`. */
export const STREAM_PERMISSIONS: readonly StreamPermission[] = [
  StreamPermission.EDIT,
  StreamPermission.DELETE,
  StreamPermission.PUBLISH,
  StreamPermission.SUBSCRIBE,
  StreamPermission.GRANT,
];

/** The only permissions the public (`address(0)`) may hold. */
export const PUBLIC_PERMISSIONS: readonly StreamPermission[] = [StreamPermission.PUBLISH, StreamPermission.SUBSCRIBE];

/** Unix-seconds expiry that means "held forever" (`type(uint40).max`). */
export const FOREVER = 2 ** 40 - 1;

/** A question about one permission of one holder, as the message validator and the delegation checks ask it; `KeywayClient.getPermissionExpiry` answers it. */
export interface PermissionExpiryQuery {
  streamId: string;
  userId: string;
  permission: StreamPermission;
  allowPublic: boolean;
}

/**
 * Where the validator and the delegation checks learn permissions: the effective expiry held now (by the chain's
 * clock) in unix SECONDS, 0 = not held, FOREVER = 2**40 - 1. A `KeywayClient` fits; its
 * answers are cached and invalidated by registry events, so validating costs no RPC per message.
 * A number answered synchronously (a warm cache) is used at once, without a turn of the event loop.
 */
export interface PermissionSource {
  getPermissionExpiry(query: PermissionExpiryQuery): number | Promise<number>;
}

/** One holder's expiry per permission in unix seconds, indexed as `STREAM_PERMISSIONS`; 0 = not held. */
export type Expiries = [number, number, number, number, number];

export interface UserPermissionAssignment {
  /** Lowercase 0x address. */
  userId: string;
  permissions: StreamPermission[];
  /** Expiry of each permission that is not held forever. */
  expiresAt?: Partial<Record<StreamPermission, Date>>;
}

export interface PublicPermissionAssignment {
  public: true;
  permissions: StreamPermission[];
  expiresAt?: Partial<Record<StreamPermission, Date>>;
}

/** Who holds which permissions, in the shape of the Streamr SDK's `PermissionAssignment`. */
export type PermissionAssignment = UserPermissionAssignment | PublicPermissionAssignment;

export function isPublicAssignment(assignment: PermissionAssignment): assignment is PublicPermissionAssignment {
  return "public" in assignment && assignment.public === true;
}

/** The contract's `Permission` index of a permission. */
export function permissionIndex(permission: StreamPermission): number {
  const index = STREAM_PERMISSIONS.indexOf(permission);
  if (index < 0) throw new InvalidPermissionError(String(permission));
  return index;
}

/** Parses a permission name as typed by a user, case-insensitively. */
export function parsePermission(name: string): StreamPermission {
  const permission = STREAM_PERMISSIONS.find((p) => p === name.trim().toLowerCase());
  if (permission === undefined) throw new InvalidPermissionError(name);
  return permission;
}

/**
 * The five expiries packed in a `PermissionsUpdated` event's `expiries` (permission `p`'s unix
 * expiry in bits `40p .. 40p+39`), in `STREAM_PERMISSIONS` order.
 *
 * @example
 * const [edit, del, publish, subscribe, grant] = unpackExpiries(log.args.expiries);
 */
export function unpackExpiries(packed: bigint): Expiries {
  return STREAM_PERMISSIONS.map((_, p) => Number((packed >> BigInt(40 * p)) & BigInt(FOREVER))) as Expiries;
}
