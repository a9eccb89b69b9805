import type { TransactionReceipt } from "viem";
import type { RegistryContext } from "../context";
import { MissingSignerError } from "../errors";
import { formatStreamId, validateStreamPath } from "../streamId";
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
