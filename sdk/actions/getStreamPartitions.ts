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
 * while it knows (see `getCachedStreamMetadata`): a relay pays no request per message once warm.
 *
 * @example
 * const partitions = await getStreamPartitions(client.context, { streamId });
 */
export async function getStreamPartitions(context: RegistryContext, parameters: GetStreamPartitionsParameters): Promise<GetStreamPartitionsReturnType> {
  const known = context.cache.partitions(streamRefOf(parameters.streamId).key, Date.now());
  return known ?? partitionsOf(await getCachedStreamMetadata(context, parameters));
}

/**
 * The stream's metadata, through the context's cache: read pinned to a block and kept until the
 * registry's watcher sees it replaced (or the stream created or deleted), so that what readers
 * enforce from it (partitions, a content schema) costs no request per message once warm.
 * Existence is asked first (cached too, also a "no"): a missing stream costs no metadata read.
 * `StreamNotFoundError` if it does not exist.
 *
 * @example
 * const metadata = await getCachedStreamMetadata(client.context, { streamId });
 */
export async function getCachedStreamMetadata(context: RegistryContext, parameters: GetStreamPartitionsParameters): Promise<string> {
  const stream = streamRefOf(parameters.streamId);
  const known = context.cache.metadata(stream.key, Date.now());
  if (known !== undefined) return known;
  if (!(await streamExists(context, { streamId: stream.id }))) throw new StreamNotFoundError(stream.id);
  const [at] = await Promise.all([readLatestBlock(context), assertChain(context)]);
  const metadata = await readRegistry(context, { functionName: "getStreamMetadata", args: [stream.id], blockNumber: at.blockNumber });
  context.cache.storeMetadata(stream.key, metadata, at);
  return metadata;
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
