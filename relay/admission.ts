import { checkAccessGrant, checkDelegation } from "../sdk/delegation/check";
import { InvalidAccessGrantError, InvalidDelegationError } from "../sdk/delegation/errors";
import type { SignedAccessGrant } from "../sdk/delegation/types";
import { StreamPermission } from "../sdk/permissions";
import { type Connection, holderOf } from "./connection";
import type { RelayContext } from "./context";

/** A delegation or grant that does not allow a subscription: the rule it broke is in `rule`. */
export type AuthorityRefusal = InvalidDelegationError | InvalidAccessGrantError;

export function isAuthorityRefusal(error: unknown): error is AuthorityRefusal {
  return error instanceof InvalidDelegationError || error instanceof InvalidAccessGrantError;
}

/**
 * Until when (unix seconds, chain clock; 0 = not held) the connection may subscribe to the
 * stream. A `grant` decides alone (its grantee must be the signed-in address, its issuer hold
 * Grant); else a session key's connection needs the stream and the Subscribe bit in its
 * delegation and the holder's Subscribe; else the signed-in address, or the public when
 * anonymous, needs Subscribe, directly or through the public. The SDK's cache answers. A
 * delegation or grant that does not allow it rejects with its AuthorityRefusal.
 */
async function subscribeExpiry(relay: RelayContext, connection: Connection, streamId: string, grant?: SignedAccessGrant): Promise<number> {
  const holder = holderOf(connection);
  const use = { streamId, permission: StreamPermission.SUBSCRIBE, at: Date.now() } as const;
  if (grant !== undefined) return (await checkAccessGrant(relay.authority, grant, use, holder)).expiresAt / 1000;
  const delegation = connection.signIn?.delegation;
  if (delegation !== undefined) return (await checkDelegation(relay.authority, delegation, use, holder)).expiresAt / 1000;
  const who = holder === undefined ? { public: true as const } : { userId: holder };
  return relay.client.getPermissionExpiry({ streamId, ...who, permission: StreamPermission.SUBSCRIBE, allowPublic: true });
}

/** Whether a subscribe (or a re-check) is allowed: until when (0 = not), and which rule a delegation or grant broke. */
export interface Admission {
  expiresAt: number;
  refusal?: AuthorityRefusal;
}

/** subscribeExpiry, with a refusal of the delegation or grant as an answer rather than an error (other errors pass). */
export async function admission(relay: RelayContext, connection: Connection, streamId: string, grant?: SignedAccessGrant): Promise<Admission> {
  try {
    return { expiresAt: await subscribeExpiry(relay, connection, streamId, grant) };
  } catch (error) {
    if (!isAuthorityRefusal(error)) throw error;
    return { expiresAt: 0, refusal: error };
  }
}
