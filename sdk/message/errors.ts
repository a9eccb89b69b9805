import { KeywayError, type KeywayErrorOptions } from "../errors";

/** A message that does not have the documented shape; `field` names the first offending field. */
export class InvalidMessageError extends KeywayError {
  constructor(
    readonly field: string,
    readonly problem: string,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_MESSAGE", `Invalid stream message: ${field} ${problem}`, options);
  }
}

/** Why a subscriber's validator refused a message. */
export type MessageRejectionReason =
  /** The message carries no signature. */
  | "unsigned"
  /** A field is missing, extra, mistyped or out of range (`cause` is an InvalidMessageError). */
  | "malformed"
  /** A well-formed message of another stream or partition than the one validated for. */
  | "wrong-stream"
  /** The signature is malformed, high-s, or does not recover the claimed publisher. */
  | "invalid-signature"
  /** The timestamp is further ahead of the local clock than the allowed skew. */
  | "future-timestamp"
  /** The publisher does not hold Publish on the stream now, directly or publicly. */
  | "no-permission"
  /** The publisher's Publish permission expires at or before the message's timestamp. */
  | "timestamp-after-expiry"
  /** The chain already delivered a message at this position (a duplicate or a replay). */
  | "duplicate"
  /** Older than the positions the validator still remembers for the chain: cannot rule out a replay. */
  | "stale"
  /** The message carries a `delegation` that does not let its signer publish it (`cause` is an InvalidDelegationError). */
  | "invalid-delegation"
  /** The message carries a `grant` that does not let its publisher publish it (`cause` is an InvalidAccessGrantError). */
  | "invalid-grant"
  /** The content breaks the stream's content rule (its metadata's JSON Schema): the detail names the first violation. */
  | "schema";

export class MessageRejectedError extends KeywayError {
  constructor(
    readonly reason: MessageRejectionReason,
    detail: string,
    options?: KeywayErrorOptions,
  ) {
    super("MESSAGE_REJECTED", `Stream message rejected (${reason}): ${detail}`, options);
  }
}
