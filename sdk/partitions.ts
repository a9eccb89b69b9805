import { InvalidArgumentError } from "./errors";

/** The most partitions a stream may have, as in Streamr. */
export const MAX_PARTITIONS = 100;

const isPartitionCount = (value: unknown): value is number => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_PARTITIONS;

/** The metadata parsed, if it is a JSON object; undefined for anything else (metadata is opaque to the registry). */
export function metadataObject(metadata: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(metadata);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A stream's partition count from its metadata: the JSON object's `partitions`, an integer from
 * 1 to `MAX_PARTITIONS`. Absent, invalid (written by another tool), or metadata that is not a
 * JSON object: 1, so a stream always has partition 0 and nothing else is taken on trust.
 *
 * @example
 * partitionsOf('{"unit":"C","partitions":3}') // 3
 */
export function partitionsOf(metadata: string): number {
  const partitions = metadataObject(metadata)?.partitions;
  return isPartitionCount(partitions) ? partitions : 1;
}

function assertPartitionCount(value: unknown): void {
  if (!isPartitionCount(value)) throw new InvalidArgumentError(`partitions must be an integer from 1 to ${MAX_PARTITIONS}, got ${JSON.stringify(value)}`);
}

/**
 * The metadata to write: `metadata` with `partitions` merged in when given. Throws
 * InvalidArgumentError for a count outside 1..`MAX_PARTITIONS` (as an argument or the metadata's
 * own `partitions` field), or a count given with metadata that is not a JSON object, so that no
 * transaction writes a count that readers would silently take as 1.
 *
 * @example
 * metadataWithPartitions('{"unit":"C"}', 3) // '{"unit":"C","partitions":3}'
 */
export function metadataWithPartitions(metadata: string, partitions?: number): string {
  const object = metadataObject(metadata);
  if (partitions === undefined) {
    if (object !== undefined && object.partitions !== undefined) assertPartitionCount(object.partitions);
    return metadata;
  }
  assertPartitionCount(partitions);
  if (object === undefined && metadata !== "") throw new InvalidArgumentError("partitions needs metadata that is a JSON object (or none)");
  return JSON.stringify({ ...object, partitions });
}

/**
 * Throws InvalidArgumentError unless `partition` is one of the stream's `partitions` (0 to
 * `partitions - 1`): the message both the SDK and the relay give.
 */
export function assertPartitionWithin(partition: number, partitions: number): void {
  if (partition >= partitions) {
    throw new InvalidArgumentError(`partition ${partition} is beyond the stream's ${partitions} partition${partitions === 1 ? "" : "s"}`);
  }
}
