import { ErrorCode as RelayCode } from "./relay/protocol";

/**
 * Every error the SDK throws is a `KeywayError` with a stable `code`, so callers can branch
 * on `error.code` (or `instanceof`) instead of parsing messages. An error caused by
 * something underneath (an RPC failure, a contract revert) keeps it as `cause`.
 */
export type KeywayErrorCode =
  | "STREAM_NOT_FOUND"
  | "STREAM_ALREADY_EXISTS"
  | "UNAUTHORIZED"
  | "INVALID_STREAM_ID"
  | "INVALID_ADDRESS"
  | "INVALID_PERMISSION"
  | "INVALID_ARGUMENT"
  | "WRONG_CHAIN"
  | "REGISTRY_NOT_FOUND"
  | "MISSING_SIGNER"
  | "CONTRACT_ERROR"
  | "RPC_ERROR"
  | "INVALID_MESSAGE"
  | "MESSAGE_REJECTED"
  | "INVALID_DELEGATION"
  | "INVALID_GRANT"
  | "RELAY_UNREACHABLE"
  | "INVALID_KEY_REQUEST"
  | "DECRYPTION_FAILED"
  | "SIGNATURE_EXPIRED"
  | "NONCE_USED"
  | "NONCE_CANCELLED"
  | "INVALID_SIGNATURE"
  | RelayErrorCode;

/** Longest cause chain followed: deeper (or cyclic) chains are cut there. */
const MAX_CAUSES = 16;

/**
 * `error` and its causes (`error.cause`, its `cause`...), outermost first: the one walk over a
 * cause chain, for the SDK (decoding a registry revert wherever a provider buried it), the
 * CLI (telling a refused connection from other failures) and the dApp (finding a wallet's
 * refusal). Stops at a value that is not an object, at one already seen (a cycle) and after
 * 16 links.
 */
export function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e !== undefined && chain.length < MAX_CAUSES && !chain.includes(e); e = (e as { cause?: unknown }).cause) {
    chain.push(e);
    if (typeof e !== "object" || e === null) break;
  }
  return chain;
}

export interface KeywayErrorOptions {
  cause?: unknown;
}

export class KeywayError extends Error {
  readonly code: KeywayErrorCode;

  constructor(code: KeywayErrorCode, message: string, options: KeywayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
  }
}

export class StreamNotFoundError extends KeywayError {
  constructor(
    readonly streamId: string,
    options?: KeywayErrorOptions,
  ) {
    super("STREAM_NOT_FOUND", `Stream not found: ${streamId}`, options);
  }
}

export class StreamAlreadyExistsError extends KeywayError {
  constructor(
    readonly streamId: string,
    options?: KeywayErrorOptions,
  ) {
    super("STREAM_ALREADY_EXISTS", `Stream already exists: ${streamId}`, options);
  }
}

export class UnauthorizedError extends KeywayError {
  constructor(
    readonly streamId: string,
    readonly account: string,
    /** The permission the account lacks, as a `StreamPermission` value. */
    readonly permission: string,
    options?: KeywayErrorOptions,
  ) {
    super("UNAUTHORIZED", `${account} does not have ${permission} permission on ${streamId}`, options);
  }
}

export class InvalidStreamIdError extends KeywayError {
  constructor(
    readonly streamId: string,
    reason: string,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_STREAM_ID", `Invalid stream id ${JSON.stringify(streamId)}: ${reason}`, options);
  }
}

export class InvalidAddressError extends KeywayError {
  constructor(
    readonly address: string,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_ADDRESS", `Invalid address: ${JSON.stringify(address)}`, options);
  }
}

export class InvalidPermissionError extends KeywayError {
  constructor(
    readonly permission: string,
    reason = `expected one of edit, delete, publish, subscribe, grant`,
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_PERMISSION", `Invalid permission ${JSON.stringify(permission)}: ${reason}`, options);
  }
}

/** A malformed argument that has no more specific error (a bad expiry, an empty batch...). */
export class InvalidArgumentError extends KeywayError {
  constructor(message: string, options?: KeywayErrorOptions) {
    super("INVALID_ARGUMENT", message, options);
  }
}

export class WrongChainError extends KeywayError {
  constructor(
    readonly expectedChainId: number,
    readonly actualChainId: number,
    options?: KeywayErrorOptions,
  ) {
    super("WRONG_CHAIN", `Connected to chain ${actualChainId}, expected chain ${expectedChainId}`, options);
  }
}

