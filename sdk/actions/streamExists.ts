import type { RegistryContext } from "../context";
import { StreamNotFoundError } from "../errors";
import { normalizeStreamId } from "../streamId";
import { readRegistry } from "./readRegistry";

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
