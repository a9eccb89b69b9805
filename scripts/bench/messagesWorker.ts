// Worker side of `npm run bench:messages`: validates its share of the messages on request.
import { parentPort, workerData } from "node:worker_threads";
import { createMessageValidator, type MessageDomain, type SignedStreamMessage, type StreamPartition } from "../../sdk/message";
import { FOREVER } from "../../sdk/permissions";

const { domain, stream, messages } = workerData as { domain: MessageDomain; stream: StreamPartition; messages: SignedStreamMessage[] };

/** Validates every message with a fresh validator (a cached permission, as a warm client answers). */
export async function validateAll(domain: MessageDomain, stream: StreamPartition, messages: readonly SignedStreamMessage[]): Promise<void> {
  const validator = createMessageValidator({ domain, permissions: { getPermissionExpiry: async () => FOREVER } });
  for (const message of messages) await validator.validate(message, stream);
}

parentPort?.on("message", async () => {
  await validateAll(domain, stream, messages);
  parentPort?.postMessage("done");
});
