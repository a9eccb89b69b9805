// Validation as `npm run bench:messages` measures it, in the main thread and in its worker
// threads: a MessageValidator whose permissions come from a KeywayClient with a warm cache.
import { isMainThread, parentPort, workerData } from "node:worker_threads";
import { KeywayClient } from "../../sdk/client";
import { createMessageValidator, type MessageDomain, type MessageValidator, type SignedStreamMessage, type StreamPartition } from "../../sdk/message";
import { StreamPermission } from "../../sdk/permissions";

/** Where the registry is: a local node and its deployment. */
export interface BenchChain {
  rpcUrl: string;
  registryAddress: string;
  domain: MessageDomain;
}

/**
 * A client for `publisher`'s Publish on `stream`, its cache warmed by one reading, as a relay's
 * or a subscriber's client is after the first message of a stream.
 */
export async function warmClient(chain: BenchChain, stream: StreamPartition, publisher: string): Promise<KeywayClient> {
  const client = new KeywayClient({ rpcUrl: chain.rpcUrl, registryAddress: chain.registryAddress });
  const expiry = await client.getPermissionExpiry({ streamId: stream.streamId, userId: publisher, permission: StreamPermission.PUBLISH, allowPublic: true });
  if (expiry === 0) throw new Error(`${publisher} does not hold Publish on ${stream.streamId}`);
  return client;
}

/** Validates every message with a fresh validator, in order, as a relay does. */
export async function validateAll(client: KeywayClient, domain: MessageDomain, stream: StreamPartition, messages: readonly SignedStreamMessage[]): Promise<void> {
  const validator: MessageValidator = createMessageValidator({ domain, permissions: client });
  for (const message of messages) await validator.validate(message, stream);
}

if (!isMainThread) {
  const { chain, stream, messages } = workerData as { chain: BenchChain; stream: StreamPartition; messages: SignedStreamMessage[] };
  const ready = warmClient(chain, stream, messages[0].publisher);
  // Each "go" validates all messages once; the main thread terminates the worker when done.
  parentPort!.on("message", async () => {
    await validateAll(await ready, chain.domain, stream, messages);
    parentPort!.postMessage("done");
  });
}
