import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { normalizeStreamId } from "../streamId";
import type { RegistryCall } from "../signedChange/registryCall";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface DeleteStreamParameters extends WriteParameters {
  streamId: string;
}

export type DeleteStreamReturnType = TransactionReceipt;

/**
 * The registry call that deletes `streamId` (normalised), for `signChange`.
 *
 * @param parameters The stream id.
 * @returns `{ functionName: "deleteStream", args }`.
 * @throws InvalidStreamIdError on a malformed id.
 * @example
 * const signed = await signChange(client.context, { call: deleteStreamCall({ streamId }) });
 */
export function deleteStreamCall({ streamId }: { streamId: string }): Extract<RegistryCall, { functionName: "deleteStream" }> {
  return { functionName: "deleteStream", args: [normalizeStreamId(streamId)] };
}

/**
 * Deletes a stream and all of its permissions. Needs Delete.
 *
 * @example
 * await deleteStream(client.context, { streamId });
 */
export async function deleteStream(context: RegistryContext, parameters: DeleteStreamParameters): Promise<DeleteStreamReturnType> {
  const { streamId, ...write } = parameters;
  return writeRegistry(context, { ...deleteStreamCall({ streamId }), ...write });
}
