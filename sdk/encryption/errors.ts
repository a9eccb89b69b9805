import { KeywayError, type KeywayErrorOptions } from "../errors";

/**
 * Which rule a key request broke: `malformed` (shape), `expired` (dated more than
 * `KEY_REQUEST_MAX_AGE_MS` from now), `replayed` (seen already), `signature` (not signed by
 * the requester, or by its session key), `unauthorized` (the requester does not hold
 * Subscribe now, directly, through its session's holder or through an access grant).
 */
export type KeyRequestRule = "malformed" | "expired" | "replayed" | "signature" | "unauthorized";

/** A key request that is malformed or may not be answered; `rule` says why. */
export class InvalidKeyRequestError extends KeywayError {
  constructor(
    readonly rule: KeyRequestRule,
    readonly problem: string,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_KEY_REQUEST", `Invalid key request: ${problem}`, options);
  }
}

/**
 * A message of an encrypted stream that was not delivered: no key for its `groupKeyId` arrived
 * in time (`reason` `key-unavailable`), or its ciphertext did not authenticate under the key
 * (`reason` `not-authentic`). It is never delivered as plaintext.
 */
export class DecryptionError extends KeywayError {
  constructor(
    readonly reason: "key-unavailable" | "not-authentic",
    message: string,
    options?: KeywayErrorOptions,
  ) {
    super("DECRYPTION_FAILED", message, options);
  }
}
