import type { ErrorCode } from "../sdk/relay/protocol";

/** A request refused: the handler throws it, the dispatcher turns it into an `error` frame. */
export class RequestError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** MESSAGE_REJECTED: the validator's reason. */
    readonly reason?: string,
  ) {
    super(message);
    this.name = "RequestError";
  }
}
