import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { normalizeStreamId } from "../streamId";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface DeleteStreamParameters extends WriteParameters {
  streamId: string;
}

export type DeleteStreamReturnType = TransactionReceipt;

/**
 * Deletes a stream and all of its permissions. Needs Delete.
 *
 * @example
 * await deleteStream(client.context, { streamId });
 */
export async function deleteStream(context: RegistryContext, parameters: DeleteStreamParameters): Promise<DeleteStreamReturnType> {
  const { streamId, ...write } = parameters;
  return writeRegistry(context, { functionName: "deleteStream", args: [normalizeStreamId(streamId)], ...write });
}
