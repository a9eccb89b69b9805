import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { metadataWithPartitions } from "../partitions";
import { metadataWithSchema } from "../contentSchema";
import { normalizeStreamId } from "../streamId";
import type { RegistryCall } from "../signedChange/registryCall";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface UpdateStreamMetadataParameters extends WriteParameters {
  streamId: string;
  metadata: string;
}

export type UpdateStreamMetadataReturnType = TransactionReceipt;

/**
 * The registry call that replaces a stream's metadata, checked as `updateStreamMetadata` checks it, for `signChange`.
 *
 * @param parameters The stream id and the new metadata.
 * @returns `{ functionName: "updateStreamMetadata", args }`.
 * @throws InvalidStreamIdError, InvalidArgumentError on a bad id or partition count.
 * @example
 * const signed = await signChange(client.context, { call: updateStreamMetadataCall({ streamId, metadata: "{}" }) });
 */
export function updateStreamMetadataCall({ streamId, metadata }: { streamId: string; metadata: string }): Extract<RegistryCall, { functionName: "updateStreamMetadata" }> {
  return { functionName: "updateStreamMetadata", args: [normalizeStreamId(streamId), metadataWithPartitions(metadata)] };
}

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
  return writeRegistry(context, { ...updateStreamMetadataCall({ streamId, metadata: await metadataWithSchema(metadataWithPartitions(metadata)) }), ...write });
}
