import type { RegistryContext } from "../context";
import { normalizeStreamId } from "../streamId";
import { readRegistry } from "./readRegistry";

export interface GetStreamMetadataParameters {
  streamId: string;
}

export type GetStreamMetadataReturnType = string;

/**
 * A stream's metadata; `StreamNotFoundError` if it does not exist.
 *
 * @example
 * const metadata = await getStreamMetadata(client.context, { streamId });
 */
export async function getStreamMetadata(context: RegistryContext, parameters: GetStreamMetadataParameters): Promise<GetStreamMetadataReturnType> {
  return readRegistry(context, { functionName: "getStreamMetadata", args: [normalizeStreamId(parameters.streamId)] });
}
