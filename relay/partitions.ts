import { assertStreamPartition } from "../sdk/actions/getStreamPartitions";
import { InvalidArgumentError, InvalidStreamIdError, StreamNotFoundError } from "../sdk/errors";
import type { ErrorCode } from "../sdk/relay/protocol";
import { streamRefOf } from "../sdk/streamId";
import type { RelayContext } from "./context";
import { countedRead, type NodeReadKind } from "./nodeReads";
import { RequestError } from "./requestError";

/** Where a request says it goes, as read from the frame: its values are not checked yet. */
export interface ClaimedPartition {
  streamId: unknown;
  partition: unknown;
}

/**
 * Refuses with `code` (subscribe's INVALID_REQUEST, publish's INVALID_MESSAGE) a request for a
 * partition at or beyond the stream's count, its metadata's `partitions` (1 when absent): one
 * stream cannot spread history and per-channel state over millions of channels. Read through
 * the SDK's cache (no node request once warm; a metadata update is seen within one poll);
 * partition 0 reads nothing, and a read of the node counts among the relay's `reads` of that
 * kind. What names no stream partition at all, and a missing stream, pass: the caller refuses
 * those in its own way (field checks, the validator, STREAM_NOT_FOUND). Undefined when there is
 * nothing to check (partition 0, the common case): no promise, no turn on a publish's path.
 */
export function checkPartition(relay: RelayContext, { streamId, partition }: ClaimedPartition, code: ErrorCode, reads: NodeReadKind): Promise<void> | undefined {
  if (typeof streamId !== "string" || typeof partition !== "number" || !Number.isInteger(partition) || partition <= 0) return undefined;
  return checkPartitionRead(relay, streamId, partition, code, reads);
}

async function checkPartitionRead(relay: RelayContext, streamId: string, partition: number, code: ErrorCode, reads: NodeReadKind): Promise<void> {
  const { context } = relay.client;
  try {
    const check = () => assertStreamPartition(context, { streamId, partition });
    await (context.cache.partitions(streamRefOf(streamId).key, Date.now()) !== undefined ? check() : countedRead(relay, reads, check));
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new RequestError(code, error.message);
    if (error instanceof StreamNotFoundError || error instanceof InvalidStreamIdError) return;
    throw error;
  }
}