/** No contract at the registry address on the connected node (wrong address, or the node was restarted). */
export class RegistryNotFoundError extends KeywayError {
  constructor(
    readonly registryAddress: string,
    options?: KeywayErrorOptions,
  ) {
    super("REGISTRY_NOT_FOUND", `No StreamRegistry at ${registryAddress} on the connected node`, options);
  }
}

export class MissingSignerError extends KeywayError {
  constructor(action: string, options?: KeywayErrorOptions) {
    super("MISSING_SIGNER", `${action} needs a signer: pass privateKey, walletClient or ethersSigner`, options);
  }
}

/** The registry reverted with something that has no more specific error. */
export class ContractError extends KeywayError {
  constructor(message: string, options?: KeywayErrorOptions) {
    super("CONTRACT_ERROR", message, options);
  }
}

/** The node could not be reached or answered with an error. */
export class RpcError extends KeywayError {
  constructor(message: string, options?: KeywayErrorOptions) {
    super("RPC_ERROR", message, options);
  }
}

/** A signed change arrived after its deadline (the registry's `SignatureExpired`). */
export class SignatureExpiredError extends KeywayError {
  constructor(
    /** The change's deadline, unix seconds. */
    readonly deadline: bigint,
    options?: KeywayErrorOptions,
  ) {
    super("SIGNATURE_EXPIRED", `The signed change expired at ${new Date(Number(deadline) * 1000).toISOString()} (deadline ${deadline})`, options);
  }
}

/** A signed change's nonce was already used by another signed change (the registry's `NonceAlreadyUsed`). */
export class NonceUsedError extends KeywayError {
  constructor(
    readonly signer: string,
    readonly nonce: bigint,
    options?: KeywayErrorOptions,
  ) {
    super("NONCE_USED", `Nonce ${nonce} of ${signer} was already used: this signed change was sent before, or another one used its nonce`, options);
  }
}

/** A signed change's nonce was cancelled by its signer (`invalidateUnorderedNonces`). */
export class NonceCancelledError extends KeywayError {
  constructor(
    readonly signer: string,
    readonly nonce: bigint,
    options?: KeywayErrorOptions,
  ) {
    super("NONCE_CANCELLED", `Nonce ${nonce} of ${signer} was cancelled by its signer`, options);
  }
}

/** A signed change's signature is not its signer's over this change, on this chain and registry (or was tampered with). */
export class InvalidSignatureError extends KeywayError {
  constructor(
    readonly signer: string,
    detail = "the signature does not match the change, its signer, chain or registry",
    options?: KeywayErrorOptions,
  ) {
    super("INVALID_SIGNATURE", `Invalid signature for ${signer}: ${detail}`, options);
  }
}

/** The relay could not be reached, or the connection closed before the relay answered. */
export class RelayUnreachableError extends KeywayError {
  constructor(
    readonly relayUrl: string,
    detail: string,
    options?: KeywayErrorOptions,
  ) {
    super("RELAY_UNREACHABLE", `Relay ${relayUrl}: ${detail}`, options);
  }
}

/** The relay's codes (sdk/relay/protocol.ts) that the SDK reports with an error class of their own. */
const CLASSED_RELAY_CODES: readonly string[] = [RelayCode.UNAUTHORIZED, RelayCode.STREAM_NOT_FOUND, RelayCode.MESSAGE_REJECTED] satisfies RelayCode[];

/** The codes a relay answers with that have no more specific error class, and RELAY_ERROR for a code the SDK does not know. */
export type RelayErrorCode = Exclude<RelayCode, "UNAUTHORIZED" | "STREAM_NOT_FOUND" | "MESSAGE_REJECTED"> | "RELAY_ERROR";

/** Whether a relay's `error` code is one a `RelayError` carries as its own `code`. */
export function isRelayErrorCode(code: string): code is RelayErrorCode {
  return Object.hasOwn(RelayCode, code) && !CLASSED_RELAY_CODES.includes(code);
}

/**
 * The relay refused a request. `code` is the relay's code when the SDK knows it, else
 * `RELAY_ERROR`; `relayCode` is always the code exactly as the relay sent it.
 */
export class RelayError extends KeywayError {
  declare readonly code: RelayErrorCode;

  constructor(
    code: RelayErrorCode,
    readonly relayCode: string,
    message: string,
    options?: KeywayErrorOptions,
  ) {
    super(code, message, options);
  }
}
