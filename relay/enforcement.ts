import { type Hex, zeroAddress } from "viem";
import { streamExists } from "../sdk/actions/streamExists";
import { checkAccessGrant, checkDelegation } from "../sdk/delegation/check";
import { InvalidAccessGrantError, InvalidDelegationError } from "../sdk/delegation/errors";
import { FOREVER, StreamPermission } from "../sdk/permissions";
import type { RegistryPoll } from "../sdk";
import type { SignedAccessGrant } from "../sdk/delegation/types";
import { type Connection, holderOf, type Session, type Subscription } from "./connection";
import { endSubscription, isCurrent, type RelayContext } from "./context";
import { UnsubscribeReason } from "./protocol";

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
  const delegation = connection.session?.delegation;
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

/** Why a subscription that no longer holds Subscribe ended, judged by what was seen. */
type Cause = "registry" | "stream" | "clock" | "session";

async function reasonFor(relay: RelayContext, subscription: Subscription, cause: Cause, refusal?: AuthorityRefusal): Promise<UnsubscribeReason> {
  if (cause === "session" || refusal?.rule === "grantee") return UnsubscribeReason.SESSION_EXPIRED;
  // A grant's end is the permission's; a delegation's, the session's.
  if (refusal?.rule === "expired") return refusal instanceof InvalidAccessGrantError ? UnsubscribeReason.PERMISSION_EXPIRED : UnsubscribeReason.SESSION_EXPIRED;
  if (cause === "stream" && !(await streamExists(relay.client.context, { streamId: subscription.streamId }))) return UnsubscribeReason.STREAM_DELETED;
  if (subscription.expiresAt <= relay.client.chainNowSeconds()) return UnsubscribeReason.PERMISSION_EXPIRED;
  return UnsubscribeReason.PERMISSION_REVOKED;
}

/**
 * Reads the Subscribe permission of each subscription anew and ends those that lost it. While
 * its answer is awaited a subscription holds what arrives, so a subscriber whose right ended
 * gets nothing accepted after the change was seen. A failed read keeps the subscription
 * (the node may be down; the next poll tries again) and releases what it held.
 */
async function recheck(relay: RelayContext, subscriptions: Map<Subscription, Cause>): Promise<void> {
  await Promise.all(
    [...subscriptions].map(async ([subscription, cause]) => {
      hold(subscription);
      try {
        const { expiresAt, refusal } = await admission(relay, subscription.connection, subscription.streamId, subscription.grant);
        if (!isCurrent(subscription)) return;
        if (expiresAt > 0) subscription.expiresAt = expiresAt;
        else endSubscription(relay, subscription, await reasonFor(relay, subscription, cause, refusal));
      } catch {
        // kept: decided again at the next change or poll
      } finally {
        release(relay, subscription);
      }
    }),
  );
}

/** Holds what arrives for the subscription (or joins a hold under way) until the matching `release`. */
function hold(subscription: Subscription): void {
  subscription.holds += 1;
  subscription.held ??= [];
}

/**
 * Ends one hold; the last one sends what was held, except what a replay (`sent`) delivered
 * already, then lets messages through. Until every hold is released (a re-check of a later
 * change may still be pending), nothing held goes out.
 */
export function release(relay: RelayContext, subscription: Subscription, sent?: ReadonlySet<string>): void {
  if (sent !== undefined) subscription.replayed = sent;
  subscription.holds -= 1;
  if (subscription.holds > 0) return;
  const { held, replayed } = subscription;
  subscription.held = undefined;
  subscription.heldBytes = 0;
  subscription.replayed = undefined;
  if (held === undefined || !isCurrent(subscription)) return;
  for (const entry of held) {
    if (replayed === undefined || !replayed.has(positionKey(entry.message))) relay.transmit(subscription.connection, entry.frame);
  }
}

/** A message's identity: its publisher chain and position in it. */
export function positionKey(message: { publisher: string; msgChainId: string; timestamp: number; sequenceNumber: number }): string {
  return `${message.publisher}|${message.msgChainId}|${message.timestamp}|${message.sequenceNumber}`;
}

