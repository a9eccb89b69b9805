import { type Hex, keccak256, stringToBytes } from "viem";
import { InvalidStreamIdError } from "./errors";
import { setBounded } from "./message/boundedMap";

/** Longest stream path the registry accepts, in bytes. */
export const MAX_PATH_LENGTH = 255;

const ADDRESS_PART = /^0x[0-9a-fA-F]{40}$/;
// Segments of [A-Za-z0-9._-], none empty: the registry's rule, checked before any RPC call.
const PATH = /^(\/[A-Za-z0-9._-]+)+$/;

export interface StreamIdParts {
  /** The creator's address, lowercase. */
  creator: `0x${string}`;
  /** The path, with its leading "/". */
  path: string;
}

function pathProblem(path: string): string | undefined {
  if (!PATH.test(path)) {
    return 'a path starts with "/" and has non-empty segments of letters, digits, ".", "_" and "-"';
  }
  if (path.length > MAX_PATH_LENGTH) return `a path is at most ${MAX_PATH_LENGTH} bytes`;
  return undefined;
}

/** Checks a stream path as `createStream` takes it; returns it unchanged. */
export function validateStreamPath(path: string): string {
  const problem = typeof path === "string" ? pathProblem(path) : "not a string";
  if (problem !== undefined) throw new InvalidStreamIdError(String(path), problem);
  return path;
}

/**
 * Splits `<creator address><path>` and normalises it: the address part is lowercased, so a
 * checksummed id typed by a user finds the stream the registry stores under lowercase hex.
 */
export function parseStreamId(streamId: string): StreamIdParts {
  if (typeof streamId !== "string") throw new InvalidStreamIdError(String(streamId), "not a string");
  const slash = streamId.indexOf("/");
  const address = slash < 0 ? streamId : streamId.slice(0, slash);
  if (!ADDRESS_PART.test(address) || slash < 0) {
    throw new InvalidStreamIdError(streamId, "expected <0x creator address></path>");
  }
  const path = streamId.slice(slash);
  const problem = pathProblem(path);
  if (problem !== undefined) throw new InvalidStreamIdError(streamId, problem);
  return { creator: address.toLowerCase() as `0x${string}`, path };
}

/** The canonical form of a stream id, as the registry stores it. */
export function normalizeStreamId(streamId: string): string {
  const { creator, path } = parseStreamId(streamId);
  return `${creator}${path}`;
}

/** Builds the id of the stream `creator` gets by creating `path`. */
export function formatStreamId(creator: string, path: string): string {
  return normalizeStreamId(`${creator}${path}`);
}

/** A normalised stream id and its registry key, `keccak256(id)`: the first topic of its events. */
export interface StreamRef {
  id: string;
  key: Hex;
}

/** How many stream ids `streamRefOf` remembers: a relay's working set, at about 300 bytes each. */
const STREAM_REFS = 10_000;
const streamRefs = new Map<string, StreamRef>();

/**
 * The normalised id and key of a stream id as given (checksummed or not), remembered per
 * string: a permission check asks for them every time, and hashing and parsing would be
 * most of its cost. Throws `InvalidStreamIdError` as `normalizeStreamId` does.
 */
export function streamRefOf(streamId: string): StreamRef {
  const known = streamRefs.get(streamId);
  if (known !== undefined) return known;
  const id = normalizeStreamId(streamId);
  const ref = { id, key: keccak256(stringToBytes(id)) };
  setBounded(streamRefs, streamId, ref, STREAM_REFS);
  return ref;
}

/**
 * The registry's key of a stream: `keccak256` of its normalised id, the first topic of the
 * stream's events. Memoised, so it is cheap to call per message.
 *
 * @example
 * streamKeyOf("0xAbC…/sensors") === streamKeyOf("0xabc…/sensors")
 */
export function streamKeyOf(streamId: string): Hex {
  return streamRefOf(streamId).key;
}

/**
 * A stream partition's key, `<streamId>|<partition>` (stream ids hold no "|"): what the relay's
 * broker, history and subscription index call a channel, and what the SDK's relay client keys
 * its subscriptions and publish chains by.
 */
export function streamPartitionKey(streamId: string, partition: number): string {
  return `${streamId}|${partition}`;
}
