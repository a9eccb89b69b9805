import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { MissingSignerError, StreamNotFoundError } from "../errors";
import { formatStreamId, normalizeStreamId, validateStreamPath } from "../streamId";
import { readRegistry } from "./readRegistry";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface CreateStreamParameters extends WriteParameters {
  /** `/` followed by the path, as the registry checks it. */
  path: string;
  /** Opaque, conventionally JSON; empty by default. */
  metadata?: string;
}

export interface CreateStreamReturnType {
  /** `<signer address, lowercase><path>`. */
  streamId: string;
  receipt: TransactionReceipt;
}

/**
 * Creates `<signer><path>`; the signer gets every permission forever.
 *
 * @example
 * const { streamId, receipt } = await createStream(client.context, { path: "/sensors/temperature", metadata: "{}" });
 */
export async function createStream(context: RegistryContext, parameters: CreateStreamParameters): Promise<CreateStreamReturnType> {
  const { path, metadata = "", ...write } = parameters;
  validateStreamPath(path);
  if (context.walletClient === undefined) throw new MissingSignerError("createStream");
  const streamId = formatStreamId(context.walletClient.account.address, path);
  const receipt = await writeRegistry(context, { functionName: "createStream", args: [path, metadata], ...write });
  return { streamId, receipt };
}

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

export interface UpdateStreamMetadataParameters extends WriteParameters {
  streamId: string;
  metadata: string;
}

export type UpdateStreamMetadataReturnType = TransactionReceipt;

/**
 * Replaces a stream's metadata. Needs Edit.
 *
 * @example
 * await updateStreamMetadata(client.context, { streamId, metadata: '{"unit":"celsius"}', gas: 200_000n });
 */
export async function updateStreamMetadata(
  context: RegistryContext,
  parameters: UpdateStreamMetadataParameters,
): Promise<UpdateStreamMetadataReturnType> {
  const { streamId, metadata, ...write } = parameters;
  return writeRegistry(context, { functionName: "updateStreamMetadata", args: [normalizeStreamId(streamId), metadata], ...write });
}

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

export interface StreamExistsParameters {
  streamId: string;
}

export type StreamExistsReturnType = boolean;

/**
 * Whether the stream exists now. A bare stream id is still accepted in place of the
 * parameters: outside tools (the relaybench adapter among them) call the earlier form.
 *
 * @example
 * if (!(await streamExists(client.context, { streamId }))) console.log("deleted");
 */
export async function streamExists(context: RegistryContext, parameters: StreamExistsParameters | string): Promise<StreamExistsReturnType> {
  const streamId = typeof parameters === "string" ? parameters : parameters.streamId;
  return readRegistry(context, { functionName: "exists", args: [normalizeStreamId(streamId)] });
}

export type AssertStreamExistsParameters = StreamExistsParameters;

/** The normalised id. */
export type AssertStreamExistsReturnType = string;

/**
 * Resolves with the normalised id of a stream that exists, else throws `StreamNotFoundError`.
 *
 * @example
 * const id = await assertStreamExists(client.context, { streamId: "0xABC…/sensors" });
 */
export async function assertStreamExists(
  context: RegistryContext,
  parameters: AssertStreamExistsParameters,
): Promise<AssertStreamExistsReturnType> {
  const streamId = normalizeStreamId(parameters.streamId);
  if (!(await streamExists(context, { streamId }))) throw new StreamNotFoundError(streamId);
  return streamId;
}
