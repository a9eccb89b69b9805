import type { Address, Hex } from "viem";
import { normalizeStreamId } from "../streamId";
import { InvalidMessageError } from "./errors";
import type { SignedStreamMessage, StreamMessage } from "./types";

export const UINT32_MAX = 2 ** 32 - 1;
/** Longest msgChainId accepted: it keys the validator's per-chain state. */
export const MAX_MSG_CHAIN_ID_LENGTH = 64;
export const MAX_CONTENT_TYPE_LENGTH = 255;
/**
 * Largest content, in bytes (1 MiB, as Streamr's limit): a relay and every subscriber hash the
 * whole content of each message, so an unbounded one would let one message cost seconds.
 */
export const MAX_CONTENT_BYTES = 1024 * 1024;

// Lowercase hex only: one encoding per message, so equal messages are equal strings.
const ADDRESS = /^0x[0-9a-f]{40}$/;
// Whole bytes: the length is checked apart, which keeps this a plain scan of the content.
const HEX = /^0x[0-9a-f]*$/;
const SIGNATURE = /^0x[0-9a-f]{130}$/;
// With the u flag a surrogate pair is one code point, so this matches only lone surrogates,
// which UTF-8 encoding would turn into U+FFFD: two such strings would sign the same bytes.
const LONE_SURROGATE = /\p{Cs}/u;
// String.prototype.isWellFormed (Node 20, recent browsers) says the same, several times faster.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;
export const isWellFormed: (value: string) => boolean =
  nativeIsWellFormed !== undefined ? (value) => nativeIsWellFormed.call(value) : (value) => !LONE_SURROGATE.test(value);

const MESSAGE_FIELDS = [
  "streamId",
  "partition",
  "timestamp",
  "sequenceNumber",
  "publisher",
  "msgChainId",
  "prevTimestamp",
  "prevSequenceNumber",
  "contentType",
  "content",
] as const;
/** Longest `groupKeyId` accepted (an encrypted message's key name). */
export const MAX_GROUP_KEY_ID_LENGTH = 64;
// `groupKeyId` is the one optional field: present exactly when the content is encrypted.
const UNSIGNED_FIELDS = new Set<string>([...MESSAGE_FIELDS, "groupKeyId"]);
const SIGNED_FIELDS = new Set<string>([...UNSIGNED_FIELDS, "signature"]);

type Fields = Record<string, unknown>;

// Stream ids already normalised, input -> canonical form: a chain repeats its stream id in
// every message, and a relay validates every message of a stream against the same id.
const normalizedStreamIds = new Map<string, string>();
const MAX_REMEMBERED_STREAM_IDS = 4096;

/** `normalizeStreamId`, remembering its answers (throws InvalidStreamIdError for a malformed id). */
export function normalizeStreamIdCached(streamId: string): string {
  const known = normalizedStreamIds.get(streamId);
  if (known !== undefined) return known;
  const canonical = normalizeStreamId(streamId);
  if (normalizedStreamIds.size >= MAX_REMEMBERED_STREAM_IDS) normalizedStreamIds.clear();
  normalizedStreamIds.set(streamId, canonical);
  return canonical;
}

function streamIdField(fields: Fields): string {
  const value = fields.streamId;
  if (typeof value !== "string") throw new InvalidMessageError("streamId", "must be a string");
  let canonical: string;
  try {
    canonical = normalizeStreamIdCached(value);
  } catch (error) {
    throw new InvalidMessageError("streamId", "is not a valid stream id", { cause: error });
  }
  if (canonical !== value) throw new InvalidMessageError("streamId", "must be a canonical stream id (lowercase address + path)");
  return canonical;
}

function integerField(fields: Fields, name: string, max: number): number {
  const value = fields[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > max) {
    throw new InvalidMessageError(name, `must be an integer from 0 to ${max}`);
  }
  return value;
}

function stringField(fields: Fields, name: string, maxLength: number): string {
  const value = fields[name];
  if (typeof value !== "string" || value.length === 0 || value.length > maxLength || !isWellFormed(value)) {
    throw new InvalidMessageError(name, `must be a well-formed string of 1 to ${maxLength} characters`);
  }
  return value;
}

