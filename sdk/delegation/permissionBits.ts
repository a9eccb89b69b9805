import { InvalidArgumentError } from "../errors";
import { permissionIndex, StreamPermission } from "../permissions";

/** The bit of Publish in a delegation's or grant's `permissions`: `1 << Permission.Publish`. */
export const PUBLISH_BIT = 1 << permissionIndex(StreamPermission.PUBLISH);
/** The bit of Subscribe: `1 << Permission.Subscribe`. */
export const SUBSCRIBE_BIT = 1 << permissionIndex(StreamPermission.SUBSCRIBE);
/** The only bits a delegation or grant may set. */
export const DELEGABLE_BITS = PUBLISH_BIT | SUBSCRIBE_BIT;

/** The mask of `permissions`, which must be Publish and/or Subscribe (InvalidArgumentError otherwise). */
export function toPermissionBits(permissions: readonly StreamPermission[]): number {
  if (permissions.length === 0) throw new InvalidArgumentError("A delegation or grant needs at least one permission");
  return permissions.reduce((mask, permission) => {
    const bit = 1 << permissionIndex(permission);
    if ((bit & DELEGABLE_BITS) === 0) throw new InvalidArgumentError(`Only publish and subscribe can be delegated or granted, not ${permission}`);
    return mask | bit;
  }, 0);
}

/** The permissions set in a mask of `PUBLISH_BIT` and `SUBSCRIBE_BIT`. */
export function fromPermissionBits(mask: number): StreamPermission[] {
  return [StreamPermission.PUBLISH, StreamPermission.SUBSCRIBE].filter((permission) => (mask & (1 << permissionIndex(permission))) !== 0);
}

/** The bit of `permission` in a mask. */
export function permissionBit(permission: StreamPermission): number {
  return 1 << permissionIndex(permission);
}
