import type { RegistryContext } from "../context";
import { StreamNotFoundError } from "../errors";
import { normalizeStreamId, streamRefOf } from "../streamId";
import { readRegistry } from "./readRegistry";

export interface StreamExistsParameters {
  streamId: string;
}

export type StreamExistsReturnType = boolean;

/**
 * Whether the stream exists now; the context's cache answers while it knows (kept exact by the
 * registry's watcher: a creation or deletion drops the answer at the next poll), so asking again
 * about a missing stream costs no request. A bare stream id is still accepted in place of the
 * parameters: outside tools (the relaybench adapter among them) call the earlier form.
 *
 * @example
 * if (!(await streamExists(client.context, { streamId }))) console.log("deleted");
 */
export async function streamExists(context: RegistryContext, parameters: StreamExistsParameters | string): Promise<StreamExistsReturnType> {
  const stream = streamRefOf(typeof parameters === "string" ? parameters : parameters.streamId);
  const known = context.cache.existence(stream.key, Date.now());
  if (known !== undefined) return known;
  const since = context.cache.existenceSince();
  const exists = await readRegistry(context, { functionName: "exists", args: [stream.id] });
  if (since !== undefined) context.cache.storeExistence(stream.key, exists, since);
  return exists;
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
