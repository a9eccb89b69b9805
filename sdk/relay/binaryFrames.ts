import type { Packr, Unpackr } from "msgpackr";
import type { Hex } from "viem";
import { InvalidArgumentError } from "../errors";
import { bytesToHex, hexToBytes } from "../message/hex";
import { loadedMsgpackr, loadMsgpackr } from "./msgpack";

/**
 * The `keyway-binary` encoding of protocol v1 (docs/relay.md "Binary frames"): the same frames
 * as the JSON ones, each a MessagePack array `[type, field, field, ...]` with its fields in the
 * fixed order of `LAYOUTS` (by direction: a `history` request and a `history` reply differ), an
 * absent field as MessagePack's `undefined` (fixext 0, `d4 00 00`, trailing ones left out), a
 * stream message as the array of its signed fields in `MESSAGE_FIELDS` order, then a map of any
 * others (`groupKeyId`, `delegation`, `grant`). Every lowercase 0x hex string of whole bytes
 * (addresses, hashes, signatures, content) is a byte string, and every byte string reads back
 * as lowercase 0x hex: a bijection, so a decoded frame is exactly the JSON frame's object, and a
 * message verifies as the signed one. Nothing else is re-encoded.
 */

/** Which end sends a frame: each has its own field layouts. */
export type FrameDirection = "request" | "server";

/** A frame as an object, its kind in `type`: what JSON.parse of the JSON encoding gives. */
export type FrameObject = { type: string; [field: string]: unknown };

/** A field holding one signed stream message, or a list of them, laid out as `MESSAGE_FIELDS`. */
const MESSAGE = { message: "one" } as const;
const MESSAGES = { messages: "many" } as const;
type Slot = string | typeof MESSAGE | typeof MESSAGES;

/** A stream message's signed fields, in the order of its EIP-712 type: an array of values, without names. */
const MESSAGE_FIELDS = ["streamId", "partition", "timestamp", "sequenceNumber", "publisher", "msgChainId", "prevTimestamp", "prevSequenceNumber", "contentType", "content", "signature"] as const;

/** Each frame type's fields, in wire order; sdk/relay/protocol.ts declares them. New fields go at the end. */
const LAYOUTS: Record<FrameDirection, Record<string, readonly Slot[]>> = {
  request: {
    auth: ["id", "message", "signature", "delegation"],
    subscribe: ["id", "streamId", "partition", "from", "grant", "joinLeave"],
    unsubscribe: ["id", "streamId", "partition"],
    publish: ["id", MESSAGE],
    openInbox: ["id"],
    keyRequest: ["id", "to", "request"],
    keyResponse: ["id", "to", "response"],
    sponsor: ["id", "change"],
    history: ["id", "streamId", "partition", "limit", "from", "reverse", "grant"],
    presence: ["id", "streamId", "partition", "grant"],
  },
  server: {
    hello: ["protocol", "chainId", "registry", "nonce"],
    authenticated: ["id", "address", "expiresAt", "nonce"],
    subscribed: ["id", "streamId", "partition"],
    published: ["id"],
    unsubscribed: ["id", "streamId", "partition", "reason"],
    message: ["streamId", "partition", MESSAGE],
    error: ["id", "code", "message", "reason"],
    sponsored: ["id", "transactionHash"],
    inboxOpen: ["id"],
    forwarded: ["id"],
    keyRequest: ["from", "request"],
    keyResponse: ["from", "response"],
    history: ["id", MESSAGES],
    presence: ["id", "streamId", "partition", "count", "clients"],
    join: ["streamId", "partition", "address"],
    leave: ["streamId", "partition", "address"],
  },
};

/** Deepest nesting a decoded frame may have (frame, message, delegation, its fields...): protocol v1 needs 5. */
const MAX_DEPTH = 16;
// Lowercase, whole bytes: the strings whose bytes read back as the same string.
const BYTES_HEX = /^0x(?:[0-9a-f]{2})*$/;

