import { InvalidMessageError } from "./errors";
import { MAX_CONTENT_BYTES, parseSignedStreamMessage } from "./parse";
import type { SignedStreamMessage } from "./types";

/** The JSON form: exactly the signed fields plus `signature`, in the type's order. */
export function toJSON(message: SignedStreamMessage): SignedStreamMessage {
  return parseSignedStreamMessage(message);
}

// Tokens of JSON text: a string (unrolled, so long content scans in one pass), a key's colon,
// or a run of anything else that is no punctuation (in a parsed message: a number).
const TOKEN = /"[^"\\]*(?:\\.[^"\\]*)*"|:|[^\s{}[\]:,"]+/g;
const PLAIN_INTEGER = /^(?:0|[1-9][0-9]*)$/;

/**
 * Longest JSON text read: the largest content as hex, plus room for the other fields (every
 * character escaped) and whitespace. Longer text is refused before it is parsed.
 */
export const MAX_MESSAGE_JSON_LENGTH = 2 * MAX_CONTENT_BYTES + 64 * 1024;

/**
 * JSON.parse reads `-0`, `1e3`, `2.0` as numbers and keeps the last of two equal keys: text
 * that differs from the message it yields. Allows each number in one spelling only and each
 * key once, so that one message has one JSON text up to whitespace and field order. Run on
 * text already parsed as a message: its only non-string values are numbers.
 */
function checkSpelling(json: string): void {
  const keys = new Set<string>();
  let lastString = "";
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(json); match !== null; match = TOKEN.exec(json)) {
    const [token] = match;
    if (token.charCodeAt(0) === 0x22 /* " */) {
      lastString = token;
    } else if (token === ":") {
      const key = JSON.parse(lastString) as string;
      if (keys.has(key)) throw new InvalidMessageError(key, "appears twice");
      keys.add(key);
    } else if (!PLAIN_INTEGER.test(token)) {
      throw new InvalidMessageError(JSON.parse(lastString) as string, `must be written as a plain decimal integer (no sign, fraction or exponent), not ${token}`);
    }
  }
}

/**
 * Reads a signed message from its JSON text or parsed JSON, strictly: a missing, extra,
 * mistyped or out-of-range field throws InvalidMessageError naming it, and so, in text, does
 * a number not written as a plain decimal integer (`-0`, `1e3`, `2.0`) or a key written
 * twice. Does not verify the signature (see verifyStreamMessage and the MessageValidator).
 */
export function fromJSON(json: unknown): SignedStreamMessage {
  if (typeof json !== "string") return parseSignedStreamMessage(json);
  if (json.length > MAX_MESSAGE_JSON_LENGTH) {
    throw new InvalidMessageError("message", `is longer than ${MAX_MESSAGE_JSON_LENGTH} characters of JSON`);
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new InvalidMessageError("message", "is not valid JSON", { cause: error });
  }
  const message = parseSignedStreamMessage(value);
  checkSpelling(json);
  return message;
}
