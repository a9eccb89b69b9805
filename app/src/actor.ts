import { fromPermissionBits, type Session as KeywaySession, type SignedAccessGrant, type StreamPermission } from "keyway";
import { readPastedGrant } from "./grants";
import type { SessionKeyState } from "./sessionKey";

/** Who acts for the page: a pasted access grant, else an active session key allowing it, else the account's wallet. */
export type Actor = { via: "grant"; grant: SignedAccessGrant } | { via: "session"; session: KeywaySession } | { via: "wallet" };

/** How the page says who acted, after "Subscribed" or "Published message #n". */
export const THROUGH: Record<Actor["via"], string> = { grant: " with the access grant", session: " through the session key", wallet: "" };

export interface ActorParameters {
  permission: StreamPermission;
  /** The Live panel's "Access grant (optional)" box, as typed. */
  grantText: string;
  streamId: string;
  /** The connected account's address: a pasted grant must be issued to it. */
  address: string;
  sessionKey: SessionKeyState;
}

/** Who acts for `permission`, or why nobody can: a pasted grant that is malformed, for someone else, or without the permission. */
export function actorFor({ permission, grantText, streamId, address, sessionKey }: ActorParameters): Actor | { problem: string } {
  if (grantText.trim() !== "") {
    const grant = readPastedGrant(grantText, streamId, address);
    if ("problem" in grant) return grant;
    if (!fromPermissionBits(grant.permissions).includes(permission)) return { problem: `This access grant does not allow ${permission}: clear it to ${permission} as yourself.` };
    return { via: "grant", grant };
  }
  return sessionKey.phase === "active" && sessionKey.permissions.includes(permission) ? { via: "session", session: sessionKey.session } : { via: "wallet" };
}