function patternField<T extends string>(fields: Fields, name: string, pattern: RegExp, expected: string): T {
  const value = fields[name];
  if (typeof value !== "string" || !pattern.test(value)) throw new InvalidMessageError(name, `must be ${expected}`);
  return value as T;
}

function contentField(fields: Fields): Hex {
  const value = fields.content;
  if (typeof value !== "string" || value.length % 2 !== 0) throw new InvalidMessageError("content", "must be lowercase 0x hex of whole bytes");
  checkContentSize((value.length - 2) / 2);
  if (!HEX.test(value)) throw new InvalidMessageError("content", "must be lowercase 0x hex of whole bytes");
  return value as Hex;
}

/** Throws InvalidMessageError for content of more than MAX_CONTENT_BYTES. */
export function checkContentSize(bytes: number): void {
  if (bytes > MAX_CONTENT_BYTES) throw new InvalidMessageError("content", `must be at most ${MAX_CONTENT_BYTES} bytes, got ${bytes}`);
}

function checkFieldNames(fields: Fields, allowed: Set<string>): void {
  const names = Object.keys(fields);
  for (const name of names) {
    if (!allowed.has(name)) throw new InvalidMessageError(name, "is not a StreamMessage field");
  }
  if (names.length === allowed.size) return; // distinct allowed names, as many as there are: none missing
  for (const name of allowed) {
    if (name !== "groupKeyId" && !Object.hasOwn(fields, name)) throw new InvalidMessageError(name, "is missing");
  }
}

function asFields(value: unknown): Fields {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidMessageError("message", "must be an object");
  }
  return value as Fields;
}

/**
 * Checks that `value` has exactly the StreamMessage fields, each well typed and in range, and
 * that the chain link points backwards; returns a fresh message with only those fields.
 * Timestamps are uint64 in the signed form but must be safe integers here (until year 287396).
 */
export function parseStreamMessage(value: unknown): StreamMessage {
  const fields = asFields(value);
  checkFieldNames(fields, UNSIGNED_FIELDS);
  return messageFields(fields);
}

/** `parseStreamMessage` for a message with its `signature` (0x + 65 bytes). */
export function parseSignedStreamMessage(value: unknown): SignedStreamMessage {
  const fields = asFields(value);
  checkFieldNames(fields, SIGNED_FIELDS);
  const message = messageFields(fields) as SignedStreamMessage;
  message.signature = patternField<Hex>(fields, "signature", SIGNATURE, "0x and 65 bytes of lowercase hex");
  return message;
}

function messageFields(fields: Fields): StreamMessage {
  const message: StreamMessage = {
    streamId: streamIdField(fields),
    partition: integerField(fields, "partition", UINT32_MAX),
    timestamp: integerField(fields, "timestamp", Number.MAX_SAFE_INTEGER),
    sequenceNumber: integerField(fields, "sequenceNumber", UINT32_MAX),
    publisher: patternField<Address>(fields, "publisher", ADDRESS, "a lowercase 0x address"),
    msgChainId: stringField(fields, "msgChainId", MAX_MSG_CHAIN_ID_LENGTH),
    prevTimestamp: integerField(fields, "prevTimestamp", Number.MAX_SAFE_INTEGER),
    prevSequenceNumber: integerField(fields, "prevSequenceNumber", UINT32_MAX),
    contentType: stringField(fields, "contentType", MAX_CONTENT_TYPE_LENGTH),
    content: contentField(fields),
  };
  if (fields.groupKeyId !== undefined) message.groupKeyId = stringField(fields, "groupKeyId", MAX_GROUP_KEY_ID_LENGTH);
  checkChainLink(message);
  return message;
}

function checkChainLink(message: StreamMessage): void {
  if (message.prevTimestamp === 0) {
    if (message.prevSequenceNumber !== 0) throw new InvalidMessageError("prevSequenceNumber", "must be 0 when prevTimestamp is 0");
    return;
  }
  if (compareRefs(message.prevTimestamp, message.prevSequenceNumber, message.timestamp, message.sequenceNumber) >= 0) {
    throw new InvalidMessageError("prevTimestamp", "must point to an earlier position than the message's own");
  }
}

/** Orders chain positions: negative when (t1, s1) comes first. */
export function compareRefs(t1: number, s1: number, t2: number, s2: number): number {
  return t1 !== t2 ? t1 - t2 : s1 - s2;
}
