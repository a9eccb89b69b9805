import { InvalidMessageError } from "./errors";
import { parseSignedStreamMessage } from "./parse";
import type { SignedStreamMessage } from "./types";

/** The JSON form: exactly the signed fields plus `signature`, in the type's order. */
export function toJSON(message: SignedStreamMessage): SignedStreamMessage {
  return parseSignedStreamMessage(message);
}

/**
 * Reads a signed message from its JSON text or parsed JSON, strictly: a missing, extra,
 * mistyped or out-of-range field throws InvalidMessageError naming it. Does not verify the
 * signature (see verifyStreamMessage and the MessageValidator).
 */
export function fromJSON(json: unknown): SignedStreamMessage {
  if (typeof json !== "string") return parseSignedStreamMessage(json);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvalidMessageError("message", "is not valid JSON", { cause: error });
  }
  return parseSignedStreamMessage(value);
}
