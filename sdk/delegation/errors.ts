import { KeywayError, type KeywayErrorOptions } from "../errors";

/**
 * Which rule a delegation or grant broke: `malformed` (shape), `stream` (not listed),
 * `permission` (bit not set), `expired` (at or after `expiresAt`), `signature` (not signed by
 * the holder / issuer for this chain and registry), `grantee` (a grant presented by someone else, a
 * delegation used by a key that is not its delegate),
 * `revoked` (the signer does not hold the right on chain now, or not at that time).
 */
export type AuthorityRule = "malformed" | "stream" | "permission" | "expired" | "signature" | "grantee" | "revoked";

/** A delegation that is malformed or does not allow what it is used for; `rule` says which rule failed. */
export class InvalidDelegationError extends KeywayError {
  constructor(
    readonly rule: AuthorityRule,
    readonly problem: string,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_DELEGATION", `Invalid delegation: ${problem}`, options);
  }
}

/** An access grant that is malformed or does not allow what it is used for; `rule` says which rule failed. */
export class InvalidAccessGrantError extends KeywayError {
  constructor(
    readonly rule: AuthorityRule,
    readonly problem: string,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_GRANT", `Invalid access grant: ${problem}`, options);
  }
}
