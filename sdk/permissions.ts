import { InvalidArgumentError, InvalidPermissionError } from "./errors";

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

const EXPIRY_BITS = 40n;
const EXPIRY_MASK = (1n << EXPIRY_BITS) - 1n;

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

/** Packs expiries as the registry stores them: permission p's expiry in bits 40p .. 40p+39. */
export function packExpiries(expiries: readonly number[]): bigint {
  return expiries.reduce((packed, expiry, p) => {
    if (!Number.isSafeInteger(expiry) || expiry < 0 || expiry > FOREVER) {
      throw new InvalidArgumentError(`Expiry ${expiry} is not a unix time between 0 and ${FOREVER}`);
    }
    return packed | (BigInt(expiry) << (BigInt(p) * EXPIRY_BITS));
  }, 0n);
}

/** The inverse of `packExpiries`, as in the registry's `PermissionsUpdated` event. */
export function unpackExpiries(packed: bigint): Expiries {
  return STREAM_PERMISSIONS.map((_, p) => Number((packed >> (BigInt(p) * EXPIRY_BITS)) & EXPIRY_MASK)) as Expiries;
}