let codec: { packr: Packr; unpackr: Unpackr } | undefined;

/** The MessagePack encoder and decoder, made once msgpackr is loaded (on Node: always). */
function msgpack(): { packr: Packr; unpackr: Unpackr } {
  if (codec !== undefined) return codec;
  const loaded = loadedMsgpackr();
  if (loaded === undefined) throw new BinaryFrameError("the binary codec is not loaded in this page yet: await loadBinaryFrames() first");
  // No records and no structured clone: a frame is self-contained, and a decoder knows nothing
  // a peer could have told it before. 64-bit integers (another encoder's timestamps) read as numbers.
  codec = {
    packr: new loaded.Packr({ useRecords: false, moreTypes: false }),
    unpackr: new loaded.Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: "number" }),
  };
  return codec;
}

/**
 * Loads the binary codec. Needed only in browsers, where the SDK's bundle fetches it (a chunk of
 * about 12 KiB gzipped) when a relay connection first offers binary frames; on Node it is
 * loaded with the SDK. The SDK's connections call it themselves.
 *
 * @returns when `encodeBinaryFrame` and `decodeBinaryFrame` can be used
 * @example
 * await loadBinaryFrames(); // then decodeBinaryFrame(new Uint8Array(event.data), "server")
 */
export async function loadBinaryFrames(): Promise<void> {
  await loadMsgpackr();
}

/** Whether `encodeBinaryFrame` and `decodeBinaryFrame` can be used now (on Node: always). */
export function binaryFramesLoaded(): boolean {
  return loadedMsgpackr() !== undefined;
}

/** A binary frame that is not a frame of protocol v1 (code INVALID_ARGUMENT): what the relay answers with INVALID_REQUEST. */
export class BinaryFrameError extends InvalidArgumentError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The type's field layout; none for a type the direction does not have. */
function layoutOf(direction: FrameDirection, type: string): readonly Slot[] {
  return Object.hasOwn(LAYOUTS[direction], type) ? LAYOUTS[direction][type] : [];
}

function nameOf(slot: Slot): string {
  return typeof slot === "string" ? slot : Object.keys(slot)[0];
}

function toWire(value: unknown): unknown {
  if (typeof value === "string") return BYTES_HEX.test(value) ? hexToBytes(value as Hex) : value;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value !== "object" || value === null) return value;
  const wire: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) if (field !== undefined) wire[key] = toWire(field);
  return wire;
}

function messageToWire(message: unknown): unknown {
  if (typeof message !== "object" || message === null || Array.isArray(message)) return toWire(message);
  const fields = message as Record<string, unknown>;
  const wire: unknown[] = MESSAGE_FIELDS.map((name) => toWire(fields[name]));
  const others = Object.keys(fields).filter((key) => !(MESSAGE_FIELDS as readonly string[]).includes(key) && fields[key] !== undefined);
  if (others.length > 0) wire.push(toWire(Object.fromEntries(others.map((key) => [key, fields[key]]))));
  return wire;
}

/**
 * A frame in the `keyway-binary` encoding. Fields its type's layout does not list are left out
 * (receivers ignore unknown fields); a type without a layout is sent with its type alone.
 *
 * @param frame - the frame as its JSON object
 * @param direction - "request" (client to relay) or "server" (relay to client)
 * @returns the MessagePack bytes of one WebSocket binary frame
 * @example
 * socket.send(encodeBinaryFrame({ type: "subscribe", id: 2, streamId, partition: 0 }, "request"));
 */
export function encodeBinaryFrame<T extends { type: string }>(frame: T, direction: FrameDirection): Uint8Array {
  const slots = layoutOf(direction, frame.type);
  const wire: unknown[] = [frame.type];
  for (const slot of slots) {
    const value = (frame as Record<string, unknown>)[nameOf(slot)];
    if (slot === MESSAGE) wire.push(value === undefined ? undefined : messageToWire(value));
    else if (slot === MESSAGES) wire.push(Array.isArray(value) ? value.map(messageToWire) : toWire(value));
    else wire.push(toWire(value));
  }
  while (wire.length > 1 && wire[wire.length - 1] === undefined) wire.pop();
  return msgpack().packr.pack(wire);
}