/** Whose entry on the stream the subscription's right is: its grant's issuer, else the connection's address (a session's holder), else the public. */
function rightHolderOf(subscription: Subscription): string {
  return subscription.grant?.issuer ?? holderOf(subscription.connection) ?? zeroAddress;
}

/** Whether the subscription's end is due: its right's expiry on the chain clock, or its grant's `expiresAt` (unix seconds, by this relay's clock). */
function isDue(subscription: Subscription, chainNowSeconds: number, nowMs: number): boolean {
  if (subscription.grant !== undefined && subscription.grant.expiresAt * 1000 <= nowMs) return true;
  return subscription.expiresAt !== FOREVER && subscription.expiresAt <= chainNowSeconds;
}

/** Subscriptions touched by one poll: changes of their stream or right holder, ends due by the clocks. */
function affectedBy(relay: RelayContext, poll: RegistryPoll): Map<Subscription, Cause> {
  const affected = new Map<Subscription, Cause>();
  const nowSeconds = relay.client.chainNowSeconds();
  const nowMs = Date.now();
  if (poll.reorg) for (const subscription of relay.index.all()) affected.set(subscription, "stream");
  for (const { streamKey, holder } of poll.changes) {
    for (const subscription of relay.index.ofStream(streamKey as Hex)) {
      if (holder === null) affected.set(subscription, "stream");
      else if (holder.toLowerCase() === rightHolderOf(subscription) || holder === zeroAddress) affected.set(subscription, affected.get(subscription) ?? "registry");
    }
  }
  for (const subscription of relay.index.all()) {
    if (!affected.has(subscription) && isDue(subscription, nowSeconds, nowMs)) affected.set(subscription, "clock");
  }
  return affected;
}

/**
 * Follows the registry through the SDK cache's own watcher (one per client): after every poll,
 * the subscriptions it touched are checked anew. Returns the function that stops following.
 */
export function startEnforcement(relay: RelayContext): () => void {
  return relay.client.watchPermissionChanges((poll) => {
    if (poll.reorg || poll.changes.length > 0) relay.registryChanges += 1;
    const affected = affectedBy(relay, poll);
    if (affected.size > 0) void recheck(relay, affected);
  });
}

/**
 * Checks anew a subscription just admitted if a poll reported registry changes while its
 * admission was read (`changesBefore`: `relay.registryChanges` then). That poll did not see it,
 * not indexed yet, and a read begun before a change may answer from before it.
 */
export function recheckIfOvertaken(relay: RelayContext, subscription: Subscription, changesBefore: number): void {
  if (relay.registryChanges !== changesBefore && isCurrent(subscription)) void recheck(relay, new Map([[subscription, "stream" as const]]));
}

const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Signs a connection in (or, with no session, out). When the address or the delegation
 * changes, or when the session's expiry passes, the connection's subscriptions are checked for the new
 * holder (the public, once expired), and those it may not have end with SESSION_EXPIRED.
 */
export function setSession(relay: RelayContext, connection: Connection, session: Session | undefined): void {
  const previous = connection.session;
  if (previous?.timer !== undefined) clearTimeout(previous.timer);
  connection.session = session;
  if (session?.expiresAt != null) armExpiry(relay, connection, session);
  const changed = previous?.address !== session?.address || previous?.delegation !== session?.delegation;
  if (changed && connection.subscriptions.size > 0) {
    void recheck(relay, new Map([...connection.subscriptions.values()].map((subscription) => [subscription, "session" as const])));
  }
}

function armExpiry(relay: RelayContext, connection: Connection, session: Session): void {
  const delay = session.expiresAt! - Date.now();
  // setTimeout fires at once beyond 2^31-1 ms: wait in steps.
  session.timer = setTimeout(() => {
    if (connection.session !== session) return;
    if (Date.now() >= session.expiresAt!) setSession(relay, connection, undefined);
    else armExpiry(relay, connection, session);
  }, Math.max(0, Math.min(delay, MAX_TIMEOUT_MS)));
}
