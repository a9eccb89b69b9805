import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { MissingSignerError } from "../errors";
import { metadataWithPartitions } from "../partitions";
import { formatStreamId, validateStreamPath } from "../streamId";
import type { RegistryCall } from "../signedChange/registryCall";
import { writeRegistry, type WriteParameters } from "./writeRegistry";

export interface CreateStreamParameters extends WriteParameters {
  /** `/` followed by the path, as the registry checks it. */
  path: string;
  /** Opaque, conventionally JSON; empty by default. Its `partitions`, if any, must be an integer from 1 to `MAX_PARTITIONS`. */
  metadata?: string;
  /** How many partitions the stream has (1 to `MAX_PARTITIONS`, as Streamr's): merged into the metadata JSON as `partitions`; 1 when absent. */
  partitions?: number;
}

export interface CreateStreamReturnType {
  /** `<signer address, lowercase><path>`. */
  streamId: string;
  receipt: TransactionReceipt;
}

/** What `createStream` sends: `path` and the metadata with its partitions checked; for `signChange`. */
export type CreateStreamCallParameters = Pick<CreateStreamParameters, "path" | "metadata" | "partitions">;

/**
 * The registry call that creates `<signer><path>`, checked as `createStream` checks it, for
 * `signChange` (or `writeRegistry`).
 *
 * @param parameters The path, metadata and partitions.
 * @returns `{ functionName: "createStream", args }`.
 * @throws InvalidStreamIdError, InvalidArgumentError on a bad path or partition count.
 * @example
 * const signed = await signChange(client.context, { call: createStreamCall({ path: "/sensors/temperature" }) });
 */
export function createStreamCall({ path, metadata = "", partitions }: CreateStreamCallParameters): Extract<RegistryCall, { functionName: "createStream" }> {
  validateStreamPath(path);
  return { functionName: "createStream", args: [path, metadataWithPartitions(metadata, partitions)] };
}

/**
 * Creates `<signer><path>`; the signer gets every permission forever. An invalid partition
 * count (the parameter or the metadata's field) is an InvalidArgumentError, before any transaction.
 *
 * @example
 * const { streamId, receipt } = await createStream(client.context, { path: "/sensors/temperature", metadata: "{}", partitions: 3 });
 */
export async function createStream(context: RegistryContext, parameters: CreateStreamParameters): Promise<CreateStreamReturnType> {
  const { path, metadata, partitions, ...write } = parameters;
  const call = createStreamCall({ path, metadata, partitions });
  if (context.walletClient === undefined) throw new MissingSignerError("createStream");
  const streamId = formatStreamId(context.walletClient.account.address, path);
  const receipt = await writeRegistry(context, { ...call, ...write });
  return { streamId, receipt };
}
