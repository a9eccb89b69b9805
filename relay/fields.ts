import { normalizeStreamId } from "../sdk/streamId";
import { UINT32_MAX } from "../sdk/message/parse";
import { ErrorCode, type Position } from "../sdk/relay/protocol";
import { RequestError } from "./requestError";

/** A request frame as parsed: its fields are checked by the handler that reads them. */
export type Fields = Record<string, unknown>;

function invalid(message: string): never {
  throw new RequestError(ErrorCode.INVALID_REQUEST, message);
}

/** `streamId`, canonical (lowercase address part); INVALID_REQUEST when it is not a stream id. */
export function readStreamId(fields: Fields): string {
  if (typeof fields.streamId !== "string") invalid("streamId must be a string");
  try {
    return normalizeStreamId(fields.streamId);
  } catch (error) {
    return invalid((error as Error).message);
  }
}

const isUint32 = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX;
const isTimestamp = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** `partition`, 0 when absent. */
export function readPartition(fields: Fields): number {
  if (fields.partition === undefined) return 0;
  if (!isUint32(fields.partition)) invalid(`partition must be an integer from 0 to ${UINT32_MAX}`);
  return fields.partition;
}

/** `from`, a chain position, or undefined when absent. */
export function readFrom(fields: Fields): Position | undefined {
  const { from } = fields;
  if (from === undefined) return undefined;
  const { timestamp, sequenceNumber } = (typeof from === "object" && from !== null ? from : {}) as Record<string, unknown>;
  if (!isTimestamp(timestamp) || !isUint32(sequenceNumber)) {
    invalid("from must be {timestamp, sequenceNumber} of non-negative integers");
  }
  return { timestamp, sequenceNumber };
}

/** A string field that must be present. */
export function readString(fields: Fields, name: string): string {
  const value = fields[name];
  if (typeof value !== "string") invalid(`${name} must be a string`);
  return value;
}

/** An optional boolean field: false when absent. */
export function readFlag(fields: Fields, name: string): boolean {
  const value = fields[name];
  if (value === undefined) return false;
  if (typeof value !== "boolean") invalid(`${name} must be true or false`);
  return value;
}

/** An integer field from 1 to `max`, required. */
export function readCount(fields: Fields, name: string, max: number): number {
  const value = fields[name];
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > max) invalid(`${name} must be an integer from 1 to ${max}`);
  return value;
}
