import { readLatestBlock } from "../blocks";
import { assertChain, type RegistryContext } from "../context";
import { StreamNotFoundError } from "../errors";
import { assertPartitionWithin, partitionsOf } from "../partitions";
import { streamRefOf } from "../streamId";
import { readRegistry } from "./readRegistry";
import { streamExists } from "./streamExists";

export interface GetStreamPartitionsParameters {
  streamId: string;
}

/** 1 to `MAX_PARTITIONS`. */
export type GetStreamPartitionsReturnType = number;

/**
 * How many partitions the stream has: its metadata's `partitions` (see `partitionsOf`; 1 when
 * absent or invalid). `StreamNotFoundError` if it does not exist. The context's cache answers
 * while it knows: the count is read pinned to a block and kept until the registry's watcher
 * sees the stream's metadata replaced (or the stream created or deleted), so a relay pays no
 * request per message once warm. Existence is asked first (cached too, also a "no"): a missing
 * stream costs no metadata read.
 *
 * @example
 * const partitions = await getStreamPartitions(client.context, { streamId });
 */
export async function getStreamPartitions(context: RegistryContext, parameters: GetStreamPartitionsParameters): Promise<GetStreamPartitionsReturnType> {
  const stream = streamRefOf(parameters.streamId);
  const known = context.cache.partitions(stream.key, Date.now());
  if (known !== undefined) return known;
  if (!(await streamExists(context, { streamId: stream.id }))) throw new StreamNotFoundError(stream.id);
  const [at] = await Promise.all([readLatestBlock(context), assertChain(context)]);
  const metadata = await readRegistry(context, { functionName: "getStreamMetadata", args: [stream.id], blockNumber: at.blockNumber });
  const partitions = partitionsOf(metadata);
  context.cache.storePartitions(stream.key, partitions, at);
  return partitions;
}

export interface AssertStreamPartitionParameters {
  streamId: string;
  partition: number;
}

/**
 * Resolves if `partition` is one of the stream's partitions; else InvalidArgumentError
 * ("partition 5 is beyond the stream's 3 partitions"). Partition 0 always is: nothing is read.
 * `StreamNotFoundError` for another partition of a missing stream.
 *
 * @example
 * await assertStreamPartition(client.context, { streamId, partition: 2 });
 */
export async function assertStreamPartition(context: RegistryContext, parameters: AssertStreamPartitionParameters): Promise<void> {
  if (parameters.partition === 0) return;
  assertPartitionWithin(parameters.partition, await getStreamPartitions(context, parameters));
}
