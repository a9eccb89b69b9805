import type { Address } from "viem";
import { domainSeparator } from "../message/hash";
import type { MessageDomain } from "../message/types";
import type { PermissionSource } from "../permissions";
import { StreamPermission } from "../permissions";
import { InvalidAccessGrantError, InvalidDelegationError, type AuthorityRule } from "./errors";
import { fromPermissionBits, permissionBit } from "./permissionBits";
import type { SignedAccessGrant, SignedDelegation } from "./types";
import { createAuthorityMemo, type AuthorityMemo } from "./verify";

/**
 * What the rules need: the domain delegations and grants must be signed for, where the
 * signer's right on chain is read (a cached `KeywayClient`), and the memo of recovered signers.
 * One per validator or relay: each distinct delegation or grant is recovered once.
 */
export interface AuthorityContext {
  domain: MessageDomain;
  /** The domain's EIP-712 separator, computed once. */
  separator: Uint8Array;
  permissions: PermissionSource;
  memo: AuthorityMemo;
}

export function createAuthorityContext(domain: MessageDomain, permissions: PermissionSource): AuthorityContext {
  return { domain, separator: domainSeparator(domain), permissions, memo: createAuthorityMemo(domain) };
}

/** What a delegation or grant is used for. */
export interface AuthorityUse {
  streamId: string;
  permission: StreamPermission.PUBLISH | StreamPermission.SUBSCRIBE;
  /** Unix ms the use is judged at: a message's timestamp, or now. */
  at: number;
}

/** The outcome of a valid use. */
export interface AuthorityVerdict<T> {
  /** The delegation or grant, parsed. */
  struct: T;
  /** The holder (delegation) or issuer (grant) whose right it hangs on. */
  signer: Address;
  /** Unix ms until which it holds: the earlier of `expiresAt` and the signer's right on chain. */
  expiresAt: number;
}

type Fail = (rule: AuthorityRule, problem: string) => never;

const delegationFail: Fail = (rule, problem) => {
  throw new InvalidDelegationError(rule, problem);
};
const grantFail: Fail = (rule, problem) => {
  throw new InvalidAccessGrantError(rule, problem);
};

function checkUse(struct: { permissions: number; expiresAt: number }, { permission, at }: AuthorityUse, fail: Fail): void {
  if ((struct.permissions & permissionBit(permission)) === 0) fail("permission", `it does not include ${permission}`);
  if (at >= struct.expiresAt * 1000) fail("expired", `it expired at ${struct.expiresAt} (s), not after ${at} (ms)`);
}

/** A value now, or later: a warm permission cache answers synchronously, and then so do the checks. */
export type MaybePromise<T> = T | Promise<T>;

/** `next(value)`, without a turn of the event loop when `value` is already known. */
export function whenKnown<T, U>(value: MaybePromise<T>, next: (value: T) => U): MaybePromise<U> {
  return value instanceof Promise ? value.then(next) : next(value);
}

/** The signer's right on chain now, which must last beyond `use.at`: its expiry in ms. */
function signerRight(context: AuthorityContext, signer: Address, permission: StreamPermission, use: AuthorityUse, fail: Fail): MaybePromise<number> {
  const answer = context.permissions.getPermissionExpiry({
    streamId: use.streamId,
    userId: signer,
    permission,
    // The public may hold Publish and Subscribe, never Grant.
    allowPublic: permission !== StreamPermission.GRANT,
  });
  return whenKnown(typeof answer === "number" ? answer : Promise.resolve(answer), (expiry) => {
    if (expiry <= 0) fail("revoked", `its signer ${signer} does not hold ${permission} on ${use.streamId}`);
    if (use.at >= expiry * 1000) fail("revoked", `its signer's ${permission} on ${use.streamId} expires at ${expiry} (s), not after ${use.at} (ms)`);
    return expiry * 1000;
  });
}

function signatureProblem(context: AuthorityContext, signer: string): string {
  return `it is not signed by ${signer} for chain ${context.domain.chainId} and registry ${context.domain.verifyingContract}`;
}

/**
 * Whether `delegation` (parsed JSON, checked strictly) lets its delegate use `use.permission`
 * on `use.streamId` at `use.at`: the stream is listed, the bit set, `use.at` before
 * `expiresAt`, the delegation signed for this chain and registry by the holder (`holder`, when
 * the caller knows who it must be), who holds the permission on chain now, beyond `use.at`.
 * Throws (or rejects with, when the right is read asynchronously) InvalidDelegationError with
 * the broken rule; answers synchronously when the permission source does.
 *
 * @example
 * const { signer: holder } = await checkDelegation(context, frame.delegation, { streamId, permission: StreamPermission.SUBSCRIBE, at: Date.now() });
 */
