import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { MissingSignerError, StreamNotFoundError } from "../errors";
import { formatStreamId, normalizeStreamId, validateStreamPath } from "../streamId";
import { readRegistry } from "./readRegistry";
import { writeRegistry, type WriteOptions } from "./writeRegistry";

export interface CreateStreamResult {
  /** `<signer address, lowercase><path>`. */
  streamId: string;
  receipt: TransactionReceipt;
}

/** Creates `<signer><path>`; the signer gets every permission forever. */
export async function createStream(
  context: RegistryContext,
  path: string,
  { metadata = "" }: { metadata?: string } = {},
  options?: WriteOptions,
): Promise<CreateStreamResult> {
  validateStreamPath(path);
  if (context.walletClient === undefined) throw new MissingSignerError("createStream");
  const streamId = formatStreamId(context.walletClient.account.address, path);
  const receipt = await writeRegistry(context, "createStream", [path, metadata], options);
  return { streamId, receipt };
}

/** Deletes a stream and all of its permissions. Needs Delete. */
export async function deleteStream(context: RegistryContext, streamId: string, options?: WriteOptions): Promise<TransactionReceipt> {
  return writeRegistry(context, "deleteStream", [normalizeStreamId(streamId)], options);
}

/** Replaces a stream's metadata. Needs Edit. */
export async function updateStreamMetadata(
  context: RegistryContext,
  streamId: string,
  metadata: string,
  options?: WriteOptions,
): Promise<TransactionReceipt> {
  return writeRegistry(context, "updateStreamMetadata", [normalizeStreamId(streamId), metadata], options);
}

/** A stream's metadata; `StreamNotFoundError` if it does not exist. */
export async function getStreamMetadata(context: RegistryContext, streamId: string): Promise<string> {
  return readRegistry(context, "getStreamMetadata", [normalizeStreamId(streamId)]);
}

export async function streamExists(context: RegistryContext, streamId: string): Promise<boolean> {
  return readRegistry(context, "exists", [normalizeStreamId(streamId)]);
}

/** Resolves with the normalised id of a stream that exists, else throws `StreamNotFoundError`. */
export async function assertStreamExists(context: RegistryContext, streamId: string): Promise<string> {
  const id = normalizeStreamId(streamId);
  if (!(await streamExists(context, id))) throw new StreamNotFoundError(id);
  return id;
}
