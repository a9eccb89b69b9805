import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { metadataWithPartitions } from "../partitions";
import { metadataWithSchema } from "../contentSchema";
import { normalizeStreamId } from "../streamId";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface UpdateStreamMetadataParameters extends WriteParameters {
  streamId: string;
  metadata: string;
}

export type UpdateStreamMetadataReturnType = TransactionReceipt;

/**
 * Replaces a stream's metadata. Needs Edit. A `partitions` field that is not an integer from 1
 * to `MAX_PARTITIONS`, or a `schema` that cannot be used (see `metadataWithSchema`), is an
 * InvalidArgumentError, before any transaction. A new schema applies from the next message on.
 *
 * @example
 * await updateStreamMetadata(client.context, { streamId, metadata: '{"unit":"celsius"}', gas: 200_000n });
 */
export async function updateStreamMetadata(
  context: RegistryContext,
  parameters: UpdateStreamMetadataParameters,
): Promise<UpdateStreamMetadataReturnType> {
  const { streamId, metadata, ...write } = parameters;
  const checked = await metadataWithSchema(metadataWithPartitions(metadata));
  return writeRegistry(context, { functionName: "updateStreamMetadata", args: [normalizeStreamId(streamId), checked], ...write });
}
