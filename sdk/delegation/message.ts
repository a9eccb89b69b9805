import { InvalidMessageError, MessageRejectedError } from "../message/errors";
import type { SignedStreamMessage } from "../message/types";
import { isSignedByPublisher } from "../message/verify";
import { StreamPermission } from "../permissions";
import { checkAccessGrant, checkDelegation, whenKnown, type AuthorityContext, type AuthorityUse, type MaybePromise } from "./check";
import { InvalidAccessGrantError, InvalidDelegationError } from "./errors";
import type { SignedAccessGrant, SignedDelegation } from "./types";

/** A signed message that may carry the delegation or grant it is published under. */
export type AuthorizedStreamMessage = SignedStreamMessage & { delegation?: SignedDelegation; grant?: SignedAccessGrant };

/** A message's own fields apart from the `delegation` or `grant` it carries (unchecked). */
export interface CarriedAuthority {
  message: unknown;
  delegation?: unknown;
  grant?: unknown;
}

/** Splits off `delegation` and `grant`; a message without them comes back as it is. */
export function splitCarriedAuthority(input: unknown): CarriedAuthority {
  if (typeof input !== "object" || input === null || !(Object.hasOwn(input, "delegation") || Object.hasOwn(input, "grant"))) {
    return { message: input };
  }
  const { delegation, grant, ...message } = input as Record<string, unknown>;
  return { message, delegation, grant };
}

/** Whether the message came with a delegation or a grant. */
export function carriesAuthority(carried: CarriedAuthority): boolean {
  return carried.delegation !== undefined || carried.grant !== undefined;
}

function rejectWith(error: unknown): never {
  if (error instanceof InvalidDelegationError) throw new MessageRejectedError("invalid-delegation", error.problem, { cause: error });
  if (error instanceof InvalidAccessGrantError) throw new MessageRejectedError("invalid-grant", error.problem, { cause: error });
  throw error; // the permission source's own failures say nothing about the message
}

/**
 * The checks of a message published under a delegation or grant, in place of the plain
 * signature and Publish checks: the message is judged by what it carries alone. Resolves
 * with the message (the validator's own parsed copy) given its parsed delegation or grant; rejects with MessageRejectedError
 * (`invalid-delegation`, `invalid-grant`, `invalid-signature` when the message itself is not
 * the delegate's or grantee's, `malformed` for both at once).
 *
 * - delegation: signed by the delegate, naming the holder as `publisher`; the holder signed the
 *   delegation for this domain and holds Publish now, beyond the message's timestamp.
 * - grant: signed by `publisher`, who is the grantee; the issuer holds Grant now.
 */
export function checkAuthorizedMessage(
  context: AuthorityContext,
  message: SignedStreamMessage,
  carried: CarriedAuthority,
): MaybePromise<AuthorizedStreamMessage> {
  if (carried.delegation !== undefined && carried.grant !== undefined) {
    const cause = new InvalidMessageError("grant", "cannot come with a delegation");
    throw new MessageRejectedError("malformed", cause.message, { cause });
  }
  const use = { streamId: message.streamId, permission: StreamPermission.PUBLISH, at: message.timestamp } as const;
  try {
    const checked = carried.delegation !== undefined ? delegated(context, message, carried.delegation, use) : granted(context, message, carried.grant, use);
    return checked instanceof Promise ? checked.catch(rejectWith) : checked;
  } catch (error) {
    return rejectWith(error);
  }
}

function delegated(context: AuthorityContext, message: SignedStreamMessage, delegation: unknown, use: AuthorityUse): MaybePromise<AuthorizedStreamMessage> {
  return whenKnown(checkDelegation(context, delegation, use, message.publisher), ({ struct }) => {
    if (!isSignedByPublisher(message, context.separator, struct.delegate)) {
      throw new MessageRejectedError("invalid-signature", `the signature is not the delegate ${struct.delegate}'s`);
    }
    return Object.assign(message, { delegation: struct });
  });
}

function granted(context: AuthorityContext, message: SignedStreamMessage, grant: unknown, use: AuthorityUse): MaybePromise<AuthorizedStreamMessage> {
  if (!isSignedByPublisher(message, context.separator)) throw new MessageRejectedError("invalid-signature", `the signature is not ${message.publisher}'s`);
  return whenKnown(checkAccessGrant(context, grant, use, message.publisher), ({ struct }) => Object.assign(message, { grant: struct }));
}
