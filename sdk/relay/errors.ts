import { InvalidSignatureError, isRelayErrorCode, KeywayError, NonceCancelledError, NonceUsedError, RelayError, SignatureExpiredError, StreamNotFoundError, UnauthorizedError } from "../errors";
import { MessageRejectedError, type MessageRejectionReason } from "../message/errors";
import type { RequestFrame } from "./protocol";

/** The fields of an `error` frame, unchecked. */
export type ErrorFields = { code?: unknown; message?: unknown; reason?: unknown };

/**
 * The typed error for a relay's `error` frame: the SDK's own class where one fits
 * (UNAUTHORIZED, STREAM_NOT_FOUND, MESSAGE_REJECTED with the validator's `reason`, a sponsored
 * change's CHANGE_REFUSED as the signed-change error of its `reason`), else a
 * RelayError with the relay's code.
 */
export function relayErrorOf(frame: ErrorFields, request?: RequestFrame): KeywayError {
  const code = typeof frame.code === "string" ? frame.code : "RELAY_ERROR";
  const message = typeof frame.message === "string" ? frame.message : code;
  // A key request is judged by Subscribe on its stream, as a subscribe is.
  const streamId = request === undefined ? undefined : "streamId" in request ? request.streamId : request.type === "keyRequest" ? request.request.streamId : undefined;
  if (code === "UNAUTHORIZED" && streamId !== undefined) {
    // The relay's words (which rule a delegation or grant broke) travel as the cause.
    const who = request?.type === "subscribe" && request.grant !== undefined ? "the access grant" : "this connection's account";
    return new UnauthorizedError(streamId, who, "subscribe", { cause: new Error(`Relay: ${message}`) });
  }
  if (code === "STREAM_NOT_FOUND" && streamId !== undefined) return new StreamNotFoundError(streamId);
  if (code === "MESSAGE_REJECTED") {
    const reason = typeof frame.reason === "string" ? frame.reason : "unknown";
    return new MessageRejectedError(reason as MessageRejectionReason, `the relay refused the message: ${message}`);
  }
  if (code === "CHANGE_REFUSED" && request?.type === "sponsor") return changeRefusalOf(frame.reason, message, (request.change ?? {}) as Record<string, unknown>);
  return new RelayError(isRelayErrorCode(code) ? code : "RELAY_ERROR", code, `Relay: ${message}`);
}

/**
 * The typed error for the relay's CHANGE_REFUSED of `change`: the one `submitSignedChange`
 * would have thrown for the same refusal (its `reason` is that error's code), else a RelayError.
 */
export function changeRefusalOf(reason: unknown, message: string, change: { signer?: unknown; nonce?: unknown; deadline?: unknown }): KeywayError {
  const signer = String(change.signer);
  const uint = (value: unknown) => (typeof value === "string" && /^\d+$/.test(value) ? BigInt(value) : 0n);
  const cause = new Error(`Relay: ${message}`);
  switch (reason) {
    case "SIGNATURE_EXPIRED":
      return new SignatureExpiredError(uint(change.deadline), { cause });
    case "NONCE_USED":
      return new NonceUsedError(signer, uint(change.nonce), { cause });
    case "NONCE_CANCELLED":
      return new NonceCancelledError(signer, uint(change.nonce), { cause });
    case "INVALID_SIGNATURE":
      return new InvalidSignatureError(signer, message, { cause });
    default:
      return new RelayError("CHANGE_REFUSED", "CHANGE_REFUSED", `Relay: ${message}`);
  }
}
