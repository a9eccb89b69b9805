import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { MissingSignerError } from "../errors";
import { metadataWithPartitions } from "../partitions";
import { metadataWithSchema } from "../contentSchema";
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
  /** A content rule (JSON Schema 2020-12): merged into the metadata JSON as `schema`; messages whose content breaks it are refused. */
  schema?: unknown;
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
 * count (the parameter or the metadata's field) or a content schema that cannot be used (invalid,
 * too large, too slow to compile: see `metadataWithSchema`) is an InvalidArgumentError, before any transaction.
 *
 * @example
 * const { streamId, receipt } = await createStream(client.context, { path: "/sensors/temperature", metadata: "{}", partitions: 3 });
 */
export async function createStream(context: RegistryContext, parameters: CreateStreamParameters): Promise<CreateStreamReturnType> {
  const { path, metadata = "", partitions, schema, ...write } = parameters;
  // The content schema is checked (compiled, bounded) before anything is signed or sent.
  const call = createStreamCall({ path, metadata: await metadataWithSchema(metadataWithPartitions(metadata, partitions), schema) });
  if (context.walletClient === undefined) throw new MissingSignerError("createStream");
  const streamId = formatStreamId(context.walletClient.account.address, path);
  const receipt = await writeRegistry(context, { ...call, ...write });
  return { streamId, receipt };
}