/** A decoded value as JSON.parse would give it (byte strings as 0x hex); what JSON cannot hold is refused. */
function fromWire(value: unknown, depth: number): unknown {
  if (typeof value === "string" || typeof value === "boolean" || value === null) return value;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new BinaryFrameError("a number must be finite");
    return value;
  }
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (depth >= MAX_DEPTH) throw new BinaryFrameError(`a frame nests at most ${MAX_DEPTH} deep`);
  if (Array.isArray(value)) return value.map((item) => fromWire(item, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(value)) fields[key] = fromWire((value as Record<string, unknown>)[key], depth + 1);
    return fields;
  }
  throw new BinaryFrameError(`a value of a frame is a string, bytes, a number, a boolean, null, an array or a map, not ${value === undefined ? "undefined" : typeof value}`);
}

/** A stream message's array back to its object; anything else is left to the validator, as a malformed JSON message is. */
function messageFromWire(wire: unknown, depth: number): unknown {
  if (!Array.isArray(wire) || wire.length > MESSAGE_FIELDS.length + 1) return fromWire(wire, depth);
  const message: Record<string, unknown> = {};
  MESSAGE_FIELDS.forEach((name, index) => {
    if (wire[index] !== undefined) message[name] = fromWire(wire[index], depth + 1);
  });
  const others = wire[MESSAGE_FIELDS.length];
  if (others === undefined) return message;
  const extra = fromWire(others, depth);
  if (typeof extra !== "object" || extra === null || Array.isArray(extra)) throw new BinaryFrameError("a message's last element is a map of its other fields");
  for (const [key, value] of Object.entries(extra)) if (!(key in message)) message[key] = value;
  return message;
}

/**
 * Reads a frame of the `keyway-binary` encoding. Decoding costs time linear in the frame's size
 * (bounded by the relay's `maxFrameBytes`); declared lengths past the data fail at once, and
 * nesting past `MAX_DEPTH` is refused. An unknown type comes back with its type alone, for the
 * receiver to answer as it answers an unknown JSON type.
 *
 * @param data - the payload of one WebSocket binary frame
 * @param direction - who sent it: "request" (a client) or "server" (the relay)
 * @returns the frame as its JSON object, byte strings as lowercase 0x hex
 * @throws BinaryFrameError when the bytes are not MessagePack, not an array led by a type string, or hold a value JSON cannot
 * (or, in a browser, before `loadBinaryFrames` resolved)
 * @example
 * const frame = decodeBinaryFrame(new Uint8Array(event.data), "server"); // { type: "message", streamId, partition, message: {...} }
 */
export function decodeBinaryFrame(data: Uint8Array, direction: FrameDirection): FrameObject {
  const { unpackr } = msgpack();
  let wire: unknown;
  try {
    wire = unpackr.unpack(data);
  } catch (error) {
    // A truncated frame, a length past the data, a stack too shallow for its nesting, an unknown extension.
    throw new BinaryFrameError(`the frame is not MessagePack: ${(error as Error).message}`, { cause: error });
  }
  if (!Array.isArray(wire) || typeof wire[0] !== "string") throw new BinaryFrameError("a binary frame is an array led by its type");
  const type = wire[0];
  const frame: FrameObject = { type };
  const slots = layoutOf(direction, type);
  slots.forEach((slot, index) => {
    const value = wire[index + 1];
    if (value === undefined) return;
    if (slot === MESSAGE) frame.message = messageFromWire(value, 1);
    else if (slot === MESSAGES) frame.messages = Array.isArray(value) ? value.map((message) => messageFromWire(message, 2)) : fromWire(value, 1);
    else frame[slot as string] = fromWire(value, 1);
  });
  return frame;
}
