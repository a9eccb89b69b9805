import { type MaybePromise, whenKnown } from "../delegation/check";
import { InvalidMessageError, MessageRejectedError } from "./errors";
import type { SignedStreamMessage } from "./types";

export const JSON_CONTENT_TYPE = "application/json";
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** `application/json` content parsed, anything else as bytes (a message's `contentType` names what its plaintext is). */
export function decodeContent(contentType: string, bytes: Uint8Array): unknown {
  if (contentType !== JSON_CONTENT_TYPE) return bytes;
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (error) {
    throw new InvalidMessageError("content", `is not JSON although the content type is ${JSON_CONTENT_TYPE}`, { cause: error });
  }
}

/** A stream's rule for message content: undefined when the content obeys it, else its first violation, in words. */
export type ContentCheck = (content: unknown) => string | undefined;

/**
 * Where a validator learns a stream's content rule (its metadata's `schema`, see
 * sdk/contentRules.ts): undefined when the stream has none. A rule that cannot be used (its
 * schema is invalid or too large) is a check that refuses everything, saying why.
 */
export interface ContentRules {
  ruleFor(streamId: string): MaybePromise<ContentCheck | undefined>;
}

/**
 * Judges content (the plaintext, for an encrypted message) by its stream's rule: nothing when
 * the stream has none or the content obeys it; else MessageRejectedError `schema` naming the
 * first violation. The validator calls it for plain messages, a subscriber again after decrypting.
 */
export function checkContentRule(rules: ContentRules, streamId: string, contentType: string, bytes: Uint8Array): MaybePromise<void> {
  return whenKnown(rules.ruleFor(streamId), (check) => {
    if (check === undefined) return;
    if (contentType !== JSON_CONTENT_TYPE) throw new MessageRejectedError("schema", `the stream's schema needs ${JSON_CONTENT_TYPE} content, not ${contentType}`);
    let content: unknown;
    try {
      content = decodeContent(contentType, bytes);
    } catch (error) {
      throw new MessageRejectedError("schema", (error as Error).message, { cause: error });
    }
    const violation = check(content);
    if (violation !== undefined) throw new MessageRejectedError("schema", violation);
  });
}

/**
 * Whether the message is encrypted (it names the group key its content is sealed with): its
 * content cannot be read by whoever lacks the key, a relay included, so its content rule is
 * enforced by the subscribers that decrypt it, not here.
 */
export function isEncrypted(message: SignedStreamMessage): boolean {
  return (message as { groupKeyId?: unknown }).groupKeyId !== undefined;
}
