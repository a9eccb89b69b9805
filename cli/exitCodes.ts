import type { KeywayErrorCode } from "../sdk";

/** The process exit codes of `keyway`, documented in docs/cli.md. */
export const ExitCode = {
  OK: 0,
  /** Anything unexpected, and registry reverts without a more specific reason. */
  FAILURE: 1,
  /** Bad usage or input: unknown option, bad stream id, address, permission name, expiry, JSON. */
  USAGE: 2,
  STREAM_NOT_FOUND: 3,
  /** The signer (or the queried account) lacks the permission the action needs. */
  UNAUTHORIZED: 4,
  /** A write without --private-key / KEYWAY_PRIVATE_KEY. */
  MISSING_KEY: 5,
  /** The node cannot be reached, answers with an error, or is on another chain. */
  NODE_UNREACHABLE: 6,
  /** No registry at the address (e.g. the node was restarted): run `npm start`. */
  NO_REGISTRY: 7,
  STREAM_EXISTS: 8,
  /** `message verify` read at least one message that is not valid; `publish`: the relay refused a message. */
  INVALID_MESSAGES: 9,
  /** The relay cannot be reached (or closed the connection before answering). */
  RELAY_UNREACHABLE: 10,
  /** The relay refused a request: sign-in failed, rate limited, frame too large, too many subscriptions, relay unavailable... */
  RELAY_REFUSED: 11,
  /** `subscribe`: the relay ended the subscription (permission revoked or expired, stream deleted, session expired). */
  SUBSCRIPTION_ENDED: 12,
  /** `subscribe`: a message of an encrypted stream could not be decrypted (no key arrived in time, or its ciphertext did not authenticate). */
  DECRYPTION_FAILED: 13,
  /** `tx submit`: the registry refuses the signed change: expired, nonce used or cancelled, or a signature that does not match (tampered, another chain or registry). */
  SIGNED_CHANGE_REFUSED: 14,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every SDK error code's exit code: a Record, so that a new code does not compile until it has one. */
const BY_ERROR_CODE: Record<KeywayErrorCode, ExitCode> = {
  STREAM_NOT_FOUND: ExitCode.STREAM_NOT_FOUND,
  STREAM_ALREADY_EXISTS: ExitCode.STREAM_EXISTS,
  UNAUTHORIZED: ExitCode.UNAUTHORIZED,
  INVALID_STREAM_ID: ExitCode.USAGE,
  INVALID_ADDRESS: ExitCode.USAGE,
  INVALID_PERMISSION: ExitCode.USAGE,
  INVALID_ARGUMENT: ExitCode.USAGE,
  INVALID_MESSAGE: ExitCode.USAGE,
  MISSING_SIGNER: ExitCode.MISSING_KEY,
  CONTRACT_ERROR: ExitCode.FAILURE,
  RPC_ERROR: ExitCode.NODE_UNREACHABLE,
  WRONG_CHAIN: ExitCode.NODE_UNREACHABLE,
  REGISTRY_NOT_FOUND: ExitCode.NO_REGISTRY,
  MESSAGE_REJECTED: ExitCode.INVALID_MESSAGES,
  INVALID_DELEGATION: ExitCode.USAGE,
  INVALID_GRANT: ExitCode.USAGE,
  RELAY_UNREACHABLE: ExitCode.RELAY_UNREACHABLE,
  INVALID_KEY_REQUEST: ExitCode.FAILURE,
  DECRYPTION_FAILED: ExitCode.DECRYPTION_FAILED,
  AUTH_FAILED: ExitCode.RELAY_REFUSED,
  INVALID_REQUEST: ExitCode.RELAY_REFUSED,
  RATE_LIMITED: ExitCode.RELAY_REFUSED,
  TOO_LARGE: ExitCode.RELAY_REFUSED,
  TOO_MANY_SUBSCRIPTIONS: ExitCode.RELAY_REFUSED,
  ALREADY_SUBSCRIBED: ExitCode.RELAY_REFUSED,
  NOT_SUBSCRIBED: ExitCode.RELAY_REFUSED,
  UNAVAILABLE: ExitCode.RELAY_REFUSED,
  RELAY_ERROR: ExitCode.RELAY_REFUSED,
  CHANGE_REFUSED: ExitCode.SIGNED_CHANGE_REFUSED,
  SIGNATURE_EXPIRED: ExitCode.SIGNED_CHANGE_REFUSED,
  NONCE_USED: ExitCode.SIGNED_CHANGE_REFUSED,
  NONCE_CANCELLED: ExitCode.SIGNED_CHANGE_REFUSED,
  INVALID_SIGNATURE: ExitCode.SIGNED_CHANGE_REFUSED,
};

/** The exit code for an SDK error code; a code from a newer SDK than the CLI's is a plain failure. */
export function exitCodeFor(code: KeywayErrorCode): ExitCode {
  return BY_ERROR_CODE[code] ?? ExitCode.FAILURE;
}