export function checkDelegation(
  context: AuthorityContext,
  delegation: unknown,
  use: AuthorityUse,
  holder?: Address,
): MaybePromise<AuthorityVerdict<SignedDelegation>> {
  const { struct, signer } = context.memo.delegation(delegation);
  if (!struct.streamIds.includes(use.streamId)) delegationFail("stream", `it does not list ${use.streamId}`);
  checkUse(struct, use, delegationFail);
  if (signer === undefined || (holder !== undefined && signer !== holder)) delegationFail("signature", signatureProblem(context, holder ?? "anyone"));
  return whenKnown(signerRight(context, signer, use.permission, use, delegationFail), (right) => ({
    struct,
    signer,
    expiresAt: Math.min(struct.expiresAt * 1000, right),
  }));
}

/**
 * Whether `grant` (parsed JSON, checked strictly), presented by `presenter`, lets them use
 * `use.permission` on `use.streamId` at `use.at`: same stream, bit set, `use.at` before
 * `expiresAt`, the presenter its grantee, signed by its issuer for this chain and registry,
 * and the issuer holding Grant on chain now, beyond `use.at`. Throws (or rejects with)
 * InvalidAccessGrantError with the broken rule, as checkDelegation.
 *
 * @example
 * await checkAccessGrant(context, frame.grant, { streamId, permission: StreamPermission.SUBSCRIBE, at: Date.now() }, authenticatedAddress);
 */
export function checkAccessGrant(
  context: AuthorityContext,
  grant: unknown,
  use: AuthorityUse,
  presenter: Address | undefined,
): MaybePromise<AuthorityVerdict<SignedAccessGrant>> {
  const { struct, signer } = context.memo.accessGrant(grant);
  if (struct.streamId !== use.streamId) grantFail("stream", `it is for ${struct.streamId}, not ${use.streamId}`);
  checkUse(struct, use, grantFail);
  if (presenter !== struct.grantee) grantFail("grantee", `it was issued to ${struct.grantee}, not ${presenter ?? "an anonymous connection"}`);
  if (signer !== struct.issuer) grantFail("signature", signatureProblem(context, struct.issuer));
  return whenKnown(signerRight(context, struct.issuer, StreamPermission.GRANT, use, grantFail), (right) => ({
    struct,
    signer: struct.issuer,
    expiresAt: Math.min(struct.expiresAt * 1000, right),
  }));
}

/** The sign-in a session key makes with its holder's delegation. */
export interface SessionUse {
  /** The address that signed the sign-in (SIWE): must be the delegation's delegate. */
  delegate: Address;
  /** Unix ms: must be before `expiresAt`. */
  at: number;
}

/**
 * Whether `delegation` (parsed JSON, checked strictly) lets `use.delegate` sign in as its
 * holder at `use.at`: the delegate is the signer of the sign-in, `use.at` is before
 * `expiresAt`, and the delegation is signed for this chain and registry by a holder who holds
 * at least one of the rights it delegates on one of its streams now. That last rule is what
 * tells a delegation signed for another chain or registry (whose signature recovers an
 * unrelated address) from a genuine one: a sign-in names no holder to compare with. Each
 * stream and permission is judged by checkDelegation; the verdict is the first that holds.
 * Throws (or rejects with) InvalidDelegationError with the broken rule (`grantee` when the
 * sign-in is not the delegate's).
 *
 * @example
 * const { signer: holder, struct } = await checkSessionDelegation(context, frame.delegation, { delegate: siweAddress, at: Date.now() });
 */
export async function checkSessionDelegation(context: AuthorityContext, delegation: unknown, use: SessionUse): Promise<AuthorityVerdict<SignedDelegation>> {
  const { struct, signer } = context.memo.delegation(delegation);
  if (struct.delegate !== use.delegate.toLowerCase()) delegationFail("grantee", `it delegates to ${struct.delegate}, not to ${use.delegate.toLowerCase()} who signed in`);
  for (const streamId of struct.streamIds) {
    for (const permission of fromPermissionBits(struct.permissions) as AuthorityUse["permission"][]) {
      try {
        return await checkDelegation(context, struct, { streamId, permission, at: use.at });
      } catch (error) {
        // Only the signer's right differs from one stream and permission to the next.
        if (!(error instanceof InvalidDelegationError && error.rule === "revoked")) throw error;
      }
    }
  }
  return delegationFail(
    "revoked",
    `its signer ${signer} holds none of the rights it delegates: it is not signed for chain ${context.domain.chainId} and registry ${context.domain.verifyingContract}, or its holder lost them`,
  );
}
