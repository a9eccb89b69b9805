import { type Hex, zeroAddress } from "viem";
import { streamExists } from "../sdk/actions/streamExists";
import { InvalidAccessGrantError } from "../sdk/delegation/errors";
import { FOREVER } from "../sdk/permissions";
import type { RegistryPoll } from "../sdk";
import { UnsubscribeReason } from "../sdk/relay/protocol";
import { admission, type AuthorityRefusal } from "./admission";
import { type Connection, holderOf, type Subscription, isCurrent } from "./connection";
import type { RelayContext } from "./context";
import { hold, release } from "./holds";
import { endSubscription } from "./subscriptionLifecycle";

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

/** Checks every subscription of the connection anew for its new sign-in (another address or delegation, or none). */
export function recheckSignIn(relay: RelayContext, connection: Connection): void {
  if (connection.subscriptions.size === 0) return;
  void recheck(relay, new Map([...connection.subscriptions.values()].map((subscription) => [subscription, "session" as const])));
}
